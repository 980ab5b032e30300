//! `TicketWorkflow`: one workflow per ticket; its history is the audit trail.
//!
//! The ticket's behaviour is `steward_domain::machine::Ticket`, a pure state
//! machine; this workflow only interprets it. Intake signal-with-starts it
//! with `customer_message`; humans act through validated Updates from the
//! Temporal UI (`assign`, `agent_reply`, `resolve`, `return_to_bot`, whose
//! validators show a refusal at once) or the signals of the same names for
//! scripts; customers rate with `feedback`; Twilio's receipts arrive as
//! `delivery_status`. Every signal is decoded leniently: input that does
//! not parse is recorded as a refused action, never a failed workflow task.
//!
//! - [`state`]: re-exports of the carried state and the `status` view.
//! - `interpret`: effects carried out (activities, patches, hand-overs).
//! - `humans`: the signals and Updates of human agents, and their inputs.
//! - `support`: workflow time, deadline races, activity options,
//!   search-attribute upserts.

mod humans;
mod interpret;
pub mod state;
pub(crate) mod support;

pub use humans::{ActionResult, AgentReplyInput, AssignInput, ResolveInput, ReturnToBotInput};
use serde::{Deserialize, Serialize};
pub use state::DeliveryStatusInput;
use state::{TicketState, TicketView, TranscriptLine};
use steward_domain::machine::{Event, Ticket};
use steward_domain::{HumanAction, InboundMessage};
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

#[workflow]
#[derive(Default)]
pub struct TicketWorkflow {
    t: Ticket,
}

/// Reads a signal's JSON input into its event; what does not fit is a
/// refusal to record.
fn lenient<T: serde::de::DeserializeOwned>(
    signal: &str,
    input: serde_json::Value,
    event: impl FnOnce(T) -> Event,
) -> Event {
    match serde_json::from_value(input) {
        Ok(value) => event(value),
        Err(err) => Event::Malformed {
            signal: signal.to_owned(),
            reason: format!("input not understood ({err})"),
        },
    }
}

impl TicketWorkflow {
    /// A signal's event: queued by the machine (signals never await).
    fn receive(&mut self, ctx: &SyncWorkflowContext<Self>, event: Event) {
        let now = support::sync_now_ms(ctx);
        let effects = self.t.handle(event, now);
        debug_assert!(effects.is_empty(), "signals only queue work");
    }
}

