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
    /// A delivery receipt: recorded on the send ledger (runs on the current
    /// code: the ledger has no other writer now), then applied.
    pub(super) fn receipt(&mut self, receipt: DeliveryStatusInput) -> Step {
        self.patched(
            patches::RECEIPTS_ON_LEDGER,
            Resume::ReceiptsOnLedger(receipt),
        )
    }

    pub(super) fn receipts_on_ledger(
        &mut self,
        receipt: DeliveryStatusInput,
        outcome: Outcome,
    ) -> Step {
        if outcome != Outcome::Patched(true) {
            return self.apply_receipt(receipt, false);
        }
        let call = Call::RecordReceipt(receipt.clone());
        self.call(call, Resume::ReceiptRecorded(receipt))
    }

    pub(super) fn receipt_recorded(
        &mut self,
        receipt: DeliveryStatusInput,
        outcome: Outcome,
    ) -> Step {
        // Not on the ledger (an unknown status, retries exhausted): the
        // ticket still acts on it, and the audit trail says so.
        if outcome != Outcome::Ok {
            self.then([Task::RecordEvent {
                event: "receipt_not_recorded",
                detail: receipt.provider_message_id.clone(),
            }]);
        }
        self.apply_receipt(receipt, true)
    }

    /// Shown on the ticket; a failure (once per provider message id:
    /// receipts repeat) is recorded and re-delivered. `current` runs count
    /// `canceled` as the failure it is; older ones replay as they ran.
    fn apply_receipt(&mut self, receipt: DeliveryStatusInput, current: bool) -> Step {
        let is_failure = |r: &DeliveryStatusInput| {
            if current {
                r.parsed_status().is_some_and(|s| s.is_failure())
            } else {
                r.is_failure()
            }
        };
        let s = &mut *self.t;
        let failure = is_failure(&receipt);
        // A late `sent` must not hide an earlier failure from the view.
        let shown_failed =
            s.view.last_delivery.as_ref().is_some_and(|d| {
                d.provider_message_id == receipt.provider_message_id && is_failure(d)
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
