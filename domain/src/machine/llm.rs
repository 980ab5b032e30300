//! The LLM drafting path: chat rounds with tools; each tool call runs as
//! its own activity, so the history shows what the model looked up.

use super::drafting::{Drafted, question};
use super::resume::Resume;
use super::steps::{Step, Task};
use super::tools::{kb_tool_result, tool_argument};
use super::{Call, Outcome, Run, patches};
use crate::ticket_io::*;
use crate::ticket_state::TicketState;
use crate::{EscalationReason, InboundMessage};
use std::collections::VecDeque;

/// The conversation with the model so far, carried between its rounds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Llm {
    message: InboundMessage,
    deadline: Option<i64>,
    turns: Vec<ChatTurn>,
    /// Articles the model was shown: what its answer can rest on.
    shown: Vec<String>,
    round: u32,
    /// Tool calls of the current round still to run.
    calls: VecDeque<ToolCall>,
}

fn turn(role: &str, content: String) -> ChatTurn {
    ChatTurn {
        role: role.into(),
        content: Some(content),
        tool_calls: vec![],
        tool_call_id: None,
    }
}

impl Llm {
    /// The last six lines of the conversation before this message, then it.
    pub(super) fn start(t: &TicketState, message: InboundMessage, deadline: Option<i64>) -> Self {
        let history = &t.transcript[..t.transcript.len().saturating_sub(1)];
        let mut turns: Vec<ChatTurn> = history
            .iter()
            .rev()
            .take(6)
            .rev()
            .map(|line| {
                let role = if line.from == "customer" {
                    "user"
                } else {
                    "assistant"
                };
                turn(role, line.text.clone())
            })
            .collect();
        turns.push(turn("user", question(&message)));
        Self {
            message,
            deadline,
            turns,
            shown: Vec::new(),
            round: 0,
            calls: VecDeque::new(),
        }
    }
}

impl Run<'_> {
    fn llm_decide(&mut self, llm: Llm, drafted: Drafted) -> Step {
        self.then_done([Task::Drafted {
            message: llm.message,
            drafted,
        }])
    }

    /// The next tool call of this round, or the next round.
    pub(super) fn llm_round(&mut self, mut llm: Llm) -> Step {
        if let Some(call) = llm.calls.pop_front() {
            return self.llm_tool(llm, call);
        }
        if llm.round >= self.policy().max_llm_rounds.max(1) {
            return self.llm_decide(llm, Drafted::Escalate(EscalationReason::BotFailure));
        }
        llm.round += 1;
        let input = LlmInput {
            ticket_id: self.ticket_id(),
            channel: llm.message.channel,
            turns: llm.turns.clone(),
        };
        let deadline = llm.deadline;
        self.raced(
            Call::Llm(input),
            deadline,
            Resume::LlmAnswered(Box::new(llm)),
        )
    }

    pub(super) fn llm_answered(&mut self, mut llm: Llm, outcome: Outcome) -> Step {
        let answer = match outcome {
            Outcome::Llm(answer) => answer,
            Outcome::Late => return self.llm_decide(llm, Drafted::Late),
            _ => return self.llm_decide(llm, Drafted::Escalate(EscalationReason::BotFailure)),
        };
        self.t.view.prompt_tokens += answer.prompt_tokens;
        self.t.view.completion_tokens += answer.completion_tokens;
        if answer.message.tool_calls.is_empty() {
            let text = answer.message.content.unwrap_or_default();
            if text.trim().is_empty() {
                return self.llm_decide(llm, Drafted::Escalate(EscalationReason::NoAnswerInKb));
            }
            if llm.shown.is_empty() {
                // Nothing retrieved, so nothing the reply can rest on.
                let resume = Resume::LlmSourceless {
                    message: llm.message,
                    text,
                };
                return self.patched(patches::LLM_REPLY_NEEDS_SOURCE, resume);
            }
            let cited = llm.shown.clone();
            return self.llm_decide(llm, Drafted::Reply { text, cited });
        }
        llm.calls = answer.message.tool_calls.iter().cloned().collect();
        llm.turns.push(answer.message);
        self.then_done([Task::LlmRound(Box::new(llm))])
    }

    pub(super) fn llm_sourceless(
        &mut self,
        message: InboundMessage,
        text: String,
        outcome: Outcome,
    ) -> Step {
        let drafted = if outcome == Outcome::Patched(true) {
            Drafted::Escalate(EscalationReason::NoAnswerInKb)
        } else {
            Drafted::Reply {
                text,
                cited: vec![],
            }
        };
        self.then_done([Task::Drafted { message, drafted }])
    }

    fn llm_tool(&mut self, mut llm: Llm, call: ToolCall) -> Step {
        match call.name.as_str() {
            "search_kb" => {
                let query = KbQuery {
                    ticket_id: self.ticket_id(),
                    query: tool_argument(&call.arguments, "query")
                        .unwrap_or_else(|| question(&llm.message)),
                    limit: 4,
                };
                let deadline = llm.deadline;
                self.raced(
                    Call::SearchKb(query),
                    deadline,
                    Resume::LlmSearched(Box::new(llm), call.id),
                )
            }
            "escalate" => {
                let reason = tool_argument(&call.arguments, "reason")
                    .and_then(|r| EscalationReason::parse(&r))
                    .unwrap_or(EscalationReason::NoAnswerInKb);
                self.llm_decide(llm, Drafted::Escalate(reason))
            }
            other => {
                llm.turns
                    .push(tool_turn(format!("unknown tool {other}"), call.id));
                self.then_done([Task::LlmRound(Box::new(llm))])
            }
        }
    }

    pub(super) fn llm_searched(&mut self, mut llm: Llm, call_id: String, outcome: Outcome) -> Step {
        let kb = match outcome {
            Outcome::Kb(kb) => kb,
            Outcome::Late => return self.llm_decide(llm, Drafted::Late),
            _ => return self.llm_decide(llm, Drafted::Escalate(EscalationReason::BotFailure)),
        };
        for p in &kb.passages {
            if !llm.shown.contains(&p.article_slug) {
                llm.shown.push(p.article_slug.clone());
            }
        }
        llm.turns.push(tool_turn(kb_tool_result(&kb), call_id));
        self.then_done([Task::LlmRound(Box::new(llm))])
    }
}

fn tool_turn(content: String, call_id: String) -> ChatTurn {
    ChatTurn {
        role: "tool".into(),
        content: Some(content),
        tool_calls: vec![],
        tool_call_id: Some(call_id),
    }
}
