//! Sending a claim's one-time code over the claimed channel, after the
//! `record_inbound` transaction committed: WhatsApp to a claimed phone,
//! email to a claimed address, and for a ticket number the channel of
//! that ticket's first message. The code is stored (hashed) only once the
//! provider accepted it, so a failed send leaves no code that could never
//! arrive; a claim's sends are capped ([`super::codes::MAX_SENDS`]).

use super::codes::{CODE_TTL_SECS, Issued};
use super::expiry::{CodeExpiryTimers, start_watch, watch_for};
use super::verify::{Checked, Due};
use super::wording;
use crate::channels::{Channels, Outgoing};
use sqlx::PgPool;
use steward_domain::Channel;
use steward_domain::references::as_ticket_number;
use steward_domain::ticket_io::VerificationNote;

/// Where a claimed ticket's codes go: the channel and sender of its first
/// message (a web form's sender is its email address).
async fn ticket_contact(
    pool: &PgPool,
    number: &str,
) -> Result<Option<(Channel, String)>, sqlx::Error> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT m.channel, m.sender FROM messages m JOIN tickets t ON t.id = m.ticket_id
         WHERE t.ticket_number = $1 AND m.direction = 'inbound' ORDER BY m.received_at LIMIT 1",
    )
    .bind(number)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(channel, sender)| match channel.as_str() {
        "whatsapp" => (Channel::Whatsapp, sender),
        _ => (Channel::Email, sender),
    }))
}

/// The claimed channel: where a code proves the claim.
async fn route(pool: &PgPool, due: &Due) -> Result<Option<(Channel, String)>, sqlx::Error> {
    match due.kind.as_str() {
        "phone" => Ok(Some((Channel::Whatsapp, due.value.clone()))),
        "email" => Ok(Some((Channel::Email, due.value.clone()))),
        "ticket" => ticket_contact(pool, &due.value).await,
        _ => {
            let held: Option<(String, String)> = sqlx::query_as(
                "SELECT m.channel, m.sender FROM ticket_references r
                 JOIN messages m ON m.provider_message_id = r.source_message_id
                 WHERE r.reference = $1 LIMIT 1",
            )
            .bind(&due.value)
            .fetch_optional(pool)
            .await?;
            match (held, as_ticket_number(&due.value)) {
                (Some((channel, sender)), _) if channel == "whatsapp" => {
                    Ok(Some((Channel::Whatsapp, sender)))
                }
                (Some((_, sender)), _) => Ok(Some((Channel::Email, sender))),
                (None, Some(number)) => ticket_contact(pool, &number).await,
                (None, None) => Ok(None),
            }
        }
    }
}

/// Sends the due codes; what the customer of `conversation` is told (the
/// note of the first claim, or the check's own note).
pub async fn send_codes(
    pool: &PgPool,
    channels: &Channels,
    timers: Option<&dyn CodeExpiryTimers>,
    conversation: Channel,
    checked: Checked,
) -> Result<Option<VerificationNote>, sqlx::Error> {
    let mut note = checked.note;
    for due in checked.due {
        let sent = send_one(pool, channels, timers, conversation, &due).await?;
        note.get_or_insert(sent);
    }
    Ok(note)
}

async fn send_one(
    pool: &PgPool,
    channels: &Channels,
    timers: Option<&dyn CodeExpiryTimers>,
    conversation: Channel,
    due: &Due,
) -> Result<VerificationNote, sqlx::Error> {
    let (kind, value) = (due.kind.as_str(), due.value.as_str());
    let Some((channel, recipient)) = route(pool, due).await? else {
        // Nobody to send to (no such ticket): counted like a send, and
        // worded like one, so a number probe learns nothing.
        sqlx::query("UPDATE identity_claims SET codes_sent = codes_sent + 1 WHERE id = $1")
            .bind(due.claim_id)
            .execute(pool)
            .await?;
        let detail = format!("claim of {kind} {value}: nobody to send a code to");
        return Ok(wording::not_sent(kind, value, detail));
    };
    let code = Issued::new();
    let text = wording::code_message(kind, conversation, &code.shown());
    let key = format!("claim-{}-{}", due.claim_id, due.codes_sent + 1);
    let out = Outgoing {
        channel: Some(channel),
        recipient: &recipient,
        text: &text,
        subject: "Your support verification code",
        idempotency_key: &key,
        ..Outgoing::default()
    };
    match channels.deliver(&out).await {
        Ok(_) => {
            sqlx::query(
                "UPDATE identity_claims SET code_salt = $2, code_hash = $3, attempts = 0,
                     code_expires_at = now() + make_interval(secs => $4),
                     codes_sent = codes_sent + 1
                 WHERE id = $1",
            )
            .bind(due.claim_id)
            .bind(&code.salt)
            .bind(&code.hash)
            .bind(CODE_TTL_SECS as f64)
            .execute(pool)
            .await?;
            let claimed = format!("{kind} {}", wording::masked(kind, value));
            let watch = watch_for(due.claim_id, due.codes_sent + 1, claimed);
            start_watch(timers, watch).await;
            let detail = format!("claim of {kind} {value}: a code went to {channel} {recipient}");
            Ok(wording::code_sent(kind, value, detail))
        }
        Err(err) => {
            tracing::warn!(claim = due.claim_id, %err, "verification code not sent");
            let detail = format!("claim of {kind} {value}: the code could not be sent ({err})");
            Ok(wording::not_sent(kind, value, detail))
        }
    }
}
