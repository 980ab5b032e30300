//! Customers, identities, tickets and messages: the rows a ticket writes.

use chrono::{DateTime, Utc};
use sqlx::{Postgres, Transaction};
use steward_domain::ticket::ticket_number;
use steward_domain::{Channel, Identity, InboundMessage};
use uuid::Uuid;

type Tx<'a> = Transaction<'a, Postgres>;

/// The customer owning `identity`, created with that identity on first contact.
pub async fn customer_for_identity(
    tx: &mut Tx<'_>,
    identity: &Identity,
    display_name: &str,
) -> Result<Uuid, sqlx::Error> {
    let existing: Option<Uuid> = sqlx::query_scalar(
        "SELECT customer_id FROM customer_identities WHERE kind = $1 AND value = $2",
    )
    .bind(identity.kind.as_str())
    .bind(&identity.value)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let id = Uuid::new_v4();
    sqlx::query("INSERT INTO customers (id, display_name) VALUES ($1, $2)")
        .bind(id)
        .bind(display_name)
        .execute(&mut **tx)
        .await?;
    let claimed: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO customer_identities (customer_id, kind, value) VALUES ($1, $2, $3)
         ON CONFLICT (kind, value) DO NOTHING RETURNING customer_id",
    )
    .bind(id)
    .bind(identity.kind.as_str())
    .bind(&identity.value)
    .fetch_optional(&mut **tx)
    .await?;
    if claimed.is_some() {
        return Ok(id);
    }
    // Another transaction registered this identity first: use its customer.
    sqlx::query("DELETE FROM customers WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query_scalar("SELECT customer_id FROM customer_identities WHERE kind = $1 AND value = $2")
        .bind(identity.kind.as_str())
        .bind(&identity.value)
        .fetch_one(&mut **tx)
        .await
}

/// The ticket row for `ticket_key`: (row id, ticket number), created once.
pub async fn ticket_for_key(
    tx: &mut Tx<'_>,
    ticket_key: &str,
    workflow_id: &str,
    customer_id: Uuid,
    channel: Channel,
    subject: &str,
) -> Result<(Uuid, String), sqlx::Error> {
    let existing: Option<(Uuid, String)> =
        sqlx::query_as("SELECT id, ticket_number FROM tickets WHERE ticket_key = $1")
            .bind(ticket_key)
            .fetch_optional(&mut **tx)
            .await?;
    if let Some(found) = existing {
        return Ok(found);
    }
    let sequence: i64 = sqlx::query_scalar("SELECT nextval('ticket_number_seq')")
        .fetch_one(&mut **tx)
        .await?;
    let id = Uuid::new_v4();
    let number = ticket_number(sequence);
    sqlx::query(
        "INSERT INTO tickets (id, ticket_key, ticket_number, workflow_id, customer_id, channel, subject)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (ticket_key) DO NOTHING",
    )
    .bind(id)
    .bind(ticket_key)
    .bind(&number)
    .bind(workflow_id)
    .bind(customer_id)
    .bind(channel.as_str())
    .bind(subject)
    .execute(&mut **tx)
    .await?;
    sqlx::query_as("SELECT id, ticket_number FROM tickets WHERE ticket_key = $1")
        .bind(ticket_key)
        .fetch_one(&mut **tx)
        .await
}

/// Stores an inbound message; false when this provider id was already stored.
pub async fn insert_inbound_message(
    tx: &mut Tx<'_>,
    ticket_id: Uuid,
    message: &InboundMessage,
) -> Result<bool, sqlx::Error> {
    let received_at = DateTime::<Utc>::from_timestamp_millis(message.received_at_unix_ms)
        .unwrap_or_else(Utc::now);
    let media = serde_json::to_value(&message.media).unwrap_or_default();
    let result = sqlx::query(
        "INSERT INTO messages (id, ticket_id, direction, channel, provider_message_id, sender,
                               body, media, correlation_id, received_at)
         VALUES ($1, $2, 'inbound', $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (channel, provider_message_id) DO NOTHING",
    )
    .bind(Uuid::new_v4())
    .bind(ticket_id)
    .bind(message.channel.as_str())
    .bind(&message.provider_message_id)
    .bind(&message.sender.value)
    .bind(&message.body)
    .bind(media)
    .bind(&message.correlation_id)
    .bind(received_at)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}
