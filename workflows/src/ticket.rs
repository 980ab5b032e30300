//! `TicketWorkflow`: one workflow per ticket; its history is the audit trail.
//!
//! Intake signal-with-starts it with [`TicketWorkflow::customer_message`] for
//! every envelope. The signal handler only queues (and deduplicates by
//! provider message id, because Kafka and webhooks both deliver at least
//! once); the run loop processes the queue in order through activities.

use crate::contracts::{RecordInbound, RecordInboundInput};
use crate::search_attributes as sa;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;
use steward_domain::{Channel, InboundMessage, TicketStatus};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_workflow::{
    ActivityOptions, ContinueAsNewOptions, SyncWorkflowContext, WorkflowContext,
    WorkflowContextView, WorkflowResult,
};

/// The workflow input. Empty for a new ticket; continue-as-new carries the
/// ticket's identity and any messages not yet processed, so none is lost.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketStart {
    #[serde(default)]
    pub ticket_key: Option<String>,
    #[serde(default)]
    pub view: Option<TicketView>,
    #[serde(default)]
    pub pending: Vec<InboundMessage>,
    #[serde(default)]
    pub seen_provider_ids: Vec<String>,
}

/// What the `status` query returns (and the ticket status API shows).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketView {
    pub ticket_id: Option<String>,
    pub status: TicketStatus,
    pub channel: Option<Channel>,
    pub customer_id: Option<String>,
    pub messages_recorded: u32,
    pub last_provider_message_id: Option<String>,
}

#[workflow]
#[derive(Default)]
pub struct TicketWorkflow {
    view: TicketView,
    pending: VecDeque<InboundMessage>,
    seen: BTreeSet<String>,
}

/// Recording a message is idempotent, so retrying it is always safe.
fn record_options() -> ActivityOptions {
    ActivityOptions::start_to_close_timeout(Duration::from_secs(30))
}

#[workflow_methods]
impl TicketWorkflow {
    #[run]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        start: TicketStart,
    ) -> WorkflowResult<TicketView> {
        let ticket_key = start.ticket_key.clone().unwrap_or_else(|| ctx.uuid4());
        ctx.state_mut(|s| s.restore(start));
        loop {
            ctx.wait_condition(|s: &Self| !s.pending.is_empty()).await?;
            let Some(message) = ctx.state_mut(|s| s.pending.pop_front()) else {
                continue;
            };
            let input = RecordInboundInput {
                ticket_key: ticket_key.clone(),
                workflow_id: ctx.workflow_id().to_owned(),
                channel: message.channel,
                message: message.clone(),
            };
            let recorded = ctx
                .execute_activity(RecordInbound, input, record_options())
                .await?;
            let view = ctx.state_mut(|s| {
                s.view.ticket_id = Some(recorded.ticket_id.clone());
                s.view.customer_id = Some(recorded.customer_id.clone());
                s.view.channel = Some(message.channel);
                if s.view.status == TicketStatus::New {
                    s.view.status = TicketStatus::Open;
                }
                if recorded.inserted {
                    s.view.messages_recorded += 1;
                }
                s.view.last_provider_message_id = Some(message.provider_message_id.clone());
                s.view.clone()
            });
            ctx.upsert_search_attributes([
                sa::TICKET_ID.value_set(recorded.ticket_id),
                sa::TICKET_STATUS.value_set(view.status.as_str().to_owned()),
                sa::CHANNEL.value_set(message.channel.as_str().to_owned()),
                sa::CUSTOMER_ID.value_set(recorded.customer_id),
            ]);
            if ctx.continue_as_new_suggested() {
                let next = ctx.state(|s| s.carry_over(&ticket_key));
                ctx.continue_as_new(next, ContinueAsNewOptions::default())?;
            }
        }
    }

    /// A customer message for this ticket (sent by intake, or by hand from
    /// the Web UI with the `InboundMessage` JSON). Redeliveries are ignored.
    #[signal]
    pub fn customer_message(
        &mut self,
        _ctx: &mut SyncWorkflowContext<Self>,
        message: InboundMessage,
    ) {
        if self.seen.insert(message.provider_message_id.clone()) {
            self.pending.push_back(message);
        }
    }

    #[query]
    pub fn status(&self, _ctx: &WorkflowContextView) -> TicketView {
        self.view.clone()
    }
}

impl TicketWorkflow {
    fn restore(&mut self, start: TicketStart) {
        if let Some(view) = start.view {
            self.view = view;
        }
        self.seen.extend(start.seen_provider_ids);
        // Signals that arrived with signal-with-start are already queued;
        // carried-over messages were received earlier, so they go first.
        for message in start.pending.into_iter().rev() {
            self.seen.insert(message.provider_message_id.clone());
            self.pending.push_front(message);
        }
    }

    fn carry_over(&self, ticket_key: &str) -> TicketStart {
        TicketStart {
            ticket_key: Some(ticket_key.to_owned()),
            view: Some(self.view.clone()),
            pending: self.pending.iter().cloned().collect(),
            seen_provider_ids: self.seen.iter().cloned().collect(),
        }
    }
}
