//! What a ticket asks of the outside world and what it gets back: the
//! inputs and outputs of the activities the ticket state machine runs.
//!
//! Pure data (serde), so the state machine in [`crate::machine`] can build
//! every request and read every answer without Temporal; the workflow crate
//! binds each to an activity contract by name.

use crate::{Channel, EscalationReason, InboundMessage, SlaPolicy};
use serde::{Deserialize, Serialize};

mod channels;
mod claim_code;
pub use channels::*;
pub use claim_code::*;

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
    /// What this message did to an identity claim (a code went out, the
    /// code it carries verified a claim or was wrong), for the ticket to
    /// acknowledge instead of answering it like a question.
    #[serde(default)]
    pub verification: Option<VerificationNote>,
}

/// How a claimed phone, email or ticket number stands after a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationOutcome {
    /// A one-time code went out over the claimed channel (for a ticket
    /// number: said the same way whether or not the ticket exists).
    CodeSent,
    /// No code could go out (send failed, or the claim's sends are used up).
    NotSent,
    /// The message carried the right code: the claim is now a link.
    Verified,
    /// The message carried a code that matches no live claim.
    CodeWrong,
}

/// The outcome of an identity claim, with what humans and the customer see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationNote {
    pub outcome: VerificationOutcome,
    /// What was claimed, as shown to the customer (masked).
    pub claimed: String,
    /// For humans (ticket events, the queue): what happened and why.
    pub detail: String,
    /// What to tell the customer on this conversation, verbatim.
    pub reply: String,
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
    /// The signals behind `confidence`, about the best passage: its cosine
    /// with the query (`None` without vectors) and the share of the query's
    /// content words it contains.
    #[serde(default)]
    pub top_similarity: Option<f32>,
    #[serde(default)]
    pub top_coverage: f32,
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
    /// An attempt may have reached the provider (it died mid-call, timed
    /// out after sending, or got an unreadable answer) and the provider
    /// could not say whether it was sent. Not resent (never twice); humans
    /// are told to check.
    Uncertain,
    /// It cannot be delivered and retrying will not help: no allowed route
    /// (WhatsApp outside its window with neither a template nor an email
    /// address) or the provider refused it for good (Twilio 21211 invalid
    /// number, Gmail 400). `note` says which. Humans are told; never a
    /// silent drop.
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
    /// Always empty now: receipts reach the ticket only as the
    /// `delivery_status` signal. Kept so that recorded histories that carry
    /// it still decode (and replay as they ran).
    #[serde(default)]
    pub early_receipts: Vec<DeliveryStatusInput>,
    /// An earlier or timed-out attempt was found at the provider (Gmail's
    /// Sent mailbox, Twilio's message list) and recorded instead of sending
    /// again.
    #[serde(default)]
    pub reconciled: bool,
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
