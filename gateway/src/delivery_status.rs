//! Delivery receipts: a Twilio status callback is recorded on the send
//! ledger row and signalled to the ticket that sent the message, so a
//! failed delivery is visible on the ticket and starts its fallback.
//!
//! Callbacks arrive out of order (`delivered` may overtake `sent`); the
//! ledger keeps the furthest status, the ticket keeps every failure.

use crate::error::ApiError;
use crate::state::AppState;
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

/// Whether a status of `new_rank` is recorded over `current`: the furthest
/// status wins, so a late `delivered` never overwrites `failed`.
fn advances(current: Option<&str>, new_rank: usize) -> bool {
    current.and_then(rank).is_none_or(|r| new_rank >= r)
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
        .db
        .as_ref()
        .ok_or_else(|| ApiError::Unavailable("no Postgres pool in this process".into()))?;
    let mut tx = pool
        .begin()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    // The ledger takes the same lock when it records a message id, so a
    // receipt is either found on its row or parked where the ledger looks.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
        .bind(sid)
        .execute(&mut *tx)
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
        // A receipt that overtook our own ledger write (or a message of
        // another app on the account): parked for the ledger to hand over.
        park_early_receipt(
            &mut tx,
            sid,
            &status,
            status_rank,
            &error_code,
            &error_message,
        )
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        tx.commit()
            .await
            .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        tracing::info!("status callback before its send was recorded; parked");
        return Ok(StatusCode::OK);
    };
    if advances(current.as_deref(), status_rank) {
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
            serde_json::to_value(&input).unwrap_or_default(),
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

/// Keeps a receipt for a message id the ledger has not recorded yet (by
/// the same furthest-status rule as the ledger row), and drops receipts
/// that waited a day: those were never ours.
async fn park_early_receipt(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    sid: &str,
    status: &str,
    status_rank: usize,
    error_code: &str,
    error_message: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM early_receipts WHERE received_at < now() - interval '1 day'")
        .execute(&mut **tx)
        .await?;
    // The advisory lock on `sid` is held: nobody parks this id meanwhile.
    let parked: Option<String> =
        sqlx::query_scalar("SELECT status FROM early_receipts WHERE provider_message_id = $1")
            .bind(sid)
            .fetch_optional(&mut **tx)
            .await?;
    if !advances(parked.as_deref(), status_rank) {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO early_receipts (provider_message_id, status, error_code, error_message)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (provider_message_id) DO UPDATE
             SET status = EXCLUDED.status, error_code = EXCLUDED.error_code,
                 error_message = EXCLUDED.error_message",
    )
    .bind(sid)
    .bind(status)
    .bind(error_code)
    .bind(error_message)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
