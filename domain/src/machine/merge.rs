//! One customer, one conversation: the first message of a new conversation
//! whose sender already has an open ticket is handed to that ticket and this
//! one closes as merged; later messages to a merged ticket follow it.

use super::resume::Resume;
use super::steps::{Step, Task};
use super::{Call, Outcome, Run};
use crate::InboundMessage;
use crate::lifecycle::Phase;
use crate::ticket_io::*;

impl Run<'_> {
    /// A message for a run that was merged away went on, or is noted.
    pub(super) fn forwarded(&mut self, message: InboundMessage, outcome: Outcome) -> Step {
        if outcome != Outcome::HandedOver(true) {
            let detail = format!(
                "message {} arrived after the merge and could not be handed over",
                message.provider_message_id
            );
            return self.then_done([Task::RecordEvent {
                event: "merge_forward_failed",
                detail,
            }]);
        }
        Step::Done
    }

    pub(super) fn merge_patch(
        &mut self,
        message: InboundMessage,
        customer_id: String,
        at: i64,
        outcome: Outcome,
    ) -> Step {
        if outcome != Outcome::Patched(true) {
            return self.open_as_its_own(message, at);
        }
        let query = OpenTicketQuery {
            ticket_key: self.t.ticket_key.clone(),
            customer_id,
            workflow_id: self.t.workflow_id.clone(),
            provider_message_id: message.provider_message_id.clone(),
        };
        self.call(
            Call::FindOpenTicket(query),
            Resume::FoundOpenTicket(message, at),
        )
    }

    pub(super) fn found_open_ticket(
        &mut self,
        message: InboundMessage,
        at: i64,
        outcome: Outcome,
    ) -> Step {
        let Outcome::OpenTicket(Some(target)) = outcome else {
            return self.open_as_its_own(message, at);
        };
        // The message row moves first, so the other ticket finds it recorded.
        let input = MergeInput {
            ticket_key: self.t.ticket_key.clone(),
            provider_message_id: message.provider_message_id.clone(),
            into_ticket_id: target.ticket_id.clone(),
        };
        self.call(
            Call::MarkMerged(input),
            Resume::MarkedMerged {
                message,
                target,
                at,
            },
        )
    }

    pub(super) fn marked_merged(
        &mut self,
        message: InboundMessage,
        target: OpenTicket,
        at: i64,
        outcome: Outcome,
    ) -> Step {
        if outcome != Outcome::Ok {
            // The row did not move: no hand-over, this ticket carries on.
            let detail = format!("the message could not be moved to {}", target.ticket_id);
            return self.merge_failed(message, at, detail);
        }
        let workflow_id = target.workflow_id.clone();
        self.hand_over(
            workflow_id,
            message.clone(),
            Resume::HandedOver {
                message,
                target,
                at,
            },
        )
    }

    /// No merge after all: recorded, and this ticket opens as its own.
    fn merge_failed(&mut self, message: InboundMessage, at: i64, detail: String) -> Step {
        // The agenda is a stack: the opening is queued first so that the
        // event is recorded before it, as before.
        self.open_as_its_own(message, at);
        self.then_done([Task::RecordEvent {
            event: "merge_failed",
            detail,
        }])
    }

    /// No open ticket to join: this conversation opens its own.
    fn open_as_its_own(&mut self, message: InboundMessage, at: i64) -> Step {
        self.then_done([Task::AfterMergeCheck {
            message,
            first_contact: true,
            at,
        }])
    }

    pub(super) fn handed_over(
        &mut self,
        message: InboundMessage,
        target: OpenTicket,
        at: i64,
        outcome: Outcome,
    ) -> Step {
        if outcome != Outcome::HandedOver(true) {
            // The other ticket closed in between: this one carries on (the
            // event also puts its row back to this run's status).
            let detail = format!("{} closed before the hand-over", target.ticket_id);
            return self.merge_failed(message, at, detail);
        }
        self.t.view.merged_into = Some(target.ticket_id.clone());
        self.t.merged_into_workflow = Some(target.workflow_id.clone());
        self.t.set_phase(Phase::Closed);
        self.publish();
        if let Some(evidence) = &target.linked_by_this_message {
            // A claim, not a proof: whoever owns the ticket should know.
            let notice = NoticeInput {
                ticket_id: target.ticket_id.clone(),
                kind: NoticeKind::UnverifiedLink,
                tier: 1,
                text: format!(
                    "{} {} joined this ticket by stating it is this customer (\"{evidence}\"); verify before sharing account details.",
                    message.channel, message.sender.value
                ),
            };
            return self.then_done([Task::Notify(notice)]);
        }
        Step::Done
    }
}
