//! The bot's answer, raced against the first-response deadline until the
//! first reply has gone out: triage, then retrieval and the offline
//! responder or the LLM with tools, then the reply check, then the send.

use super::llm::Llm;
use super::resume::Resume;
use super::steps::{Step, Task};
use super::{Call, Outcome, Run};
use crate::lifecycle::Phase;
use crate::ticket_io::*;
use crate::{EscalationReason, InboundMessage};

/// What drafting decided.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Drafted {
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

/// A drafting step's answer, or what drafting decided because of it: late
/// when the deadline won, a bot failure when the activity failed for good.
fn step_result(outcome: Outcome) -> Result<Outcome, Drafted> {
    match outcome {
        Outcome::Late => Err(Drafted::Late),
        Outcome::Failed(_) => Err(Drafted::Escalate(EscalationReason::BotFailure)),
        other => Ok(other),
    }
}

/// The text the KB is searched with: subject and body.
pub(super) fn question(message: &InboundMessage) -> String {
    if message.subject.is_empty() {
        message.body.clone()
    } else {
        format!("{}\n{}", message.subject, message.body)
    }
}

impl Run<'_> {
    pub(super) fn bot_answer(&mut self, message: InboundMessage) -> Step {
        let deadline = self.t.view.deadlines.first_response_unix_ms;
        let input = TriageInput {
            ticket_id: self.ticket_id(),
            subject: message.subject.clone(),
            body: message.body.clone(),
        };
        self.raced(
            Call::Triage(input),
            deadline,
            Resume::Triaged { message, deadline },
        )
    }

    fn decide(&mut self, message: InboundMessage, drafted: Drafted) -> Step {
        self.then_done([Task::Drafted { message, drafted }])
    }

    pub(super) fn triaged(
        &mut self,
        message: InboundMessage,
        deadline: Option<i64>,
        outcome: Outcome,
    ) -> Step {
        let triage = match step_result(outcome) {
            Ok(Outcome::Triaged(t)) => t,
            Ok(_) => return self.decide(message, Drafted::Escalate(EscalationReason::BotFailure)),
            Err(drafted) => return self.decide(message, drafted),
        };
        if let Some(reason) = triage.escalate {
            return self.decide(message, Drafted::Escalate(reason));
        }
        match self.policy().drafting {
            DraftingMode::Offline => {
                let query = KbQuery {
                    ticket_id: self.ticket_id(),
                    query: question(&message),
                    limit: 5,
                };
                self.raced(
                    Call::SearchKb(query),
                    deadline,
                    Resume::Searched { message, deadline },
                )
            }
            DraftingMode::Llm => {
                let llm = Llm::start(self.t, message, deadline);
                self.then_done([Task::LlmRound(Box::new(llm))])
            }
        }
    }

    pub(super) fn searched(
        &mut self,
        message: InboundMessage,
        deadline: Option<i64>,
        outcome: Outcome,
    ) -> Step {
        let kb = match step_result(outcome) {
            Ok(Outcome::Kb(kb)) => kb,
            Ok(_) => return self.decide(message, Drafted::Escalate(EscalationReason::BotFailure)),
            Err(drafted) => return self.decide(message, drafted),
        };
        let input = DraftInput {
            ticket_id: self.ticket_id(),
            channel: message.channel,
            customer_name: self.t.customer_name.clone(),
            question: question(&message),
            kb,
            min_confidence: self.policy().min_kb_confidence,
        };
        self.raced(Call::Draft(input), deadline, Resume::Drafted(message))
    }

    pub(super) fn draft_done(&mut self, message: InboundMessage, outcome: Outcome) -> Step {
        let drafted = match step_result(outcome) {
            Ok(Outcome::Drafted(Draft {
                text: Some(text),
                cited_articles,
                ..
            })) => Drafted::Reply {
                text,
                cited: cited_articles,
            },
            Ok(Outcome::Drafted(_)) => Drafted::Escalate(EscalationReason::NoAnswerInKb),
            Ok(_) => Drafted::Escalate(EscalationReason::BotFailure),
            Err(drafted) => drafted,
        };
        self.decide(message, drafted)
    }

    pub(super) fn drafted(&mut self, message: InboundMessage, drafted: Drafted) -> Step {
        let reason = match drafted {
            Drafted::Late => EscalationReason::SlaFirstResponse,
            Drafted::Escalate(reason) => reason,
            Drafted::Reply { text, cited } => {
                let check = CheckReplyInput {
                    channel: message.channel,
                    text: text.clone(),
                };
                return self.call(
                    Call::CheckReply(check),
                    Resume::Checked {
                        message,
                        text,
                        cited,
                    },
                );
            }
        };
        self.then_done([Task::Escalate {
            reason,
            summary: message.body,
        }])
    }

    pub(super) fn checked(
        &mut self,
        message: InboundMessage,
        text: String,
        cited: Vec<String>,
        outcome: Outcome,
    ) -> Step {
        // A check that could not run is a check that did not pass.
        if !matches!(&outcome, Outcome::Checked(problems) if problems.is_empty()) {
            return self.then_done([Task::Escalate {
                reason: EscalationReason::DraftRejected,
                summary: message.body,
            }]);
        }
        self.then_done([Task::Send {
            kind: ReplyKind::Bot,
            author: "bot".into(),
            text,
            on_sent: Some(Box::new(Task::AfterBotReply { cited })),
        }])
    }

    pub(super) fn after_bot_reply(&mut self, cited: Vec<String>) -> Step {
        let now = self.now;
        let s = &mut *self.t;
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
        self.publish();
        // The audit row names the articles the answer rests on.
        let detail = if cited.is_empty() {
            String::new()
        } else {
            format!("cited: {}", cited.join(", "))
        };
        self.then_done([Task::RecordEvent {
            event: "bot_replied",
            detail,
        }])
    }
}
