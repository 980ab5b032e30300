//! Delivery receipts: a Twilio status callback is recorded on the send
//! ledger row and signalled to the ticket that sent the message, so a
//! failed delivery is visible on the ticket and starts its fallback.
//!
//! Callbacks arrive out of order (`delivered` may overtake `sent`); the
//! ledger keeps the furthest status, the ticket keeps every failure.

use crate::app::AppState;
use crate::error::ApiError;
use axum::http::StatusCode;
use steward_workflows::{DeliveryStatusInput, TicketWorkflow};
use temporalio_client::WorkflowSignalOptions;
use temporalio_client::errors::WorkflowInteractionError;

/// Twilio's `MessageStatus` values, in the order a message moves through them.
const PROGRESSION: &[&str] = &[
    "accepted",
    "scheduled",
    "queued",
    "sending",
    "sent",
    "receiving",
    "received",
    "partially_delivered",
    "delivered",
    "read",
];
/// Terminal failures: rank above everything, never overwritten.
const FAILURES: &[&str] = &["failed", "undelivered", "canceled"];

fn rank(status: &str) -> Option<usize> {
    PROGRESSION
        .iter()
        .position(|s| *s == status)
        .or_else(|| FAILURES.contains(&status).then_some(PROGRESSION.len()))
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// Records and routes one verified status callback.
#[tracing::instrument(skip_all, fields(sid, status))]
pub(crate) async fn accept(
    state: &AppState,
    params: &[(String, String)],
) -> Result<StatusCode, ApiError> {
    let sid = param(params, "MessageSid")
        .or_else(|| param(params, "SmsSid"))
        .ok_or_else(|| ApiError::BadRequest("required parameter MessageSid is missing".into()))?;
    let status = param(params, "MessageStatus")
        .or_else(|| param(params, "SmsStatus"))
        .ok_or_else(|| ApiError::BadRequest("required parameter MessageStatus is missing".into()))?
        .to_ascii_lowercase();
    let status_rank = rank(&status)
        .ok_or_else(|| ApiError::BadRequest(format!("unknown MessageStatus {status:?}")))?;
    tracing::Span::current()
        .record("sid", sid)
        .record("status", status.as_str());
    let error_code = param(params, "ErrorCode").unwrap_or("").to_owned();
    let error_message = param(params, "ErrorMessage").unwrap_or("").to_owned();
    let pool = state
        .readiness
        .postgres
        .as_ref()
        .ok_or_else(|| ApiError::Unavailable("no Postgres pool in this process".into()))?;
    let mut tx = pool
        .begin()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let row: Option<(Option<String>, String)> = sqlx::query_as(
        "SELECT o.delivery_status, t.workflow_id FROM outbound_sends o JOIN tickets t ON t.id = o.ticket_id
         WHERE o.provider_message_id = $1 FOR UPDATE OF o",
    )
    .bind(sid)
    .fetch_optional(&mut *tx)
    .await
    .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let Some((current, workflow_id)) = row else {
        // Not a message we sent (another app on the account), or a receipt
        // that overtook our own ledger write; nothing to route.
        tracing::info!("status callback for a message not in the send ledger");
        return Ok(StatusCode::OK);
    };
    if current
        .as_deref()
        .and_then(rank)
        .is_none_or(|r| status_rank >= r)
    {
        sqlx::query(
            "UPDATE outbound_sends SET delivery_status = $2, delivery_error = NULLIF($3, ''),
                    delivery_updated_at = now() WHERE provider_message_id = $1",
        )
        .bind(sid)
        .bind(&status)
        .bind(format!("{error_code} {error_message}").trim())
        .execute(&mut *tx)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    }
    let client = state
        .readiness
        .temporal
        .as_ref()
        .ok_or_else(|| ApiError::Unavailable("no Temporal client in this process".into()))?;
    let input = DeliveryStatusInput {
        provider_message_id: sid.to_owned(),
        status,
        error_code,
        error_message,
    };
    // Signalled before the ledger commit: if Temporal refuses, Twilio's
    // retry finds the row unchanged and tries again.
    let signalled = client
        .get_workflow_handle::<TicketWorkflow>(workflow_id)
        .signal(
            TicketWorkflow::delivery_status,
            input,
            WorkflowSignalOptions::default(),
        )
        .await;
    match signalled {
        Ok(()) => {}
        // The ticket is closed: the receipt is recorded, nobody to tell.
        Err(WorkflowInteractionError::NotFound(_)) => {
            tracing::info!("status callback for a finished ticket");
        }
        Err(err) => return Err(ApiError::Unavailable(err.to_string())),
    }
    tx.commit()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(StatusCode::OK)
}
