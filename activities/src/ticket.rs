//! The ticket activities, bound to the contracts in `steward_workflows::contracts`.

use crate::crm;
use sqlx::PgPool;
use std::sync::Arc;
use steward_workflows::contracts::{RecordInboundInput, RecordedInbound};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// Activities that read and write the CRM; the SDK shares one instance
/// (behind an `Arc`) between concurrent activity tasks.
pub struct TicketActivities {
    pool: PgPool,
}

impl TicketActivities {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[activities]
impl TicketActivities {
    /// Customer, ticket and message in one transaction, so a retry after a
    /// crash either finds everything or nothing.
    #[activity(definition = steward_workflows::contracts::RecordInbound)]
    #[tracing::instrument(skip_all, fields(
        workflow_id = %input.workflow_id,
        correlation_id = %input.message.correlation_id,
        provider_message_id = %input.message.provider_message_id,
    ))]
    pub async fn record_inbound(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: RecordInboundInput,
    ) -> Result<RecordedInbound, ActivityError> {
        let message = &input.message;
        let mut tx = self.pool.begin().await?;
        let customer_id =
            crm::customer_for_identity(&mut tx, &message.sender, &message.sender_name).await?;
        let (ticket_row, ticket_number) = crm::ticket_for_key(
            &mut tx,
            &input.ticket_key,
            &input.workflow_id,
            customer_id,
            input.channel,
            &message.subject,
        )
        .await?;
        let inserted = crm::insert_inbound_message(&mut tx, ticket_row, message).await?;
        tx.commit().await?;
        tracing::info!(ticket = %ticket_number, inserted, "inbound message recorded");
        Ok(RecordedInbound {
            ticket_id: ticket_number,
            customer_id: customer_id.to_string(),
            inserted,
        })
    }
}
