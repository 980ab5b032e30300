//! Human agents' actions: the inputs they type in the Temporal UI, the
//! signals scripts send (decoded leniently), and the Updates whose
//! validators refuse an action that does not fit before it is accepted.

use super::TicketWorkflow;
use super::support::now_ms;
use serde::{Deserialize, Serialize};
use steward_domain::machine::{Event, Ticket};
use steward_domain::{HumanAction, Phase, TicketStatus};
use temporalio_workflow::WorkflowContext;

/// `assign` input: `{"agent": "sam"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignInput {
    pub agent: String,
}

/// `agent_reply` input: `{"agent": "sam", "text": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentReplyInput {
    pub agent: String,
    pub text: String,
}

/// `resolve` input: `{"agent": "sam", "note": "..."}` (note optional).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolveInput {
    pub agent: String,
    #[serde(default)]
    pub note: String,
}

/// `return_to_bot` input: `{"agent": "sam"}`.
pub type ReturnToBotInput = AssignInput;

impl From<AssignInput> for HumanAction {
    fn from(i: AssignInput) -> Self {
        HumanAction::Assign { agent: i.agent }
    }
}

impl From<AgentReplyInput> for HumanAction {
    fn from(i: AgentReplyInput) -> Self {
        HumanAction::AgentReply {
            agent: i.agent,
            text: i.text,
        }
    }
}

impl From<ResolveInput> for HumanAction {
    fn from(i: ResolveInput) -> Self {
        HumanAction::Resolve {
            agent: i.agent,
            note: i.note,
        }
    }
}

/// What an Update answers: the ticket after the action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionResult {
    pub accepted: bool,
    /// Why it was refused when it was accepted by the validator but an
    /// action queued before it changed the ticket first.
    pub refusal: Option<String>,
    pub status: TicketStatus,
    pub phase: Phase,
    pub owner: Option<String>,
}

/// A human action signal's event: the action, or a refusal to record.
pub(super) fn signal_event<T>(signal: &str, input: serde_json::Value) -> Event
where
    T: serde::de::DeserializeOwned + Into<HumanAction>,
{
    let return_to_bot = signal == "return_to_bot";
    super::lenient::<T>(signal, input, |input| match input.into() {
        HumanAction::Assign { agent } if return_to_bot => {
            Event::Human(HumanAction::ReturnToBot { agent })
        }
        action => Event::Human(action),
    })
}

/// The validator's rule: the one the machine applies (empty names and
/// text, a closed ticket, another agent's ticket are refused).
pub(super) fn validate(
    ticket: &Ticket,
    action: &HumanAction,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    ticket
        .check_action(action)
        .map_err(|err| err.to_string().into())
}

/// Queues an accepted action and answers once the ticket has handled it.
pub(super) async fn act(
    ctx: &mut WorkflowContext<TicketWorkflow>,
    action: HumanAction,
) -> ActionResult {
    let now = now_ms(ctx);
    let number = ctx.state_mut(|w| {
        w.t.handle(Event::Human(action), now);
        w.t.state.actions_received
    });
    // Only a cancelled workflow ends this wait early; the answer then is
    // the ticket as it is.
    let _ = ctx
        .wait_condition(|w: &TicketWorkflow| w.t.state.actions_handled >= number)
        .await;
    ctx.state(|w| {
        let s = &w.t.state;
        let refusal = s
            .last_refused_action
            .as_ref()
            .filter(|(n, _)| *n == number)
            .map(|(_, line)| line.clone());
        ActionResult {
            accepted: refusal.is_none(),
            refusal,
            status: s.view.status,
            phase: s.view.phase,
            owner: s.view.owner.clone(),
        }
    })
}
