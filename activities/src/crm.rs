//! Customers, identities, tickets and messages: the rows a ticket writes.

use chrono::{DateTime, Utc};
use sqlx::{Postgres, Transaction};
use steward_domain::ticket::ticket_number;
use steward_domain::{Channel, Identity, InboundMessage};
use uuid::Uuid;

type Tx<'a> = Transaction<'a, Postgres>;

/// The customer `identity` belongs to, if any.
pub(crate) async fn identity_owner(
    tx: &mut Tx<'_>,
    identity: &Identity,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT customer_id FROM customer_identities WHERE kind = $1 AND value = $2")
        .bind(identity.kind.as_str())
        .bind(&identity.value)
        .fetch_optional(&mut **tx)
        .await
}

/// A new customer without identities (they are claimed separately).
pub(crate) async fn new_customer<'c>(
    db: impl sqlx::PgExecutor<'c>,
    display_name: &str,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::new_v4();
    sqlx::query("INSERT INTO customers (id, display_name) VALUES ($1, $2)")
        .bind(id)
        .bind(display_name)
        .execute(db)
        .await?;
    Ok(id)
}

/// The customer owning `identity`, created with that identity on first contact.
pub async fn customer_for_identity(
    tx: &mut Tx<'_>,
    identity: &Identity,
    display_name: &str,
) -> Result<Uuid, sqlx::Error> {
    if let Some(id) = identity_owner(tx, identity).await? {
        return Ok(id);
    }
    let id = new_customer(&mut **tx, display_name).await?;
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
    identity_owner(tx, identity)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
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

/// Inserts an escalation row (one per tier) and marks the ticket escalated.
pub async fn record_escalation(
    pool: &sqlx::PgPool,
    input: &steward_workflows::contracts::EscalateInput,
) -> Result<(), sqlx::Error> {
    let ack_due = DateTime::<Utc>::from_timestamp_millis(input.ack_due_unix_ms);
    sqlx::query(
        "INSERT INTO escalations (id, ticket_id, reason, tier, ack_due_at, breached)
         SELECT $1, t.id, $3, $4, $5, $4 > 1 FROM tickets t WHERE t.ticket_key = $2
           -- A retried activity must not add a second row for the same tier and deadline.
           AND NOT EXISTS (SELECT 1 FROM escalations e
                           WHERE e.ticket_id = t.id AND e.tier = $4 AND e.ack_due_at = $5)",
    )
    .bind(Uuid::new_v4())
    .bind(&input.ticket_key)
    .bind(input.reason.as_str())
    .bind(input.tier as i32)
    .bind(ack_due)
    .execute(pool)
    .await?;
    Ok(())
}

/// Applies a ticket event to the ticket row and appends it to the audit log.
pub async fn record_ticket_event(
    pool: &sqlx::PgPool,
    event: &steward_workflows::contracts::TicketEvent,
) -> Result<(), sqlx::Error> {
    let at = |ms: Option<i64>| ms.and_then(DateTime::<Utc>::from_timestamp_millis);
    let mut tx = pool.begin().await?;
    // `previous` is the row before this event: it tells a first response
    // from a later one, for the SLA metric.
    let ticket: Option<(Uuid, String, bool)> = sqlx::query_as(
        "WITH previous AS (SELECT id AS previous_id, first_responded_at AS previously_responded
                           FROM tickets WHERE ticket_key = $1 FOR UPDATE)
         UPDATE tickets SET status = $2, owner = $3, sla_breached = $4,
             first_response_due_at = COALESCE($5, first_response_due_at),
             first_responded_at = CASE WHEN $6 THEN COALESCE(first_responded_at, now()) ELSE first_responded_at END,
             resolution_due_at = $7,
             resolved_at = CASE WHEN $2 IN ('resolved', 'closed') THEN COALESCE(resolved_at, now()) ELSE NULL END,
             resolved_autonomously = $8, csat_score = $9, csat_comment = $10,
             prompt_tokens = $11, completion_tokens = $12, updated_at = now()
         FROM previous WHERE tickets.id = previous.previous_id
         RETURNING tickets.id, tickets.channel,
                   (previous.previously_responded IS NULL AND tickets.first_responded_at IS NOT NULL)",
    )
    .bind(&event.ticket_key)
    .bind(&event.status)
    .bind(&event.owner)
    .bind(event.sla_breached)
    .bind(at(event.first_response_due_unix_ms))
    .bind(event.first_responded)
    .bind(at(event.resolution_due_unix_ms))
    .bind(event.resolved_autonomously)
    .bind(event.csat_score)
    .bind(&event.csat_comment)
    .bind(event.prompt_tokens as i32)
    .bind(event.completion_tokens as i32)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((ticket, channel, first_response)) = ticket {
        crate::metrics::count_event(event, &channel, first_response);
        sqlx::query(
            "INSERT INTO ticket_events (ticket_id, event, status, detail) VALUES ($1, $2, $3, $4)",
        )
        .bind(ticket)
        .bind(&event.event)
        .bind(&event.status)
        .bind(&event.detail)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// The customer's most recently active other ticket that is still open.
pub async fn find_open_ticket(
    pool: &sqlx::PgPool,
    query: &steward_workflows::contracts::OpenTicketQuery,
) -> Result<Option<steward_workflows::contracts::OpenTicket>, sqlx::Error> {
    let Ok(customer) = query.customer_id.parse::<Uuid>() else {
        return Ok(None);
    };
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT workflow_id, ticket_number FROM tickets
         WHERE customer_id = $1 AND workflow_id <> $2 AND ticket_key <> $3
           AND status IN ('new', 'open', 'escalated', 'human')
         ORDER BY updated_at DESC LIMIT 1",
    )
    .bind(customer)
    .bind(&query.workflow_id)
    .bind(&query.ticket_key)
    .fetch_optional(pool)
    .await?;
    let Some((workflow_id, ticket_id)) = row else {
        return Ok(None);
    };
    let evidence: Option<String> = sqlx::query_scalar(
        "SELECT evidence FROM identity_links WHERE source_message_id = $1 AND status = 'applied'
         ORDER BY id DESC LIMIT 1",
    )
    .bind(&query.provider_message_id)
    .fetch_optional(pool)
    .await?;
    Ok(Some(steward_workflows::contracts::OpenTicket {
        workflow_id,
        ticket_id,
        linked_by_this_message: evidence,
    }))
}

/// Closes a ticket as continued in another: the handed-over message's row
/// moves to the other ticket (whose own record of it then finds it there),
/// and an event says where it went.
pub async fn mark_merged(
    pool: &sqlx::PgPool,
    input: &steward_workflows::contracts::MergeInput,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let ticket: Option<Uuid> = sqlx::query_scalar(
        "UPDATE tickets SET status = 'closed', resolved_at = COALESCE(resolved_at, now()), updated_at = now()
         WHERE ticket_key = $1 RETURNING id",
    )
    .bind(&input.ticket_key)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(ticket) = ticket {
        sqlx::query(
            "UPDATE messages SET ticket_id = (SELECT id FROM tickets WHERE ticket_number = $3)
             WHERE ticket_id = $1 AND provider_message_id = $2
               AND EXISTS (SELECT 1 FROM tickets WHERE ticket_number = $3)",
        )
        .bind(ticket)
        .bind(&input.provider_message_id)
        .bind(&input.into_ticket_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO ticket_events (ticket_id, event, status, detail) VALUES ($1, 'merged', 'closed', $2)",
        )
        .bind(ticket)
        .bind(format!(
            "continued in {} (message {})",
            input.into_ticket_id, input.provider_message_id
        ))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}