#[workflow_methods]
impl TicketWorkflow {
    #[run]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        start: TicketStart,
    ) -> WorkflowResult<TicketView> {
        if let Some(carried) = start.state {
            ctx.state_mut(|w| w.t.state.restore(carried));
        }
        let new_key = ctx
            .state(|w| w.t.state.ticket_key.is_empty())
            .then(|| ctx.uuid4());
        let workflow_id = ctx.workflow_id().to_owned();
        interpret::drive(
            ctx,
            Event::Started {
                workflow_id,
                new_key,
            },
        )
        .await?;
        loop {
            if ctx.state(|w| w.t.is_closed()) {
                return Ok(ctx.state(|w| w.t.state.view.clone()));
            }
            support::wait_for_work_or_deadline(ctx).await?;
            interpret::drive(ctx, Event::Wake).await?;
            let idle = !ctx.state(|w| w.t.has_work() || w.t.is_busy());
            let budget = ctx.state(|w| {
                w.t.state
                    .policy
                    .as_ref()
                    .map_or(5_000, |p| p.max_history_events)
            });
            if idle && (ctx.continue_as_new_suggested() || ctx.history_length() > budget) {
                let carried = ctx.state(|w| w.t.state.clone());
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
        ctx: &mut SyncWorkflowContext<Self>,
        input: serde_json::Value,
    ) {
        let event = lenient::<InboundMessage>("customer_message", input, Event::CustomerMessage);
        self.receive(ctx, event);
    }

    /// A human takes the ticket (for scripts; the UI uses the Update).
    #[signal]
    pub fn assign(&mut self, ctx: &mut SyncWorkflowContext<Self>, input: serde_json::Value) {
        let event = humans::signal_event::<AssignInput>("assign", input);
        self.receive(ctx, event);
    }

    /// A human answers the customer: `{"agent": "sam", "text": "..."}`.
    #[signal]
    pub fn agent_reply(&mut self, ctx: &mut SyncWorkflowContext<Self>, input: serde_json::Value) {
        let event = humans::signal_event::<AgentReplyInput>("agent_reply", input);
        self.receive(ctx, event);
    }

    /// A human resolves the ticket: `{"agent": "sam", "note": "..."}`.
    #[signal]
    pub fn resolve(&mut self, ctx: &mut SyncWorkflowContext<Self>, input: serde_json::Value) {
        let event = humans::signal_event::<ResolveInput>("resolve", input);
        self.receive(ctx, event);
    }

    /// A human hands the ticket back to the bot: `{"agent": "sam"}`.
    #[signal]
    pub fn return_to_bot(&mut self, ctx: &mut SyncWorkflowContext<Self>, input: serde_json::Value) {
        let event = humans::signal_event::<ReturnToBotInput>("return_to_bot", input);
        self.receive(ctx, event);
    }

    /// The customer's rating: `{"score": 5, "comment": "..."}`.
    #[signal]
    pub fn feedback(&mut self, ctx: &mut SyncWorkflowContext<Self>, input: serde_json::Value) {
        let event = lenient("feedback", input, Event::Feedback);
        self.receive(ctx, event);
    }

    /// A delivery receipt for one of our messages (from Twilio's status
    /// callbacks): `{"provider_message_id": "SM…", "status": "failed"}`.
    #[signal]
    pub fn delivery_status(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        input: serde_json::Value,
    ) {
        let event = lenient("delivery_status", input, Event::DeliveryReceipt);
        self.receive(ctx, event);
    }

    #[update_validator(assign_update)]
    fn validate_assign(
        &self,
        _ctx: &WorkflowContextView,
        input: &AssignInput,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        humans::validate(&self.t, &input.clone().into())
    }

    /// `assign` from the Temporal UI: refused at once when it does not fit.
    #[update(name = "assign")]
    pub async fn assign_update(
        ctx: &mut WorkflowContext<Self>,
        input: AssignInput,
    ) -> ActionResult {
        humans::act(ctx, input.into()).await
    }

    #[update_validator(agent_reply_update)]
    fn validate_agent_reply(
        &self,
        _ctx: &WorkflowContextView,
        input: &AgentReplyInput,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        humans::validate(&self.t, &input.clone().into())
    }

    /// `agent_reply` from the Temporal UI.
    #[update(name = "agent_reply")]
    pub async fn agent_reply_update(
        ctx: &mut WorkflowContext<Self>,
        input: AgentReplyInput,
    ) -> ActionResult {
        humans::act(ctx, input.into()).await
    }

    #[update_validator(resolve_update)]
    fn validate_resolve(
        &self,
        _ctx: &WorkflowContextView,
        input: &ResolveInput,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        humans::validate(&self.t, &input.clone().into())
    }

    /// `resolve` from the Temporal UI.
    #[update(name = "resolve")]
    pub async fn resolve_update(
        ctx: &mut WorkflowContext<Self>,
        input: ResolveInput,
    ) -> ActionResult {
        humans::act(ctx, input.into()).await
    }

    #[update_validator(return_to_bot_update)]
    fn validate_return_to_bot(
        &self,
        _ctx: &WorkflowContextView,
        input: &ReturnToBotInput,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let action = HumanAction::ReturnToBot {
            agent: input.agent.clone(),
        };
        humans::validate(&self.t, &action)
    }

    /// `return_to_bot` from the Temporal UI.
    #[update(name = "return_to_bot")]
    pub async fn return_to_bot_update(
        ctx: &mut WorkflowContext<Self>,
        input: ReturnToBotInput,
    ) -> ActionResult {
        let action = HumanAction::ReturnToBot { agent: input.agent };
        humans::act(ctx, action).await
    }

    #[query]
    pub fn status(&self, _ctx: &WorkflowContextView) -> TicketView {
        self.t.state.view.clone()
    }

    #[query]
    pub fn transcript(&self, _ctx: &WorkflowContextView) -> Vec<TranscriptLine> {
        self.t.state.transcript.clone()
    }
}
