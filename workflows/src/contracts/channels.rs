//! Contracts of the channel side: delivery receipts onto the ledger,
//! re-delivering a reply whose delivery failed, and the Gmail mailbox's
//! sync and watch renewal.

use serde::{Deserialize, Serialize};
use steward_domain::{Channel, DeliveryStatus};
use temporalio_workflow::common::ActivityDefinition;

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

/// One history sync of a Gmail mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxSyncInput {
    /// Our mailbox address (`support@example.com`).
    pub mailbox: String,
    /// The history id a push notification announced (a hint; the sync
    /// always starts from the stored one).
    #[serde(default)]
    pub announced_history_id: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxSyncOutcome {
    /// New inbound mails published as envelopes.
    pub published: u32,
    /// The history id the next sync starts from.
    pub history_id: u64,
    /// When the Gmail watch expires (Unix ms), as stored; `None` if never set.
    pub watch_expires_unix_ms: Option<i64>,
    /// How long to wait for a push before polling anyway.
    pub poll_interval_secs: u64,
    /// How long before expiry the watch is renewed.
    pub renew_before_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchRenewal {
    pub watch_expires_unix_ms: i64,
}

activity_contract!(
    /// Records a delivery receipt (the `delivery_status` signal's input) on
    /// the send ledger row of its message: the furthest status wins.
    RecordDeliveryReceipt, "record_delivery_receipt", DeliveryStatusInput => ReceiptRecorded
);
activity_contract!(
    /// Re-sends a reply whose delivery failed on another channel (email).
    RedeliverFailed, "redeliver_failed", RedeliverInput => RedeliveryOutcome
);
activity_contract!(
    /// `users.history.list` from the stored history id, `users.messages.get`
    /// for each new inbound mail, one inbound envelope per mail onto Kafka.
    SyncMailbox, "sync_mailbox", MailboxSyncInput => MailboxSyncOutcome
);
activity_contract!(
    /// `users.watch`: (re)starts push notifications for the mailbox.
    RenewMailboxWatch, "renew_mailbox_watch", String => WatchRenewal
);

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

activity_contract!(
    /// The customer's most recent other ticket that is still open.
    FindOpenTicket, "find_open_ticket", OpenTicketQuery => Option<OpenTicket>
);
activity_contract!(
    /// Closes this ticket as continued in another (auditable event) and
    /// lets the other ticket record the handed-over message.
    MarkMerged, "mark_merged", MergeInput => ()
);
