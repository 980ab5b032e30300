//! Continuations: where a task goes on when the answer it awaited arrives.

use super::llm::Llm;
use super::steps::{Step, Task};
use super::{Outcome, Run};
use crate::InboundMessage;
use crate::lifecycle::{HumanAction, Phase};
use crate::ticket_io::*;

/// Where a task continues when its answer arrives.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resume {
    PolicyLoaded,
    // messages
    Forwarded(InboundMessage),
    Recorded(InboundMessage),
    WindowPatch {
        message: InboundMessage,
        recorded: RecordedInbound,
    },
    // `at`: when the first message was recorded (its SLA clock).
    MergePatch {
        message: InboundMessage,
        customer_id: String,
        at: i64,
    },
    FoundOpenTicket(InboundMessage, i64),
    MarkedMerged {
        message: InboundMessage,
        target: OpenTicket,
        at: i64,
    },
    HandedOver {
        message: InboundMessage,
        target: OpenTicket,
        at: i64,
    },
    // drafting
    Triaged {
        message: InboundMessage,
        deadline: Option<i64>,
    },
    Searched {
        message: InboundMessage,
        deadline: Option<i64>,
    },
    Drafted(InboundMessage),
    Checked {
        message: InboundMessage,
        text: String,
        cited: Vec<String>,
    },
    LlmAnswered(Box<Llm>),
    LlmSearched(Box<Llm>, String),
    LlmSourceless {
        message: InboundMessage,
        text: String,
    },
    // desk
    AckPatch {
        action: HumanAction,
        next: Phase,
    },
    EscalationNotified,
    // outbound
    Sent {
        kind: ReplyKind,
        author: String,
        text: String,
        at: i64,
        on_sent: Option<Box<Task>>,
    },
    UndeliverablePatch {
        kind: ReplyKind,
        note: String,
        on_sent: Option<Box<Task>>,
    },
    Notified,
    EventRecorded,
    Redelivered(DeliveryStatusInput),
    ClosedTicketReceipt(DeliveryStatusInput),
    ReceiptsOnLedger(DeliveryStatusInput),
    ReceiptRecorded(DeliveryStatusInput),
    EarlyAction(HumanAction),
}

impl Run<'_> {
    pub(super) fn resume(&mut self, resume: Resume, outcome: Outcome) -> Step {
        match resume {
            Resume::PolicyLoaded => {
                // No policy (the activity failed for good): the defaults.
                let policy = match outcome {
                    Outcome::Policy(p) => p,
                    _ => TicketPolicy::default(),
                };
                self.t.policy = Some(policy);
                Step::Done
            }
            Resume::Forwarded(m) => self.forwarded(m, outcome),
            Resume::Recorded(m) => self.recorded(m, outcome),
            Resume::WindowPatch { message, recorded } => {
                let window_timer = matches!(outcome, Outcome::Patched(true));
                self.apply_recorded(message, recorded, window_timer)
            }
            Resume::MergePatch {
                message,
                customer_id,
                at,
            } => self.merge_patch(message, customer_id, at, outcome),
            Resume::FoundOpenTicket(m, at) => self.found_open_ticket(m, at, outcome),
            Resume::MarkedMerged {
                message,
                target,
                at,
            } => self.marked_merged(message, target, at, outcome),
            Resume::HandedOver {
                message,
                target,
                at,
            } => self.handed_over(message, target, at, outcome),
            Resume::Triaged { message, deadline } => self.triaged(message, deadline, outcome),
            Resume::Searched { message, deadline } => self.searched(message, deadline, outcome),
            Resume::Drafted(m) => self.draft_done(m, outcome),
            Resume::Checked {
                message,
                text,
                cited,
            } => self.checked(message, text, cited, outcome),
            Resume::LlmAnswered(llm) => self.llm_answered(*llm, outcome),
            Resume::LlmSearched(llm, call_id) => self.llm_searched(*llm, call_id, outcome),
            Resume::LlmSourceless { message, text } => self.llm_sourceless(message, text, outcome),
            Resume::AckPatch { action, next } => {
                if outcome == Outcome::Patched(true) {
                    let agent = action.agent().to_owned();
                    self.then([
                        Task::RecordEvent {
                            event: "acknowledged",
                            detail: agent,
                        },
                        Task::ActionTail { action, next },
                    ]);
                } else {
                    self.then([Task::ActionTail { action, next }]);
                }
                Step::Done
            }
            Resume::EscalationNotified => {
                self.notify_failed(outcome, "the human queue did not accept an escalation")
            }
            Resume::Sent {
                kind,
                author,
                text,
                at,
                on_sent,
            } => self.sent(kind, author, text, at, on_sent, outcome),
            Resume::UndeliverablePatch {
                kind,
                note,
                on_sent,
            } => self.undeliverable_patched(kind, note, on_sent, outcome),
            Resume::Notified => {
                self.notify_failed(outcome, "the human queue did not accept a notice")
            }
            // A ticket event that could not be recorded is not worth stopping
            // the ticket for: the history still has it.
            Resume::EventRecorded => Step::Done,
            Resume::Redelivered(r) => self.redelivered(r, outcome),
            Resume::ClosedTicketReceipt(r) => match outcome {
                Outcome::Patched(true) => Step::Done,
                _ => self.delivery_failed(r),
            },
            Resume::EarlyAction(action) => self.early_action(action, outcome),
            Resume::ReceiptsOnLedger(r) => self.receipts_on_ledger(r, outcome),
            Resume::ReceiptRecorded(r) => self.receipt_recorded(r, outcome),
        }
    }
}
