//! Delivery receipts. Every receipt updates the ticket's view; a failure
//! (`failed`, `undelivered`) is recorded as a ticket event and the reply is
//! re-sent by email when the customer has an address, otherwise humans are
//! told. Receipts repeat and arrive out of order, so a failure is handled
//! once per provider message id.

use super::effects;
use super::state::DeliveryStatusInput;
use super::support::{self, Ctx};
use crate::contracts::*;
use temporalio_workflow::WorkflowResult;

pub(super) async fn delivery_receipt(
    ctx: &Ctx,
    receipt: DeliveryStatusInput,
) -> WorkflowResult<()> {
    let first_failure = ctx.state_mut(|w| {
        let s = &mut w.s;
        let failure = receipt.is_failure();
        // A late `sent` must not hide an earlier failure from the view.
        let shown_failed = s.view.last_delivery.as_ref().is_some_and(|d| {
            d.provider_message_id == receipt.provider_message_id && d.is_failure()
        });
        if failure || !shown_failed {
            s.view.last_delivery = Some(receipt.clone());
        }
        let first = failure
            && s.failed_deliveries
                .insert(receipt.provider_message_id.clone());
        if first {
            s.view.delivery_failures += 1;
        }
        first
    });
    if !first_failure {
        return Ok(());
    }
    let detail = format!(
        "{} {}: {} {}",
        receipt.provider_message_id, receipt.status, receipt.error_code, receipt.error_message
    );
    effects::record_event(ctx, "delivery_failed", detail.trim()).await?;
    let input = ctx.state(|w| RedeliverInput {
        ticket_key: w.s.ticket_key.clone(),
        ticket_id: w.s.view.ticket_id.clone().unwrap_or_default(),
        failed_provider_message_id: receipt.provider_message_id.clone(),
        idempotency_key: format!(
            "{}:redeliver:{}",
            w.s.ticket_key, receipt.provider_message_id
        ),
        correlation_id: w.s.correlation_id.clone(),
    });
    let ticket_id = input.ticket_id.clone();
    let outcome = ctx
        .execute_activity(RedeliverFailed, input, support::sending())
        .await?;
    match outcome.via {
        Some(via) => {
            let detail = format!("re-sent by {via} after {}", receipt.status);
            effects::record_event(ctx, "redelivered", &detail).await
        }
        None => {
            let notice = NoticeInput {
                ticket_id,
                kind: NoticeKind::DeliveryFailed,
                tier: 1,
                text: format!(
                    "A reply was {} ({} {}) and the customer has no other address; please follow up.",
                    receipt.status, receipt.error_code, receipt.error_message
                ),
            };
            effects::notify_humans(ctx, notice).await
        }
    }
}
