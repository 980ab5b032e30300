//! Activity contracts: what a workflow may ask the outside world to do.
//!
//! Each contract is a unit struct implementing the SDK's `ActivityDefinition`
//! by hand, so workflow code names the activity and its types without linking
//! the implementation. Implementations bind to a contract with
//! `#[activity(definition = ...)]`, which makes the compiler check that the
//! input and output types match and that the registered name is this one.

use serde::{Deserialize, Serialize};
use steward_domain::guardrails::Triage;
use steward_domain::reply_check::ReplyProblem;
use steward_domain::{Channel, EscalationReason, InboundMessage, SlaPolicy};
use temporalio_workflow::common::ActivityDefinition;

macro_rules! activity_contract {
    ($(#[$doc:meta])* $name:ident, $activity:literal, $input:ty => $output:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl $name {
            /// The activity type name registered with Temporal.
            pub const NAME: &'static str = $activity;
        }

        impl ActivityDefinition for $name {
            type Input = $input;
            type Output = $output;

            fn name(&self) -> &str {
                Self::NAME
            }
        }
    };
}

/// How replies are drafted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftingMode {
    /// Grounded only in retrieved KB passages; no network.
    #[default]
    Offline,
    /// An OpenAI-compatible chat model with tools.
    Llm,
}

/// Everything configurable a ticket depends on, loaded once per ticket (and
/// carried across continue-as-new) so replay never sees a changed policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TicketPolicy {
    pub sla: SlaPolicy,
    pub drafting: DraftingMode,
    /// Below this retrieval confidence the bot declines (no_answer_in_kb).
    pub min_kb_confidence: f32,
    /// Upper bound of LLM ↔ tool round trips per reply.
    pub max_llm_rounds: u32,
    /// A run continues as new past this many history events (Temporal's
    /// hard limit is 51,200; staying far below keeps replays fast).
    pub max_history_events: u32,
    /// WhatsApp's customer-service window: free-form messages are allowed
    /// this long after the customer's last message (Meta's rule: 24 h).
    pub whatsapp_window_secs: u64,
}

