//! The ticket's state: what the `status` query shows and what
//! continue-as-new carries into the next run.

use crate::ticket_io::{DeliveryStatusInput, TicketPolicy};
use crate::{Channel, EscalationReason, HumanAction, InboundMessage, Phase, TicketStatus};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, VecDeque};

/// Every running deadline, as Unix milliseconds (visible in the UI's query).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Deadlines {
    pub first_response_unix_ms: Option<i64>,
    pub ack_unix_ms: Option<i64>,
    pub ack_warning_unix_ms: Option<i64>,
    pub resolution_unix_ms: Option<i64>,
    pub resolution_warning_unix_ms: Option<i64>,
    pub quiet_until_unix_ms: Option<i64>,
    pub csat_until_unix_ms: Option<i64>,
    /// WhatsApp's 24-hour window closing (a durable timer: the ticket
    /// records it and tells the human owner when it passes).
    pub whatsapp_window_unix_ms: Option<i64>,
}

impl Deadlines {
    pub fn earliest(&self) -> Option<i64> {
        [
            self.first_response_unix_ms,
            self.ack_unix_ms,
            self.ack_warning_unix_ms,
            self.resolution_unix_ms,
            self.resolution_warning_unix_ms,
            self.quiet_until_unix_ms,
            self.csat_until_unix_ms,
            self.whatsapp_window_unix_ms,
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptLine {
    pub at_unix_ms: i64,
    /// `customer`, `bot`, `agent:<name>` or `steward` (holding, CSAT).
    pub from: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    pub score: i32,
    #[serde(default)]
    pub comment: String,
}

/// What the `status` query returns (and the ticket API shows). Fields added
/// later default when an older run's state is carried in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TicketView {
    pub ticket_id: Option<String>,
    pub status: TicketStatus,
    pub phase: Phase,
    pub channel: Option<Channel>,
    pub customer_id: Option<String>,
    pub customer_name: String,
    pub owner: Option<String>,
    pub escalation_reason: Option<EscalationReason>,
    pub tier: u32,
    pub sla_breached: bool,
    pub deadlines: Deadlines,
    pub messages_recorded: u32,
    pub bot_replies: u32,
    pub agent_replies: u32,
    pub last_provider_message_id: Option<String>,
    /// Human actions refused because they did not fit the ticket's phase.
    pub rejected_actions: Vec<String>,
    pub csat: Option<Feedback>,
    pub resolved_autonomously: Option<bool>,
    pub human_touched: bool,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub last_messages: Vec<TranscriptLine>,
    /// The latest delivery receipt of our messages.
    pub last_delivery: Option<DeliveryStatusInput>,
    pub delivery_failures: u32,
    /// WhatsApp: when the 24-hour customer-service window closes; after it
    /// only an approved template (or email) can reach the customer.
    pub whatsapp_window_closes_unix_ms: Option<i64>,
    /// The ticket this one was continued in (same customer, another channel).
    pub merged_into: Option<String>,
    /// The KB articles the bot's latest answer rests on.
    pub cited_articles: Vec<String>,
}

/// The whole state of a run; serialised as the next run's input on
/// continue-as-new, so queued signals and deadlines survive it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TicketState {
    pub ticket_key: String,
    /// This ticket's workflow id (the ticket's address for merges).
    pub workflow_id: String,
    pub view: TicketView,
    pub policy: Option<TicketPolicy>,
    /// Where replies go: the sender's phone or email.
    pub recipient: String,
    pub customer_name: String,
    pub correlation_id: String,
    pub reply_seq: u32,
    pub pending: VecDeque<InboundMessage>,
    pub actions: VecDeque<HumanAction>,
    pub feedback: Option<Feedback>,
    pub seen: BTreeSet<String>,
    pub transcript: Vec<TranscriptLine>,
    /// Human actions queued so far and handled so far (an Update waits
    /// for its own to be handled), and the last refused one (its number).
    pub actions_received: u64,
    pub actions_handled: u64,
    pub last_refused_action: Option<(u64, String)>,
    /// Signals that could not be read, waiting to be recorded as refused.
    pub refusals: VecDeque<String>,
    /// Delivery receipts waiting to be handled.
    pub receipts: VecDeque<DeliveryStatusInput>,
    /// Provider ids whose failure was already handled (receipts repeat).
    pub failed_deliveries: BTreeSet<String>,
    /// The conversation's subject and provider conversation (Gmail thread).
    pub subject: String,
    pub conversation_key: String,
    /// Where further messages go after a merge (the other ticket's workflow).
    pub merged_into_workflow: Option<String>,
    /// The channel replies go out on: the customer's latest one (a merged
    /// ticket hears from the customer on more than one).
    pub reply_channel: Option<Channel>,
}

const LAST_MESSAGES: usize = 5;

impl TicketState {
    pub fn has_work(&self) -> bool {
        !self.pending.is_empty()
            || !self.actions.is_empty()
            || self.feedback.is_some()
            || !self.receipts.is_empty()
            || !self.refusals.is_empty()
    }

    /// The phase and owner after a human action, or why it is refused: the
    /// lifecycle's rule, on a ticket that has a customer message.
    pub fn check_action(
        &self,
        action: &HumanAction,
    ) -> Result<(Phase, Option<String>), crate::lifecycle::TransitionError> {
        if self.view.ticket_id.is_none() {
            return Err(crate::lifecycle::TransitionError::NotStarted);
        }
        crate::lifecycle::apply(self.view.phase, self.view.owner.as_deref(), action)
    }

    pub fn set_phase(&mut self, phase: Phase) {
        self.view.phase = phase;
        self.view.status = phase.into();
    }

    pub fn push_transcript(&mut self, at_unix_ms: i64, from: &str, text: &str) {
        let line = TranscriptLine {
            at_unix_ms,
            from: from.to_owned(),
            text: text.to_owned(),
        };
        self.transcript.push(line);
        let skip = self.transcript.len().saturating_sub(LAST_MESSAGES);
        self.view.last_messages = self.transcript[skip..].to_vec();
    }

    pub fn next_idempotency_key(&mut self) -> String {
        self.reply_seq += 1;
        format!("{}:{}", self.ticket_key, self.reply_seq)
    }

    /// Folds a carried state into this run's (signals that arrived with the
    /// start are already queued here and come after the carried ones).
    pub fn restore(&mut self, mut carried: TicketState) {
        for m in std::mem::take(&mut self.pending) {
            if carried.seen.insert(m.provider_message_id.clone()) {
                carried.pending.push_back(m);
            }
        }
        carried.actions_received += self.actions.len() as u64;
        carried.actions.extend(std::mem::take(&mut self.actions));
        if self.feedback.is_some() {
            carried.feedback = self.feedback.take();
        }
        carried.receipts.extend(std::mem::take(&mut self.receipts));
        carried.refusals.extend(std::mem::take(&mut self.refusals));
        *self = carried;
    }
}
