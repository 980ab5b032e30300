//! The ledger row of one send and its states:
//!
//! `pending`/`failed` → `sending` (committed before the provider call) →
//! `sent` | `undeliverable` | `failed` (nothing left us; a retry sends) |
//! `uncertain` (it may have left us and the provider could not say).
//! A retry that finds `sending` or `uncertain` asks the provider first.

use super::SendError;
use crate::channels::Delivered;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use steward_workflows::contracts::{SendInput, SendOutcome, SendStatus};
use uuid::Uuid;

/// What the row says this attempt should do.
pub(super) enum Claim {
    /// Settled by an earlier attempt: the same outcome again.
    Settled(SendOutcome),
    /// An earlier attempt began at this time and never finished.
    Ambiguous(DateTime<Utc>),
    /// This attempt sends; it began at this time (the row is `sending`).
    Go(DateTime<Utc>),
}

pub(super) fn outcome(status: SendStatus, id: Option<String>, note: String) -> SendOutcome {
    SendOutcome {
        status,
        provider_message_id: id,
        via: None,
        note,
        early_receipts: Vec::new(),
        reconciled: false,
    }
}

/// Finds or creates the row for `input` and decides; the ticket's row id.
pub(super) async fn claim(pool: &PgPool, input: &SendInput) -> Result<(Uuid, Claim), SendError> {
    let mut tx = pool.begin().await?;
    let ticket: Option<Uuid> = sqlx::query_scalar("SELECT id FROM tickets WHERE ticket_key = $1")
        .bind(&input.ticket_key)
        .fetch_optional(&mut *tx)
        .await?;
    let ticket = ticket.ok_or_else(|| SendError::UnknownTicket(input.ticket_id.clone()))?;
    sqlx::query(
        "INSERT INTO outbound_sends (idempotency_key, ticket_id, channel, recipient, body, kind)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(&input.idempotency_key)
    .bind(ticket)
    .bind(input.channel.as_str())
    .bind(&input.recipient)
    .bind(&input.text)
    .bind(input.kind.as_str())
    .execute(&mut *tx)
    .await?;
    let (state, provider_id, last_error, began): (
        String,
        Option<String>,
        Option<String>,
        DateTime<Utc>,
    ) = sqlx::query_as(
        "SELECT state, provider_message_id, last_error, coalesce(attempted_at, created_at)
             FROM outbound_sends WHERE idempotency_key = $1 FOR UPDATE",
    )
    .bind(&input.idempotency_key)
    .fetch_one(&mut *tx)
    .await?;
    let claim = match state.as_str() {
        "sent" => Claim::Settled(outcome(SendStatus::AlreadySent, provider_id, String::new())),
        "undeliverable" => Claim::Settled(outcome(
            SendStatus::Undeliverable,
            None,
            last_error.unwrap_or_default(),
        )),
        "sending" | "uncertain" => Claim::Ambiguous(began),
        _ => Claim::Go(begin_in(&mut tx, &input.idempotency_key).await?),
    };
    tx.commit().await?;
    Ok((ticket, claim))
}

async fn begin_in(tx: &mut sqlx::PgConnection, key: &str) -> Result<DateTime<Utc>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE outbound_sends SET state = 'sending', attempts = attempts + 1, attempted_at = now()
         WHERE idempotency_key = $1 RETURNING attempted_at",
    )
    .bind(key)
    .fetch_one(tx)
    .await
}

/// A new attempt after the provider said an earlier one was not sent.
pub(super) async fn begin(pool: &PgPool, key: &str) -> Result<DateTime<Utc>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    begin_in(&mut conn, key).await
}

/// Ends an unfinished attempt in `state` (never overwrites a settled row).
pub(super) async fn mark(
    pool: &PgPool,
    key: &str,
    state: &str,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE outbound_sends SET state = $2, last_error = $3
         WHERE idempotency_key = $1 AND state IN ('pending', 'sending', 'uncertain', 'failed')",
    )
    .bind(key)
    .bind(state)
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

/// Of `ids`, those the ledger already holds for other sends.
pub(super) async fn recorded_elsewhere(
    pool: &PgPool,
    key: &str,
    ids: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT provider_message_id FROM outbound_sends
         WHERE provider_message_id = ANY($1) AND idempotency_key <> $2",
    )
    .bind(ids)
    .bind(key)
    .fetch_all(pool)
    .await
}

/// The row becomes `sent` and the transcript gets the outbound message.
pub(super) async fn record_sent(
    pool: &PgPool,
    input: &SendInput,
    ticket: Uuid,
    delivered: &Delivered,
    reconciled: bool,
) -> Result<(), sqlx::Error> {
    let via = delivered.via.unwrap_or(input.channel);
    let mut tx = pool.begin().await?;
    sqlx::query(
        "UPDATE outbound_sends SET state = 'sent', provider_message_id = $2, sent_at = now(),
                last_error = NULL, delivered_via = $3, reconciled = $4
         WHERE idempotency_key = $1 AND state <> 'sent'",
    )
    .bind(&input.idempotency_key)
    .bind(&delivered.provider_message_id)
    .bind(via.as_str())
    .bind(reconciled)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO messages (id, ticket_id, direction, channel, provider_message_id, sender, body,
                               correlation_id, received_at)
         VALUES ($1, $2, 'outbound', $3, $4, $5, $6, $7, now())
         ON CONFLICT (channel, provider_message_id) DO NOTHING",
    )
    .bind(Uuid::new_v4())
    .bind(ticket)
    .bind(via.as_str())
    .bind(&delivered.provider_message_id)
    .bind(&input.author)
    .bind(&input.text)
    .bind(&input.correlation_id)
    .execute(&mut *tx)
    .await?;
    let last_inbound: Option<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT max(received_at) FROM messages WHERE ticket_id = $1 AND direction = 'inbound'",
    )
    .bind(ticket)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    if let Some(at) = last_inbound {
        let seconds = (Utc::now() - at).num_milliseconds().max(0) as f64 / 1000.0;
        crate::metrics::REPLY_SECONDS
            .with_label_values(&[input.channel.as_str(), input.kind.as_str()])
            .observe(seconds);
    }
    Ok(())
}
