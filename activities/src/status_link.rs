//! A web form that names an earlier ticket of the same customer continues
//! it, but its answer carries no link: a typed address proves nothing. The
//! ticket's status link goes instead to the address on that ticket (the
//! sender of its first message), by email, so only its owner can follow
//! it; the form tells the submitter so.

use crate::channels::{Channels, Outgoing};
use crate::config::StatusLinks;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use steward_domain::{Channel, InboundMessage, ticket_link, ticket_workflow_id};
use uuid::Uuid;

/// Sends the status link of web ticket `ticket_row` to the address of its
/// first message when `message` continued it (a second or later message);
/// whether a link went out. A failed send is logged: the message itself is
/// recorded either way.
pub(crate) async fn send_on_continuation(
    pool: &PgPool,
    channels: &Channels,
    links: &StatusLinks,
    ticket_row: Uuid,
    workflow_id: &str,
    message: &InboundMessage,
) -> Result<bool, sqlx::Error> {
    let prefix = ticket_workflow_id(Channel::Web, "");
    let Some(reference) = workflow_id.strip_prefix(&prefix) else {
        return Ok(false);
    };
    if message.channel != Channel::Web {
        return Ok(false);
    }
    let senders: Vec<String> = sqlx::query_scalar(
        "SELECT sender FROM messages WHERE ticket_id = $1 AND direction = 'inbound'
         ORDER BY received_at, created_at LIMIT 2",
    )
    .bind(ticket_row)
    .fetch_all(pool)
    .await?;
    let [owner, _] = senders.as_slice() else {
        return Ok(false); // the ticket's first message: its link was the form's answer
    };
    let path = ticket_link::status_path(links.secret.expose_secret().as_bytes(), reference);
    let text = format!(
        "A message was added to your support ticket {reference} through our web form. \
         Follow the ticket here: {}{path}\n\nThis link is sent only to this address. \
         If you did not write, nothing was shared with anyone.",
        links.base_url.trim_end_matches('/')
    );
    let subject = format!("Your support ticket {reference}");
    let key = format!("status-link-{}", message.provider_message_id);
    let out = Outgoing {
        channel: Some(Channel::Email),
        recipient: owner,
        text: &text,
        subject: &subject,
        idempotency_key: &key,
        ..Outgoing::default()
    };
    match channels.deliver(&out).await {
        Ok(_) => Ok(true),
        Err(err) => {
            tracing::warn!(%reference, %err, "the status link could not be sent");
            Ok(false)
        }
    }
}
