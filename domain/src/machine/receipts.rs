//! Delivery receipts of our replies: every receipt updates the ticket's
//! view; a failure (once per provider message id: receipts repeat and
//! arrive out of order) is recorded and the reply re-sent another way, or a
//! person is told.

use super::resume::Resume;
use super::steps::{Step, Task};
use super::{Call, Outcome, Run, patches};
use crate::lifecycle::Phase;
use crate::ticket_io::*;

impl Run<'_> {
    /// A delivery receipt: shown on the ticket; a failure (once per
    /// provider message id, receipts repeat) is recorded and re-delivered.
    pub(super) fn receipt(&mut self, receipt: DeliveryStatusInput) -> Step {
        let s = &mut *self.t;
        let failure = receipt.is_failure();
        // A late `sent` must not hide an earlier failure from the view.
        let shown_failed = s.view.last_delivery.as_ref().is_some_and(|d| {
            d.provider_message_id == receipt.provider_message_id && d.is_failure()
        });
        if failure || !shown_failed {
            s.view.last_delivery = Some(receipt.clone());
        }
        let first_failure = failure
            && s.failed_deliveries
                .insert(receipt.provider_message_id.clone());
        if !first_failure {
            return Step::Done;
        }
        s.view.delivery_failures += 1;
        if s.view.phase == Phase::Closed {
            // A closed ticket re-sends nothing: its run is ending.
            let resume = Resume::ClosedTicketReceipt(receipt);
            return self.patched(patches::CLOSED_TICKET_SENDS_NOTHING, resume);
        }
        self.delivery_failed(receipt)
    }

    /// A failed delivery: recorded, and the reply re-sent another way.
    pub(super) fn delivery_failed(&mut self, receipt: DeliveryStatusInput) -> Step {
        let detail = format!(
            "{} {}: {} {}",
            receipt.provider_message_id, receipt.status, receipt.error_code, receipt.error_message
        );
        self.then_done([
            Task::RecordEvent {
                event: "delivery_failed",
                detail: detail.trim().to_owned(),
            },
            Task::Redeliver(receipt),
        ])
    }

    pub(super) fn redeliver(&mut self, receipt: DeliveryStatusInput) -> Step {
        let s = &*self.t;
        let input = RedeliverInput {
            ticket_key: s.ticket_key.clone(),
            ticket_id: s.view.ticket_id.clone().unwrap_or_default(),
            failed_provider_message_id: receipt.provider_message_id.clone(),
            idempotency_key: format!("{}:redeliver:{}", s.ticket_key, receipt.provider_message_id),
            correlation_id: s.correlation_id.clone(),
        };
        self.call(Call::Redeliver(input), Resume::Redelivered(receipt))
    }

    pub(super) fn redelivered(&mut self, receipt: DeliveryStatusInput, outcome: Outcome) -> Step {
        if let Outcome::Redelivered(RedeliveryOutcome { via: Some(via), .. }) = outcome {
            let detail = format!("re-sent by {via} after {}", receipt.status);
            return self.then_done([Task::RecordEvent {
                event: "redelivered",
                detail,
            }]);
        }
        let notice = NoticeInput {
            ticket_id: self.ticket_id(),
            kind: NoticeKind::DeliveryFailed,
            tier: 1,
            text: format!(
                "A reply was {} ({} {}) and the customer has no other address; please follow up.",
                receipt.status, receipt.error_code, receipt.error_message
            ),
        };
        self.then_done([Task::Notify(notice)])
    }
}
