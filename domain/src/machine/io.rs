//! The machine's vocabulary with the outside world: the [`Event`]s it
//! handles, the [`Effect`]s it asks for, the requests it awaits and their
//! answers.

use crate::guardrails::Triage;
use crate::lifecycle::HumanAction;
use crate::reply_check::ReplyProblem;
use crate::ticket_io::*;
use crate::ticket_state::Feedback;
use crate::{EscalationReason, InboundMessage};

/// What happens to a ticket.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The run started; `new_key` is a fresh ticket key for a new ticket.
    Started {
        workflow_id: String,
        new_key: Option<String>,
    },
    /// A customer message (signal): queued, deduplicated by provider id.
    CustomerMessage(InboundMessage),
    /// A human action (signal or update): queued.
    Human(HumanAction),
    /// The customer's rating (signal): queued.
    Feedback(Feedback),
    /// A provider's delivery receipt (signal): queued.
    DeliveryReceipt(DeliveryStatusInput),
    /// A signal whose input could not be read: recorded as refused.
    Malformed { signal: String, reason: String },
    /// The workflow woke up (work queued or a deadline due): do the work.
    Wake,
    /// The answer to the last [`Await`].
    Done(Outcome),
}

/// What the workflow must do for the machine.
// A handful per event, consumed at once: boxing would only add allocations.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Upsert the ticket's search attributes (fire and forget).
    PublishSearchAttributes(SearchAttributes),
    /// Do this and answer with [`Event::Done`]; always the last effect.
    Await(Await),
}

/// A request whose answer the machine waits for.
#[derive(Debug, Clone, PartialEq)]
pub enum Await {
    /// Run an activity. With `race`, the activity must finish before that
    /// instant (Unix ms) or is cancelled and answered with [`Outcome::Late`].
    Activity { call: Call, race: Option<i64> },
    /// Is this patch in force for this run (`ctx.patched`)?
    Patched(&'static str),
    /// Signal a customer message to another ticket's workflow.
    HandOver {
        workflow_id: String,
        message: InboundMessage,
    },
}

/// The activities a ticket runs, with their inputs.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    LoadPolicy,
    RecordInbound(RecordInboundInput),
    FindOpenTicket(OpenTicketQuery),
    MarkMerged(MergeInput),
    Triage(TriageInput),
    SearchKb(KbQuery),
    Draft(DraftInput),
    Llm(LlmInput),
    CheckReply(CheckReplyInput),
    Send(SendInput),
    Escalate(EscalateInput),
    Notify(NoticeInput),
    RecordEvent(TicketEvent),
    Redeliver(RedeliverInput),
    /// Records a delivery receipt on the send ledger.
    RecordReceipt(DeliveryStatusInput),
}

/// The answer to an [`Await`].
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Policy(TicketPolicy),
    Recorded(RecordedInbound),
    OpenTicket(Option<OpenTicket>),
    Triaged(Triage),
    Kb(KbResults),
    Drafted(Draft),
    Llm(LlmOutput),
    Checked(Vec<ReplyProblem>),
    Sent(SendOutcome),
    Redelivered(RedeliveryOutcome),
    /// An activity without a result (notify, record, merge) succeeded.
    Ok,
    /// The activity failed for good (retries exhausted, non-retryable).
    Failed(String),
    /// The raced deadline passed first; the activity was cancelled.
    Late,
    Patched(bool),
    HandedOver(bool),
}

/// The values ops query in the Temporal Web UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchAttributes {
    pub status: &'static str,
    /// Finer than the status: `awaiting_customer` is the desk's "waiting
    /// for customer" view (the status says `open` for it and for `bot`).
    pub phase: &'static str,
    pub sla_breached: bool,
    /// The deadline of the current phase (first response, ack, resolution).
    pub sla_deadline_unix_ms: Option<i64>,
    pub escalation_reason: Option<EscalationReason>,
    pub ticket_id: Option<String>,
    pub channel: Option<crate::Channel>,
    pub customer_id: Option<String>,
    /// The agent who owns the ticket (the desk's "Mine" view).
    pub owner: Option<String>,
}
