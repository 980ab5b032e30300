//! A customer message: record it, then either let the bot answer (triage →
//! retrieval → draft → check → send) or, when a human owns the ticket, pass
//! it to them. Every step is an activity, so every decision is in history.

use super::desk;
use super::support::{self, Ctx, before_deadline, now_ms};
use crate::contracts::*;
use steward_domain::replies::parse_csat;
use steward_domain::{EscalationReason, InboundMessage, Phase};
use temporalio_workflow::WorkflowResult;

/// What drafting decided.
enum Drafted {
    Reply {
        text: String,
    },
    Escalate(EscalationReason),
    /// The first-response deadline passed while drafting.
    Late,
}

pub(super) async fn customer_message(ctx: &Ctx, message: InboundMessage) -> WorkflowResult<()> {
    let input = ctx.state(|w| RecordInboundInput {
        ticket_key: w.s.ticket_key.clone(),
        workflow_id: ctx.workflow_id().to_owned(),
        channel: message.channel,
        message: message.clone(),
    });
    let recorded = ctx
        .execute_activity(RecordInbound, input, support::quick())
        .await?;
    let now = now_ms(ctx);
    let first_contact = ctx.state_mut(|w| {
        let s = &mut w.s;
        let first = s.view.ticket_id.is_none();
        s.view.ticket_id = Some(recorded.ticket_id.clone());
        s.view.customer_id = Some(recorded.customer_id.clone());
        s.view.channel.get_or_insert(message.channel);
        if s.recipient.is_empty() {
            s.recipient = message.sender.value.clone();
            s.customer_name = message.sender_name.clone();
            s.view.customer_name = message.sender_name.clone();
        }
        s.correlation_id = message.correlation_id.clone();
        if recorded.inserted {
            s.view.messages_recorded += 1;
        }
        s.view.last_provider_message_id = Some(message.provider_message_id.clone());
        s.push_transcript(now, "customer", &message.body);
        first
    });
    if first_contact {
        let policy = ctx.state(|w| w.s.policy.clone().unwrap_or_default());
        let due = policy.sla.deadline_ms(
            message.channel,
            message.received_at_unix_ms.min(now).max(now - 60_000),
            policy.sla.first_response_secs(message.channel),
        );
        ctx.state_mut(|w| {
            w.s.set_phase(Phase::Bot);
            w.s.view.deadlines.first_response_unix_ms = Some(due);
        });
        support::publish_search_attributes(ctx);
        desk::record_event(ctx, "opened", "").await?;
    }
    match ctx.state(|w| w.s.view.phase) {
        Phase::Escalated | Phase::Human => {
            // A human owns it: the bot stays silent, the owner is told.
            let notice = ctx.state(|w| NoticeInput {
                ticket_id: w.s.view.ticket_id.clone().unwrap_or_default(),
                kind: NoticeKind::CustomerMessage,
                tier: w.s.view.tier.max(1),
                text: message.body.clone(),
            });
            desk::notify_humans(ctx, notice).await
        }
        Phase::Resolved => match parse_csat(&message.body) {
            Some((score, comment)) => {
                desk::record_feedback(ctx, super::state::Feedback { score, comment }).await
            }
            None => {
                // A new question inside the CSAT window reopens the ticket.
                ctx.state_mut(|w| {
                    w.s.set_phase(Phase::Bot);
                    w.s.view.deadlines.csat_until_unix_ms = None;
                    w.s.view.resolved_autonomously = None;
                });
                desk::record_event(ctx, "reopened", "").await?;
                bot_answer(ctx, &message).await
            }
        },
        Phase::Closed => Ok(()),
        Phase::Bot | Phase::AwaitingCustomer => {
            ctx.state_mut(|w| {
                w.s.set_phase(Phase::Bot);
                w.s.view.deadlines.quiet_until_unix_ms = None;
            });
            bot_answer(ctx, &message).await
        }
    }
}

