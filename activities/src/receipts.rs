//! Delivery receipts onto the send ledger. A receipt reaches the ticket as
//! its `delivery_status` signal (the gateway only verifies and routes it);
//! the ticket hands it to [`record`], which keeps the furthest status on
//! the ledger row ([`DeliveryStatus::supersedes`]): receipts repeat and
//! arrive out of order, and a late `delivered` never hides a `failed`.
//!
//! The ticket handles a receipt after the send activity that produced the
//! message id returned, so the row is normally there; a receipt for an id
//! the ledger does not know (another app on the account, a send whose
//! recording died) is reported as unknown, not parked.

use sqlx::PgPool;
use steward_domain::DeliveryStatus;
use steward_workflows::contracts::{DeliveryStatusInput, ReceiptRecorded};

#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error("unknown delivery status {0:?}")]
    UnknownStatus(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Records `receipt` on the ledger row of its message.
pub async fn record(
    pool: &PgPool,
    receipt: &DeliveryStatusInput,
) -> Result<ReceiptRecorded, ReceiptError> {
    let status = DeliveryStatus::parse(&receipt.status)
        .ok_or_else(|| ReceiptError::UnknownStatus(receipt.status.clone()))?;
    let mut tx = pool.begin().await?;
    // Row locks serialise receipts for the same message (two signals
    // handled by two activity attempts must not both read the old status).
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT idempotency_key, delivery_status FROM outbound_sends
         WHERE provider_message_id = $1 FOR UPDATE",
    )
    .bind(&receipt.provider_message_id)
    .fetch_all(&mut *tx)
    .await?;
    let mut recorded = ReceiptRecorded {
        known: !rows.is_empty(),
        advanced: false,
    };
    let error = format!("{} {}", receipt.error_code, receipt.error_message);
    for (key, current) in rows {
        // A status this version no longer knows is treated as no status.
        let current = current.as_deref().and_then(DeliveryStatus::parse);
        if !status.supersedes(current) {
            continue;
        }
        sqlx::query(
            "UPDATE outbound_sends SET delivery_status = $2, delivery_error = NULLIF($3, ''),
                    delivery_updated_at = now()
             WHERE idempotency_key = $1",
        )
        .bind(&key)
        .bind(status.as_str())
        .bind(error.trim())
        .execute(&mut *tx)
        .await?;
        recorded.advanced = true;
    }
    tx.commit().await?;
    if !recorded.known {
        tracing::info!(provider_message_id = %receipt.provider_message_id, "receipt for a message the ledger does not know");
    }
    Ok(recorded)
}