impl Default for TicketPolicy {
    fn default() -> Self {
        Self {
            sla: SlaPolicy::default(),
            drafting: DraftingMode::Offline,
            min_kb_confidence: 0.5,
            max_llm_rounds: 4,
            max_history_events: 5_000,
            whatsapp_window_secs: 86_400,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordInboundInput {
    /// The ticket's stable key (generated once per ticket by the workflow).
    pub ticket_key: String,
    pub workflow_id: String,
    pub channel: Channel,
    pub message: InboundMessage,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedInbound {
    /// The customer-facing ticket number, e.g. `TKT-000042`.
    pub ticket_id: String,
    pub customer_id: String,
    /// False when this provider message id was already stored (a redelivery).
    pub inserted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriageInput {
    pub ticket_id: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KbQuery {
    pub ticket_id: String,
    pub query: String,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    pub article_slug: String,
    pub title: String,
    pub heading: String,
    pub content: String,
    pub score: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct KbResults {
    pub passages: Vec<Passage>,
    /// Calibrated 0..1 confidence that the top passage answers the query.
    pub confidence: f32,
    /// The distinct articles of the ranking, best first (up to 5), however
    /// many passages were asked for: the workflow history then says which
    /// articles the search put first (retrieval is scored on it).
    #[serde(default)]
    pub top_articles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftInput {
    pub ticket_id: String,
    pub channel: Channel,
    pub customer_name: String,
    pub question: String,
    pub kb: KbResults,
    pub min_confidence: f32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// `None` when the responder declines (nothing in the KB supports an answer).
    pub text: Option<String>,
    pub cited_articles: Vec<String>,
    pub decline_reason: Option<String>,
}

/// One chat message for the LLM path (OpenAI wire roles).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatTurn {
    pub role: String,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub tool_calls: Vec<ToolCall>,
    #[serde(default)]
    pub tool_call_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// JSON text, as the model produced it.
    pub arguments: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LlmInput {
    pub ticket_id: String,
    pub channel: Channel,
    pub turns: Vec<ChatTurn>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LlmOutput {
    pub message: ChatTurn,
    pub model: String,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckReplyInput {
    pub channel: Channel,
    pub text: String,
}

/// Who a reply is from and why; decides formatting and the ledger kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyKind {
    Bot,
    Holding,
    Agent,
    CsatRequest,
}

impl ReplyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bot => "bot",
            Self::Holding => "holding",
            Self::Agent => "agent",
            Self::CsatRequest => "csat_request",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendInput {
    pub ticket_key: String,
    pub ticket_id: String,
    /// Unique per reply (ticket key + reply sequence): a retried activity
    /// finds its ledger row and never sends twice.
    pub idempotency_key: String,
    pub channel: Channel,
    pub recipient: String,
    pub kind: ReplyKind,
    pub author: String,
    pub text: String,
    pub correlation_id: String,
    /// How the customer called themselves (email greeting).
    #[serde(default)]
    pub customer_name: String,
    /// The conversation's subject (email: `Re: …`).
    #[serde(default)]
    pub subject: String,
    /// The provider's conversation (Gmail thread id), so a reply lands in it.
    #[serde(default)]
    pub conversation_key: String,
    /// The provider id of the customer's last message (email: its
    /// `Message-ID`, for `In-Reply-To`/`References`).
    #[serde(default)]
    pub in_reply_to: String,
    /// WhatsApp: whether the customer wrote within the last 24 hours, by
    /// workflow time. Outside it only an approved template may be sent.
    #[serde(default)]
    pub whatsapp_window_open: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendStatus {
    Sent,
    /// The ledger shows an earlier attempt already sent it.
    AlreadySent,
    /// An earlier attempt died mid-send: it may or may not have reached the
    /// provider. Not resent (never twice); humans are told to check.
    Uncertain,
    /// No allowed route: WhatsApp outside its window with neither a
    /// template nor an email address. Humans are told; never a silent drop.
    Undeliverable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendOutcome {
    pub status: SendStatus,
    pub provider_message_id: Option<String>,
    /// The channel it actually went out on, when not the ticket's own
    /// (`email` for a WhatsApp fallback).
    #[serde(default)]
    pub via: Option<Channel>,
    /// What went out instead of free text (`template`), if anything.
    #[serde(default)]
    pub note: String,
    /// Receipts for this message that reached us before the send was
    /// recorded (a fast `failed`): handled like the `delivery_status` signal.
    #[serde(default)]
    pub early_receipts: Vec<DeliveryStatusInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalateInput {
    pub ticket_key: String,
    pub ticket_id: String,
    pub channel: Channel,
    pub reason: EscalationReason,
    pub tier: u32,
    pub ack_due_unix_ms: i64,
    pub summary: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A deadline is close.
    Warning,
    /// A deadline passed.
    Breach,
    /// The customer wrote while a human owns the ticket.
    CustomerMessage,
    /// A send could not be confirmed.
    SendUncertain,
    /// A reply did not reach the customer and no fallback could.
    DeliveryFailed,
    /// Someone joined a ticket through an unverified self-statement.
    UnverifiedLink,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeInput {
    pub ticket_id: String,
    pub kind: NoticeKind,
    pub tier: u32,
    pub text: String,
}

/// A change of the ticket row (status, owner, SLA, CSAT), plus an audit row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TicketEvent {
    pub ticket_key: String,
    pub event: String,
    pub status: String,
    pub owner: Option<String>,
    pub sla_breached: bool,
    pub first_response_due_unix_ms: Option<i64>,
    pub resolution_due_unix_ms: Option<i64>,
    pub first_responded: bool,
    pub resolved_autonomously: Option<bool>,
    pub csat_score: Option<i32>,
    pub csat_comment: Option<String>,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub detail: String,
}

activity_contract!(
    /// The ticket policy in force now (SLA durations, drafting mode).
    LoadPolicy, "load_policy", () => TicketPolicy
);
activity_contract!(
    /// Records an inbound customer message: the customer and identity, the
    /// ticket row on first contact, and the message row, idempotently.
    RecordInbound, "record_inbound", RecordInboundInput => RecordedInbound
);
activity_contract!(
    /// Guardrails: answer or escalate, with reason and confidence.
    TriageMessage, "triage_message", TriageInput => Triage
);
activity_contract!(
    /// Knowledge-base retrieval with a calibrated confidence.
    SearchKb, "search_kb", KbQuery => KbResults
);
activity_contract!(
    /// The offline, retrieval-grounded responder.
    DraftReply, "draft_reply", DraftInput => Draft
);
activity_contract!(
    /// One chat-completion round of the LLM path (tools run as activities).
    LlmComplete, "llm_complete", LlmInput => LlmOutput
);
activity_contract!(
    /// The reply check: money promises, leaks, channel fit.
    CheckReply, "check_reply", CheckReplyInput => Vec<ReplyProblem>
);
activity_contract!(
    /// Sends a reply on the ticket's channel through the send ledger.
    SendReply, "send_reply", SendInput => SendOutcome
);
activity_contract!(
    /// Records an escalation and notifies the human queue of its tier.
    Escalate, "escalate", EscalateInput => ()
);
activity_contract!(
    /// Tells the human queue something about a ticket.
    NotifyHumans, "notify_humans", NoticeInput => ()
);
activity_contract!(
    /// Updates the ticket row and appends an audit event.
    RecordTicketEvent, "record_ticket_event", TicketEvent => ()
);

mod channels;
pub use channels::*;

/// Every contract name, for the test that the worker registers each one.
pub const ALL_ACTIVITY_NAMES: &[&str] = &[
    LoadPolicy::NAME,
    RecordInbound::NAME,
    TriageMessage::NAME,
    SearchKb::NAME,
    DraftReply::NAME,
    LlmComplete::NAME,
    CheckReply::NAME,
    SendReply::NAME,
    Escalate::NAME,
    NotifyHumans::NAME,
    RecordTicketEvent::NAME,
    RedeliverFailed::NAME,
    SyncMailbox::NAME,
    RenewMailboxWatch::NAME,
    FindOpenTicket::NAME,
    MarkMerged::NAME,
];