/// The bot's answer, raced against the first-response deadline (until the
/// first reply has gone out).
async fn bot_answer(ctx: &Ctx, message: &InboundMessage) -> WorkflowResult<()> {
    let deadline = ctx.state(|w| w.s.view.deadlines.first_response_unix_ms);
    match draft(ctx, message, deadline).await? {
        Drafted::Late => {
            desk::escalate(ctx, EscalationReason::SlaFirstResponse, &message.body).await
        }
        Drafted::Escalate(reason) => desk::escalate(ctx, reason, &message.body).await,
        Drafted::Reply { text } => {
            let check = CheckReplyInput {
                channel: message.channel,
                text: text.clone(),
            };
            let problems = ctx
                .execute_activity(CheckReply, check, support::quick())
                .await?;
            if !problems.is_empty() {
                return desk::escalate(ctx, EscalationReason::DraftRejected, &message.body).await;
            }
            desk::send(ctx, ReplyKind::Bot, "bot", text).await?;
            let now = now_ms(ctx);
            ctx.state_mut(|w| {
                let s = &mut w.s;
                s.view.bot_replies += 1;
                s.view.deadlines.first_response_unix_ms = None;
                s.set_phase(Phase::AwaitingCustomer);
                let quiet = s
                    .policy
                    .as_ref()
                    .map(|p| p.sla.quiet_window_secs)
                    .unwrap_or(86_400);
                s.view.deadlines.quiet_until_unix_ms = Some(now + quiet as i64 * 1000);
            });
            support::publish_search_attributes(ctx);
            desk::record_event(ctx, "bot_replied", "").await
        }
    }
}

async fn draft(
    ctx: &Ctx,
    message: &InboundMessage,
    deadline: Option<i64>,
) -> WorkflowResult<Drafted> {
    let ticket_id = ctx.state(|w| w.s.view.ticket_id.clone().unwrap_or_default());
    let triage_input = TriageInput {
        ticket_id: ticket_id.clone(),
        subject: message.subject.clone(),
        body: message.body.clone(),
    };
    let triage = match step(ctx, deadline, || {
        ctx.execute_activity(TriageMessage, triage_input, support::quick())
    })
    .await
    {
        Ok(triage) => triage,
        Err(drafted) => return Ok(drafted),
    };
    if let Some(reason) = triage.escalate {
        return Ok(Drafted::Escalate(reason));
    }
    let policy = ctx.state(|w| w.s.policy.clone().unwrap_or_default());
    match policy.drafting {
        DraftingMode::Offline => offline_draft(ctx, message, deadline, &policy, ticket_id).await,
        DraftingMode::Llm => llm_draft(ctx, message, deadline, &policy, ticket_id).await,
    }
}

fn question(message: &InboundMessage) -> String {
    if message.subject.is_empty() {
        message.body.clone()
    } else {
        format!("{}\n{}", message.subject, message.body)
    }
}

/// A drafting step raced against the deadline: `Err(Late)` when the
/// deadline passed first, `Err(Escalate(BotFailure))` when the activity
/// failed for good.
async fn step<F, T, E>(
    ctx: &Ctx,
    deadline: Option<i64>,
    start: impl FnOnce() -> F,
) -> Result<T, Drafted>
where
    F: temporalio_workflow::CancellableFuture<Output = Result<T, E>>,
{
    match before_deadline(ctx, deadline, start).await {
        None => Err(Drafted::Late),
        Some(Ok(value)) => Ok(value),
        Some(Err(_)) => Err(Drafted::Escalate(EscalationReason::BotFailure)),
    }
}

async fn offline_draft(
    ctx: &Ctx,
    message: &InboundMessage,
    deadline: Option<i64>,
    policy: &TicketPolicy,
    ticket_id: String,
) -> WorkflowResult<Drafted> {
    let query = KbQuery {
        ticket_id: ticket_id.clone(),
        query: question(message),
        limit: 5,
    };
    let kb = match step(ctx, deadline, || {
        ctx.execute_activity(SearchKb, query, support::drafting())
    })
    .await
    {
        Ok(kb) => kb,
        Err(drafted) => return Ok(drafted),
    };
    let input = DraftInput {
        ticket_id,
        channel: message.channel,
        customer_name: ctx.state(|w| w.s.customer_name.clone()),
        question: question(message),
        kb,
        min_confidence: policy.min_kb_confidence,
    };
    Ok(
        match step(ctx, deadline, || {
            ctx.execute_activity(DraftReply, input, support::drafting())
        })
        .await
        {
            Ok(Draft {
                text: Some(text), ..
            }) => Drafted::Reply { text },
            Ok(_) => Drafted::Escalate(EscalationReason::NoAnswerInKb),
            Err(drafted) => drafted,
        },
    )
}

