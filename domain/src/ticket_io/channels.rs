//! The channel side of a ticket: delivery receipts, re-delivery of a
//! failed reply, and handing a conversation over to the customer's open
//! ticket (one customer, one conversation).

use crate::{Channel, DeliveryStatus};
use serde::{Deserialize, Serialize};

/// A provider's delivery receipt for one of our messages (`delivery_status`
/// signal input, from Twilio's status callbacks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryStatusInput {
    pub provider_message_id: String,
    /// `queued`, `sent`, `delivered`, `read`, `failed`, `undelivered`, …
    pub status: String,
    #[serde(default)]
    pub error_code: String,
    #[serde(default)]
    pub error_message: String,
}

impl DeliveryStatusInput {
    /// `failed` or `undelivered`: the two failures tickets have always
    /// acted on (`canceled` is one too, for runs on the current code:
    /// see [`DeliveryStatus::is_failure`]).
    pub fn is_failure(&self) -> bool {
        matches!(self.status.as_str(), "failed" | "undelivered")
    }

    /// The status as the domain's ordered enum (which counts `canceled` as
    /// a failure too); `None` for a value this version does not know.
    pub fn parsed_status(&self) -> Option<DeliveryStatus> {
        DeliveryStatus::parse(&self.status)
    }
}

/// What recording a receipt on the send ledger found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ReceiptRecorded {
    /// The ledger has a send with this provider message id.
    pub known: bool,
    /// The receipt moved the ledger row's status on (a late or repeated
    /// receipt does not).
    pub advanced: bool,
}

/// A reply the provider reported as failed, to be re-sent another way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedeliverInput {
    pub ticket_key: String,
    pub ticket_id: String,
    /// The failed message's provider id (Twilio `MessageSid`).
    pub failed_provider_message_id: String,
    /// The ledger key of the re-delivery: the same failure never sends twice.
    pub idempotency_key: String,
    pub correlation_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedeliveryOutcome {
    /// The channel the reply went out on instead; `None` when the customer
    /// has no other address (humans are told).
    pub via: Option<Channel>,
    pub provider_message_id: Option<String>,
}

/// Which open ticket, if any, a customer's first message on a new
/// conversation belongs to (one customer, one conversation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenTicketQuery {
    pub ticket_key: String,
    pub customer_id: String,
    /// This ticket's workflow, excluded from the search.
    pub workflow_id: String,
    /// The message that may be handed over.
    #[serde(default)]
    pub provider_message_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenTicket {
    pub workflow_id: String,
    pub ticket_id: String,
    /// The sender became this customer through this very message's
    /// self-statement (unverified): humans are told when it is handed over.
    #[serde(default)]
    pub linked_by_this_message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeInput {
    pub ticket_key: String,
    /// The message handed over (its row moves with it).
    pub provider_message_id: String,
    pub into_ticket_id: String,
}
