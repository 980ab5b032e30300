//! `TicketWorkflow`: one workflow per ticket; its history is the audit trail.
//!
//! Intake signal-with-starts it with `customer_message` for every envelope;
//! humans act through signals from the Temporal UI (`assign`, `agent_reply`,
//! `resolve`, `return_to_bot`), customers rate with `feedback`. Handlers only
//! queue (and deduplicate); the run loop below does the work, in order,
//! racing every wait against the ticket's nearest deadline.
//!
//! - [`state`]: the carried state and the `status` view.
//! - `bot`: the bot's answer (triage, retrieval, drafting, check, send).
//! - `llm`: the LLM drafting path, tools as activities.
//! - `desk`: escalation, human actions, resolution and CSAT.
//! - `deadlines`: SLA deadlines coming due (warning, breach, next tier).
//! - `effects`: sends, notices to humans, ticket events.
//! - `merge`: one customer, one conversation across channels.
//! - `receipts`: delivery receipts, and the fallback when one failed.
//! - `support`: workflow time, deadline races, activity options.

mod bot;
mod deadlines;
mod desk;
mod effects;
mod llm;
mod merge;
mod receipts;
pub mod state;
pub(crate) mod support;

use crate::contracts::LoadPolicy;
use serde::{Deserialize, Serialize};
pub use state::DeliveryStatusInput;
use state::{Feedback, TicketState, TicketView, TranscriptLine};
use steward_domain::{HumanAction, InboundMessage, Phase};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_workflow::{
    ContinueAsNewOptions, SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult,
};

/// The workflow input: empty for a new ticket; the carried state on
/// continue-as-new.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketStart {
    #[serde(default)]
    pub state: Option<TicketState>,
}

/// `assign` signal input: `{"agent": "sam"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignInput {
    pub agent: String,
}

/// `agent_reply` signal input: `{"agent": "sam", "text": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentReplyInput {
    pub agent: String,
    pub text: String,
}

/// `resolve` signal input: `{"agent": "sam", "note": "..."}` (note optional).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolveInput {
    pub agent: String,
    #[serde(default)]
    pub note: String,
}

/// `return_to_bot` signal input: `{"agent": "sam"}`.
pub type ReturnToBotInput = AssignInput;

#[workflow]
#[derive(Default)]
pub struct TicketWorkflow {
    s: TicketState,
}

#[workflow_methods]
impl TicketWorkflow {
    #[run]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        start: TicketStart,
    ) -> WorkflowResult<TicketView> {
        if let Some(carried) = start.state {
            ctx.state_mut(|w| w.s.restore(carried));
        }
        if ctx.state(|w| w.s.ticket_key.is_empty()) {
            let key = ctx.uuid4();
            ctx.state_mut(|w| w.s.ticket_key = key);
        }
        if ctx.state(|w| w.s.policy.is_none()) {
            let policy = ctx
                .execute_activity(LoadPolicy, (), support::quick())
                .await?;
            ctx.state_mut(|w| w.s.policy = Some(policy));
        }
        loop {
            if ctx.state(|w| w.s.view.phase == Phase::Closed) {
                return Ok(ctx.state(|w| w.s.view.clone()));
            }
            support::wait_for_work_or_deadline(ctx).await?;
            while let Some(action) = ctx.state_mut(|w| w.s.actions.pop_front()) {
                desk::human_action(ctx, action).await?;
            }
            if let Some(feedback) = ctx.state_mut(|w| w.s.feedback.take()) {
                desk::record_feedback(ctx, feedback).await?;
            }
            while let Some(message) = ctx.state_mut(|w| w.s.pending.pop_front()) {
                bot::customer_message(ctx, message).await?;
            }
            while let Some(receipt) = ctx.state_mut(|w| w.s.receipts.pop_front()) {
                receipts::delivery_receipt(ctx, receipt).await?;
            }
            deadlines::fire_due_deadlines(ctx).await?;
            let idle = !ctx.state(|w| w.s.has_work());
            let budget = ctx.state(|w| w.s.policy.as_ref().map_or(5_000, |p| p.max_history_events));
            if idle && (ctx.continue_as_new_suggested() || ctx.history_length() > budget) {
                let carried = ctx.state(|w| w.s.clone());
                ctx.continue_as_new(
                    TicketStart {
                        state: Some(carried),
                    },
                    ContinueAsNewOptions::default(),
                )?;
            }
        }
    }

    /// A customer message for this ticket (sent by intake). Redeliveries of
    /// the same provider message id are ignored.
    #[signal]
    pub fn customer_message(
        &mut self,
        _ctx: &mut SyncWorkflowContext<Self>,
        message: InboundMessage,
    ) {
        if self.s.seen.insert(message.provider_message_id.clone()) {
            self.s.pending.push_back(message);
        }
    }

    /// A human takes the ticket: `{"agent": "sam"}`.
    #[signal]
    pub fn assign(&mut self, _ctx: &mut SyncWorkflowContext<Self>, input: AssignInput) {
        self.s
            .actions
            .push_back(HumanAction::Assign { agent: input.agent });
    }

    /// A human answers the customer: `{"agent": "sam", "text": "..."}`.
    #[signal]
    pub fn agent_reply(&mut self, _ctx: &mut SyncWorkflowContext<Self>, input: AgentReplyInput) {
        self.s.actions.push_back(HumanAction::AgentReply {
            agent: input.agent,
            text: input.text,
        });
    }

    /// A human resolves the ticket: `{"agent": "sam", "note": "..."}`.
    #[signal]
    pub fn resolve(&mut self, _ctx: &mut SyncWorkflowContext<Self>, input: ResolveInput) {
        self.s.actions.push_back(HumanAction::Resolve {
            agent: input.agent,
            note: input.note,
        });
    }

    /// A human hands the ticket back to the bot: `{"agent": "sam"}`.
    #[signal]
    pub fn return_to_bot(&mut self, _ctx: &mut SyncWorkflowContext<Self>, input: ReturnToBotInput) {
        self.s
            .actions
            .push_back(HumanAction::ReturnToBot { agent: input.agent });
    }

    /// The customer's rating: `{"score": 5, "comment": "..."}`.
    #[signal]
    pub fn feedback(&mut self, _ctx: &mut SyncWorkflowContext<Self>, input: Feedback) {
        self.s.feedback = Some(input);
    }

    /// A delivery receipt for one of our messages (from Twilio's status
    /// callbacks): `{"provider_message_id": "SM…", "status": "failed"}`.
    #[signal]
    pub fn delivery_status(
        &mut self,
        _ctx: &mut SyncWorkflowContext<Self>,
        input: DeliveryStatusInput,
    ) {
        self.s.receipts.push_back(input);
    }

    #[query]
    pub fn status(&self, _ctx: &WorkflowContextView) -> TicketView {
        self.s.view.clone()
    }

    #[query]
    pub fn transcript(&self, _ctx: &WorkflowContextView) -> Vec<TranscriptLine> {
        self.s.transcript.clone()
    }
}
