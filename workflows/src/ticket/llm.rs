//! The LLM path: chat rounds with tools; each tool call runs as its own
//! activity, so the history shows what the model looked up and decided.

use super::bot::{Drafted, question, step};
use super::support::{self, Ctx};
use crate::contracts::*;
use steward_domain::{EscalationReason, InboundMessage};
use temporalio_workflow::WorkflowResult;

pub(super) async fn llm_draft(
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
    // Articles the model was shown: what its answer can rest on.
    let mut shown: Vec<String> = Vec::new();
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
                Some(text) if !text.trim().is_empty() => Drafted::Reply {
                    text,
                    cited: shown.clone(),
                },
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
                        Ok(kb) => {
                            for p in &kb.passages {
                                if !shown.contains(&p.article_slug) {
                                    shown.push(p.article_slug.clone());
                                }
                            }
                            kb_tool_result(&kb)
                        }
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
