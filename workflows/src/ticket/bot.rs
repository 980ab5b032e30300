//! A customer message: record it, then either let the bot answer (triage →
//! retrieval → draft → check → send) or, when a human owns the ticket, pass
//! it to them. Every step is an activity, so every decision is in history.

use super::support::{self, Ctx, before_deadline, now_ms};
use super::{desk, effects, merge};
use crate::contracts::*;
use steward_domain::replies::parse_csat;
use steward_domain::{EscalationReason, InboundMessage, Phase};
use temporalio_workflow::WorkflowResult;

/// The patch that added the WhatsApp window's durable timer.
pub(super) const WINDOW_TIMER_PATCH: &str = "whatsapp-window-timer";

/// What drafting decided.
pub(super) enum Drafted {
    Reply {
        text: String,
        /// The articles the reply rests on (offline: the one it quotes; LLM:
        /// the ones its searches showed it).
        cited: Vec<String>,
    },
    Escalate(EscalationReason),
    /// The first-response deadline passed while drafting.
    Late,
}

pub(super) async fn customer_message(ctx: &Ctx, message: InboundMessage) -> WorkflowResult<()> {
    if let Some(target) = ctx.state(|w| w.s.merged_into_workflow.clone()) {
        return merge::forward(ctx, &target, &message).await;
    }
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
    // New timers in the history: only for runs that started with this code.
    let window_timer =
        message.channel == steward_domain::Channel::Whatsapp && ctx.patched(WINDOW_TIMER_PATCH);
    let first_contact = ctx.state_mut(|w| {
        let s = &mut w.s;
        let first = s.view.ticket_id.is_none();
        s.view.ticket_id = Some(recorded.ticket_id.clone());
        s.view.customer_id = Some(recorded.customer_id.clone());
        s.view.channel.get_or_insert(message.channel);
        // Replies follow the customer to the channel they last wrote on.
        let switched = s.reply_channel.is_some_and(|c| c != message.channel);
        s.reply_channel = Some(message.channel);
        if s.recipient.is_empty() || switched {
            s.recipient = if message.reply_address.is_empty() {
                message.sender.value.clone()
            } else {
                message.reply_address.clone()
            };
            s.customer_name = message.sender_name.clone();
            s.view.customer_name = message.sender_name.clone();
        }
        s.correlation_id = message.correlation_id.clone();
        if recorded.inserted {
            s.view.messages_recorded += 1;
        }
        s.view.last_provider_message_id = Some(message.provider_message_id.clone());
        if s.subject.is_empty() {
            s.subject = message.subject.clone();
        }
        if s.conversation_key.is_empty() {
            s.conversation_key = message.conversation_key.clone();
        }
        if message.channel == steward_domain::Channel::Whatsapp {
            let window_secs = s.policy.as_ref().map_or(86_400, |p| p.whatsapp_window_secs);
            s.view.whatsapp_window_closes_unix_ms = Some(now + window_secs as i64 * 1000);
            if window_timer {
                s.view.deadlines.whatsapp_window_unix_ms = s.view.whatsapp_window_closes_unix_ms;
            }
        }
        s.push_transcript(now, "customer", &message.body);
        first
    });
    if first_contact
        && ctx.patched(merge::PATCH)
        && merge::into_open_ticket(ctx, &message, &recorded.customer_id).await?
    {
        return Ok(());
    }
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
        effects::record_event(ctx, "opened", "").await?;
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
            effects::notify_humans(ctx, notice).await
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
                effects::record_event(ctx, "reopened", "").await?;
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
        Drafted::Reply { text, cited } => {
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
            effects::send(ctx, ReplyKind::Bot, "bot", text).await?;
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
                s.view.cited_articles = cited.clone();
            });
            support::publish_search_attributes(ctx);
            // The audit row names the articles the answer rests on.
            let detail = if cited.is_empty() {
                String::new()
            } else {
                format!("cited: {}", cited.join(", "))
            };
            effects::record_event(ctx, "bot_replied", &detail).await
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
        DraftingMode::Llm => {
            super::llm::llm_draft(ctx, message, deadline, &policy, ticket_id).await
        }
    }
}

pub(super) fn question(message: &InboundMessage) -> String {
    if message.subject.is_empty() {
        message.body.clone()
    } else {
        format!("{}\n{}", message.subject, message.body)
    }
}

/// A drafting step raced against the deadline: `Err(Late)` when the
/// deadline passed first, `Err(Escalate(BotFailure))` when the activity
/// failed for good.
pub(super) async fn step<F, T, E>(
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
                text: Some(text),
                cited_articles,
                ..
            }) => Drafted::Reply {
                text,
                cited: cited_articles,
            },
            Ok(_) => Drafted::Escalate(EscalationReason::NoAnswerInKb),
            Err(drafted) => drafted,
        },
    )
}
