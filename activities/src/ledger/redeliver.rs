//! Re-sending a reply whose delivery failed, by email, through the ledger.

use super::{SendError, send};
use crate::channels::Channels;
use sqlx::PgPool;
use steward_workflows::contracts::{SendInput, SendOutcome};
use uuid::Uuid;

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
    // An email carries no status callback: no ticket to name.
    send(pool, channels, &resend, "").await.map(Some)
}
