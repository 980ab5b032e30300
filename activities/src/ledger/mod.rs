//! The outbound send ledger: at most one delivery per idempotency key, and
//! a definite outcome for every send.
//!
//! Before calling a provider the row moves to `sending` (committed); after,
//! to `sent` with the provider id, and the outbound message row is written.
//! A retry that finds `sent` returns it. A provider's permanent refusal
//! (Twilio 21211, Gmail 400) or no allowed route is `undeliverable`: an
//! outcome for the ticket to act on, never an endless retry.
//!
//! A send is ambiguous when it may have reached the provider without an
//! answer: an earlier attempt died mid-call (the row is still `sending`),
//! the request timed out after it was sent, or a 2xx came back unreadable
//! or without an id. Ambiguous sends are settled, never blindly repeated:
//! the provider is asked ([`Channels::find_sent`]); what it has is
//! recorded as sent (`reconciled`); only when it says it was not sent
//! does a retry send again; when it cannot say, the outcome is
//! `uncertain` and humans are asked to check.
//!
//! - [`rows`]: the row's states and SQL.
//! - [`redeliver`]: re-sending a failed reply by email.

mod redeliver;
mod rows;

pub use redeliver::{customer_email, redeliver_by_email};

use crate::channels::{Channels, Delivered, DeliveryError, Outgoing};
use chrono::{DateTime, Utc};
use rows::{Claim, outcome};
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

/// What asking the provider about an ambiguous send decided.
enum Settled {
    Outcome(SendOutcome),
    /// The provider says it was not sent: sending again is safe.
    NotSent,
}

/// Sends `input` at most once; `workflow_id` is the sending ticket's
/// workflow (its delivery receipts are signalled to it).
pub async fn send(
    pool: &PgPool,
    channels: &Channels,
    input: &SendInput,
    workflow_id: &str,
) -> Result<SendOutcome, SendError> {
    let (ticket, claim) = rows::claim(pool, input).await?;
    let fallback_email = match input.whatsapp_window_open {
        Some(false) => customer_email(pool, ticket).await?,
        _ => None,
    };
    let out = Outgoing {
        channel: Some(input.channel),
        recipient: &input.recipient,
        text: &input.text,
        customer_name: &input.customer_name,
        subject: &input.subject,
        conversation_key: &input.conversation_key,
        in_reply_to: &input.in_reply_to,
        idempotency_key: &input.idempotency_key,
        ticket_id: &input.ticket_id,
        workflow_id,
        whatsapp_window_open: input.whatsapp_window_open,
        fallback_email: fallback_email.as_deref(),
    };
    let key = input.idempotency_key.as_str();
    let began = match claim {
        Claim::Settled(outcome) => return Ok(outcome),
        Claim::Go(began) => began,
        Claim::Ambiguous(began) => {
            tracing::warn!(%key, "an earlier send attempt never finished; asking the provider");
            match settle(pool, channels, input, &out, ticket, began).await? {
                Settled::Outcome(outcome) => return Ok(outcome),
                Settled::NotSent => rows::begin(pool, key).await?,
            }
        }
    };
    match channels.deliver(&out).await {
        Ok(delivered) => {
            rows::record_sent(pool, input, ticket, &delivered, false).await?;
            Ok(sent(delivered, false))
        }
        Err(DeliveryError::NoRoute(reason) | DeliveryError::Permanent(reason)) => {
            rows::mark(pool, key, "undeliverable", &reason).await?;
            tracing::warn!(%key, %reason, "reply undeliverable");
            Ok(outcome(SendStatus::Undeliverable, None, reason))
        }
        Err(DeliveryError::Uncertain(reason)) => {
            tracing::warn!(%key, %reason, "send may have reached the provider; asking it");
            match settle(pool, channels, input, &out, ticket, began).await? {
                Settled::Outcome(outcome) => Ok(outcome),
                Settled::NotSent => {
                    rows::mark(pool, key, "failed", &reason).await?;
                    let why = format!("{reason}; the provider has no such message");
                    Err(DeliveryError::Transient(why).into())
                }
            }
        }
        Err(err) => {
            // Nothing reached the provider: a retry may send.
            rows::mark(pool, key, "failed", &err.to_string()).await?;
            Err(err.into())
        }
    }
}

fn sent(delivered: Delivered, reconciled: bool) -> SendOutcome {
    SendOutcome {
        via: delivered.via,
        reconciled,
        ..outcome(
            SendStatus::Sent,
            Some(delivered.provider_message_id),
            delivered.note,
        )
    }
}

/// Asks the provider whether an attempt that began at `began` sent this
/// reply, and records the answer.
async fn settle(
    pool: &PgPool,
    channels: &Channels,
    input: &SendInput,
    out: &Outgoing<'_>,
    ticket: Uuid,
    began: DateTime<Utc>,
) -> Result<Settled, SendError> {
    let key = input.idempotency_key.as_str();
    let found = match channels.find_sent(out, began).await {
        Ok(found) => found,
        Err(reason) => {
            rows::mark(pool, key, "uncertain", &reason).await?;
            tracing::warn!(%key, %reason, "the provider cannot say whether it sent the reply");
            return Ok(Settled::Outcome(outcome(
                SendStatus::Uncertain,
                None,
                String::new(),
            )));
        }
    };
    let ids: Vec<String> = found
        .iter()
        .map(|d| d.provider_message_id.clone())
        .collect();
    // Another reply with the same text may be there too: never claim one
    // the ledger already holds for another send.
    let taken = rows::recorded_elsewhere(pool, key, &ids).await?;
    let Some(mut delivered) = found
        .into_iter()
        .find(|d| !taken.contains(&d.provider_message_id))
    else {
        tracing::info!(%key, "the provider has no such message");
        return Ok(Settled::NotSent);
    };
    // A template's note is for the send that chose it; this one found it.
    delivered.note.clear();
    rows::record_sent(pool, input, ticket, &delivered, true).await?;
    tracing::info!(%key, provider_message_id = %delivered.provider_message_id, "found at the provider; recorded, not resent");
    Ok(Settled::Outcome(sent(delivered, true)))
}
