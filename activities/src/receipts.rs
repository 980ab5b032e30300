//! The ledger's half of delivery receipts that overtake the send: when a
//! provider message id is recorded, a receipt the gateway parked for it
//! (see migration `early_receipts`) is applied to the ledger row and
//! returned to the ticket with the send's outcome.

use sqlx::{Postgres, Transaction};
use steward_workflows::contracts::DeliveryStatusInput;

/// Serialises this transaction with the gateway's receipt handling for
/// the same message id (same key: `hashtext` of the id).
pub(crate) async fn lock_message_id(
    tx: &mut Transaction<'_, Postgres>,
    provider_message_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
        .bind(provider_message_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The receipt that arrived before `provider_message_id` was recorded, if
/// any, applied to its ledger row. Kept (not deleted): a retried send that
/// finds the row already `sent` returns it again, and the ticket handles a
/// failure once per message id.
pub(crate) async fn take_early_receipt(
    tx: &mut Transaction<'_, Postgres>,
    provider_message_id: &str,
) -> Result<Vec<DeliveryStatusInput>, sqlx::Error> {
    let parked: Option<(String, String, String)> = sqlx::query_as(
        "SELECT status, error_code, error_message FROM early_receipts WHERE provider_message_id = $1",
    )
    .bind(provider_message_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((status, error_code, error_message)) = parked else {
        return Ok(Vec::new());
    };
    sqlx::query(
        "UPDATE outbound_sends SET delivery_status = $2, delivery_error = NULLIF($3, ''),
                delivery_updated_at = now()
         WHERE provider_message_id = $1 AND delivery_status IS NULL",
    )
    .bind(provider_message_id)
    .bind(&status)
    .bind(format!("{error_code} {error_message}").trim())
    .execute(&mut **tx)
    .await?;
    Ok(vec![DeliveryStatusInput {
        provider_message_id: provider_message_id.to_owned(),
        status,
        error_code,
        error_message,
    }])
}
