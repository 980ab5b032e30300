//! Contracts of the channel side: delivery receipts onto the ledger,
//! re-delivering a reply whose delivery failed, and the Gmail mailbox's
//! sync and watch renewal.

use super::{
    DeliveryStatusInput, MergeInput, OpenTicket, OpenTicketQuery, ReceiptRecorded, RedeliverInput,
    RedeliveryOutcome,
};
use serde::{Deserialize, Serialize};
use temporalio_workflow::common::ActivityDefinition;

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

activity_contract!(
    /// The customer's most recent other ticket that is still open.
    FindOpenTicket, "find_open_ticket", OpenTicketQuery => Option<OpenTicket>
);
activity_contract!(
    /// Closes this ticket as continued in another (auditable event) and
    /// lets the other ticket record the handed-over message.
    MarkMerged, "mark_merged", MergeInput => ()
);
