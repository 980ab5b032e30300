//! The outbound send ledger: at most one delivery per idempotency key.
//!
//! Before calling a provider the row moves to `sending` (committed); after,
//! to `sent` with the provider id, and the outbound message row is written.
//! A retry that finds `sent` returns it; one that finds `sending` knows an
//! earlier attempt died mid-call and cannot tell whether the provider got
//! it, so it does not resend (never twice) and reports `uncertain`.

use crate::channels::{Channels, DeliveryError, Outgoing};
use sqlx::PgPool;
use steward_workflows::contracts::{SendInput, SendOutcome, SendStatus};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("ticket {0} has no row")]
    UnknownTicket(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
}

pub async fn send(
    pool: &PgPool,
    channels: &Channels,
    input: &SendInput,
) -> Result<SendOutcome, SendError> {
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
    let (state, provider_id): (String, Option<String>) = sqlx::query_as(
        "SELECT state, provider_message_id FROM outbound_sends WHERE idempotency_key = $1 FOR UPDATE",
    )
    .bind(&input.idempotency_key)
    .fetch_one(&mut *tx)
    .await?;
    match state.as_str() {
        "sent" => {
            let early_receipts = match &provider_id {
                Some(id) => crate::receipts::take_early_receipt(&mut tx, id).await?,
                None => Vec::new(),
            };
            return Ok(SendOutcome {
                status: SendStatus::AlreadySent,
                provider_message_id: provider_id,
                via: None,
                note: String::new(),
                early_receipts,
            });
        }
        "sending" | "uncertain" => {
            sqlx::query("UPDATE outbound_sends SET state = 'uncertain' WHERE idempotency_key = $1")
                .bind(&input.idempotency_key)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::warn!(key = %input.idempotency_key, "earlier send attempt died mid-call; not resending");
            return Ok(SendOutcome {
                status: SendStatus::Uncertain,
                provider_message_id: None,
                via: None,
                note: String::new(),
                early_receipts: Vec::new(),
            });
        }
        _ => {}
    }
    sqlx::query("UPDATE outbound_sends SET state = 'sending', attempts = attempts + 1 WHERE idempotency_key = $1")
        .bind(&input.idempotency_key)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;

    let fallback_email = match input.whatsapp_window_open {
        Some(false) => customer_email(pool, ticket).await?,
        _ => None,
    };
    let outgoing = Outgoing {
        channel: Some(input.channel),
        recipient: &input.recipient,
        text: &input.text,
        customer_name: &input.customer_name,
        subject: &input.subject,
        conversation_key: &input.conversation_key,
        in_reply_to: &input.in_reply_to,
        idempotency_key: &input.idempotency_key,
        ticket_id: &input.ticket_id,
        whatsapp_window_open: input.whatsapp_window_open,
        fallback_email: fallback_email.as_deref(),
    };
    match channels.deliver(&outgoing).await {
        Ok(delivered) => {
            let provider_message_id = delivered.provider_message_id;
            let via = delivered.via.unwrap_or(input.channel);
            let mut tx = pool.begin().await?;
            crate::receipts::lock_message_id(&mut tx, &provider_message_id).await?;
            sqlx::query(
                "UPDATE outbound_sends SET state = 'sent', provider_message_id = $2, sent_at = now(), last_error = NULL,
                        delivered_via = $3
                 WHERE idempotency_key = $1",
            )
            .bind(&input.idempotency_key)
            .bind(&provider_message_id)
            .bind(via.as_str())
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
            .bind(&provider_message_id)
            .bind(&input.author)
            .bind(&input.text)
            .bind(&input.correlation_id)
            .execute(&mut *tx)
            .await?;
            let last_inbound: Option<chrono::DateTime<chrono::Utc>> = sqlx::query_scalar(
                "SELECT max(received_at) FROM messages WHERE ticket_id = $1 AND direction = 'inbound'",
            )
            .bind(ticket)
            .fetch_one(&mut *tx)
            .await?;
            let early_receipts =
                crate::receipts::take_early_receipt(&mut tx, &provider_message_id).await?;
            tx.commit().await?;
            if let Some(at) = last_inbound {
                let seconds = (chrono::Utc::now() - at).num_milliseconds().max(0) as f64 / 1000.0;
                crate::metrics::REPLY_SECONDS
                    .with_label_values(&[input.channel.as_str(), input.kind.as_str()])
                    .observe(seconds);
            }
            Ok(SendOutcome {
                status: SendStatus::Sent,
                provider_message_id: Some(provider_message_id),
                via: delivered.via,
                note: delivered.note,
                early_receipts,
            })
        }
        Err(DeliveryError::NoRoute(reason)) => {
            sqlx::query("UPDATE outbound_sends SET state = 'failed', last_error = $2 WHERE idempotency_key = $1")
                .bind(&input.idempotency_key)
                .bind(&reason)
                .execute(pool)
                .await?;
            tracing::warn!(key = %input.idempotency_key, %reason, "reply undeliverable");
            Ok(SendOutcome {
                status: SendStatus::Undeliverable,
                provider_message_id: None,
                via: None,
                note: reason,
                early_receipts: Vec::new(),
            })
        }
        Err(err) => {
            // Nothing reached the provider (or it refused): a retry may send.
            sqlx::query("UPDATE outbound_sends SET state = 'failed', last_error = $2 WHERE idempotency_key = $1")
                .bind(&input.idempotency_key)
                .bind(err.to_string())
                .execute(pool)
                .await?;
            Err(err.into())
        }
    }
}

/// The email address of the ticket's customer, if they have one.
pub async fn customer_email(pool: &PgPool, ticket: Uuid) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT i.value FROM tickets t JOIN customer_identities i ON i.customer_id = t.customer_id
         WHERE t.id = $1 AND i.kind = 'email' ORDER BY i.verified DESC, i.created_at LIMIT 1",
    )
    .bind(ticket)
    .fetch_optional(pool)
    .await
}

/// A failed reply, re-sent by email through the ledger (at most once per
/// idempotency key). `None` when the customer has no email address.
pub async fn redeliver_by_email(
    pool: &PgPool,
    channels: &Channels,
    input: &steward_workflows::contracts::RedeliverInput,
) -> Result<Option<SendOutcome>, SendError> {
    let failed: Option<(Uuid, String, String)> = sqlx::query_as(
        "SELECT o.ticket_id, o.body, o.kind FROM outbound_sends o
         WHERE o.provider_message_id = $1 ORDER BY o.created_at DESC LIMIT 1",
    )
    .bind(&input.failed_provider_message_id)
    .fetch_optional(pool)
    .await?;
    let Some((ticket, body, kind)) = failed else {
        return Ok(None);
    };
    let Some(email) = customer_email(pool, ticket).await? else {
        return Ok(None);
    };
    let resend = SendInput {
        ticket_key: input.ticket_key.clone(),
        ticket_id: input.ticket_id.clone(),
        idempotency_key: input.idempotency_key.clone(),
        channel: steward_domain::Channel::Email,
        recipient: email,
        // The re-send keeps the failed reply's kind (bot, agent, holding, …).
        kind: serde_json::from_value(serde_json::Value::String(kind))
            .unwrap_or(steward_workflows::contracts::ReplyKind::Bot),
        author: "steward".into(),
        text: body,
        correlation_id: input.correlation_id.clone(),
        customer_name: String::new(),
        subject: format!("Your support request {}", input.ticket_id),
        conversation_key: String::new(),
        in_reply_to: String::new(),
        whatsapp_window_open: None,
    };
    send(pool, channels, &resend).await.map(Some)
}