/// The LLM path: chat rounds with tools; each tool call runs as its own
/// activity, so the history shows what the model looked up and decided.
async fn llm_draft(
    ctx: &Ctx,
    message: &InboundMessage,
    deadline: Option<i64>,
    policy: &TicketPolicy,
    ticket_id: String,
) -> WorkflowResult<Drafted> {
    let mut turns: Vec<ChatTurn> = ctx.state(|w| {
        let history = &w.s.transcript[..w.s.transcript.len().saturating_sub(1)];
        history
            .iter()
            .rev()
            .take(6)
            .rev()
            .map(|line| ChatTurn {
                role: if line.from == "customer" {
                    "user"
                } else {
                    "assistant"
                }
                .into(),
                content: Some(line.text.clone()),
                tool_calls: vec![],
                tool_call_id: None,
            })
            .collect()
    });
    turns.push(ChatTurn {
        role: "user".into(),
        content: Some(question(message)),
        tool_calls: vec![],
        tool_call_id: None,
    });
    for _ in 0..policy.max_llm_rounds.max(1) {
        let input = LlmInput {
            ticket_id: ticket_id.clone(),
            channel: message.channel,
            turns: turns.clone(),
        };
        let answer = match step(ctx, deadline, || {
            ctx.execute_activity(LlmComplete, input, support::drafting())
        })
        .await
        {
            Ok(answer) => answer,
            Err(drafted) => return Ok(drafted),
        };
        ctx.state_mut(|w| {
            w.s.view.prompt_tokens += answer.prompt_tokens;
            w.s.view.completion_tokens += answer.completion_tokens;
        });
        if answer.message.tool_calls.is_empty() {
            return Ok(match answer.message.content {
                Some(text) if !text.trim().is_empty() => Drafted::Reply { text },
                _ => Drafted::Escalate(EscalationReason::NoAnswerInKb),
            });
        }
        turns.push(answer.message.clone());
        for call in answer.message.tool_calls {
            let result = match call.name.as_str() {
                "search_kb" => {
                    let query = KbQuery {
                        ticket_id: ticket_id.clone(),
                        query: tool_argument(&call.arguments, "query")
                            .unwrap_or_else(|| question(message)),
                        limit: 4,
                    };
                    match step(ctx, deadline, || {
                        ctx.execute_activity(SearchKb, query, support::drafting())
                    })
                    .await
                    {
                        Ok(kb) => kb_tool_result(&kb),
                        Err(drafted) => return Ok(drafted),
                    }
                }
                "escalate" => {
                    let reason = tool_argument(&call.arguments, "reason")
                        .and_then(|r| EscalationReason::parse(&r))
                        .unwrap_or(EscalationReason::NoAnswerInKb);
                    return Ok(Drafted::Escalate(reason));
                }
                other => format!("unknown tool {other}"),
            };
            turns.push(ChatTurn {
                role: "tool".into(),
                content: Some(result),
                tool_calls: vec![],
                tool_call_id: Some(call.id.clone()),
            });
        }
    }
    Ok(Drafted::Escalate(EscalationReason::BotFailure))
}

/// Reads one string field of a tool call's JSON arguments without a JSON
/// library (the workflow crate stays minimal): `{"query": "..."}`.
fn tool_argument(arguments: &str, field: &str) -> Option<String> {
    let key = format!("\"{field}\"");
    let after = &arguments[arguments.find(&key)? + key.len()..];
    let after = after
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    let mut value = String::new();
    let mut chars = after.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => value.push(chars.next()?),
            c => value.push(c),
        }
    }
    None
}

fn kb_tool_result(kb: &KbResults) -> String {
    if kb.passages.is_empty() {
        return "No knowledge-base passage matches.".into();
    }
    kb.passages
        .iter()
        .map(|p| {
            format!(
                "[{}] {} ({})\n{}",
                p.article_slug, p.title, p.heading, p.content
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_arguments_are_read_with_escapes() {
        assert_eq!(
            tool_argument(r#"{"query": "reset \"password\""}"#, "query").as_deref(),
            Some(r#"reset "password""#)
        );
        assert_eq!(
            tool_argument(r#"{"reason":"refund"}"#, "reason").as_deref(),
            Some("refund")
        );
        assert_eq!(tool_argument("{}", "query"), None);
    }
}
