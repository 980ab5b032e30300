//! Where one of our messages is on its way to the customer, as a
//! provider's delivery receipt reports it (Twilio's `MessageStatus`).
//!
//! Receipts arrive out of order (`delivered` may overtake `sent`) and
//! repeat, so everyone that keeps a status (the send ledger, the ticket)
//! keeps the furthest one: statuses are ordered by progress, and the
//! terminal failures rank above every progress status so that a late
//! `delivered` never hides a `failed`. Failures are not ordered among
//! themselves: a later failure report replaces an earlier one.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Accepted,
    Scheduled,
    Queued,
    Sending,
    Sent,
    Receiving,
    Received,
    PartiallyDelivered,
    Delivered,
    Read,
    /// Twilio could not send it.
    Failed,
    /// The carrier or WhatsApp could not deliver it.
    Undelivered,
    /// A scheduled message cancelled before it went out: the customer
    /// never got it, so it counts as a failure like the other two.
    Canceled,
}

impl DeliveryStatus {
    /// In order of progress; the failures last.
    pub const ALL: [DeliveryStatus; 13] = [
        Self::Accepted,
        Self::Scheduled,
        Self::Queued,
        Self::Sending,
        Self::Sent,
        Self::Receiving,
        Self::Received,
        Self::PartiallyDelivered,
        Self::Delivered,
        Self::Read,
        Self::Failed,
        Self::Undelivered,
        Self::Canceled,
    ];

    /// The status named by Twilio's string (case-insensitive); `None` for
    /// a value this version does not know.
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim();
        Self::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(name))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Scheduled => "scheduled",
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Receiving => "receiving",
            Self::Received => "received",
            Self::PartiallyDelivered => "partially_delivered",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
            Self::Undelivered => "undelivered",
            Self::Canceled => "canceled",
        }
    }

    /// The message will not reach the customer.
    pub fn is_failure(self) -> bool {
        matches!(self, Self::Failed | Self::Undelivered | Self::Canceled)
    }

    /// How far the message got; every failure has the same, top rank.
    pub fn rank(self) -> usize {
        let progress = Self::ALL.iter().position(|s| *s == self).unwrap_or(0);
        if self.is_failure() {
            Self::Read.rank() + 1
        } else {
            progress
        }
    }

    /// Whether a receipt of this status is recorded over `current`: the
    /// furthest status wins, and a failure is replaced only by a failure.
    pub fn supersedes(self, current: Option<DeliveryStatus>) -> bool {
        current.is_none_or(|c| self.partial_cmp(&c) != Some(Ordering::Less))
    }
}

/// Progress order: `queued < sent < delivered < read < failed`; two
/// different failures are incomparable (neither is further than the other).
impl PartialOrd for DeliveryStatus {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        if self == other {
            Some(Ordering::Equal)
        } else if self.is_failure() && other.is_failure() {
            None
        } else {
            Some(self.rank().cmp(&other.rank()))
        }
    }
}

impl std::fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::DeliveryStatus::{self, *};

    #[test]
    fn progress_is_ordered_and_failures_rank_above_it() {
        assert!(Queued < Sent && Sent < Delivered && Delivered < Read);
        for failure in [Failed, Undelivered, Canceled] {
            assert!(failure.is_failure());
            assert!(Read < failure && Queued < failure, "{failure}");
        }
        assert_eq!(Failed.partial_cmp(&Undelivered), None);
        assert!(!Read.is_failure() && !Sent.is_failure());
    }

    #[test]
    fn the_furthest_status_wins() {
        assert!(Sent.supersedes(None));
        assert!(Delivered.supersedes(Some(Sent)));
        assert!(!Sent.supersedes(Some(Delivered)), "a late sent");
        assert!(!Delivered.supersedes(Some(Failed)), "a late delivered");
        assert!(!Read.supersedes(Some(Canceled)));
        assert!(
            Undelivered.supersedes(Some(Failed)),
            "failure updates failure"
        );
        assert!(Failed.supersedes(Some(Read)));
        assert!(Sent.supersedes(Some(Sent)), "a repeat is harmless");
    }

    #[test]
    fn names_round_trip_through_parse_and_serde() {
        for status in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::parse(status.as_str()), Some(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
        assert_eq!(DeliveryStatus::parse("DELIVERED"), Some(Delivered));
        assert_eq!(DeliveryStatus::parse("lost"), None);
    }
}
