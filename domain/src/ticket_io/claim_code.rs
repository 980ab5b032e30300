//! A claim's one-time code and its expiry. Each code sent is watched by a
//! small workflow of its own (`claim-code-<claim>-<serial>`), so the expiry
//! is a durable timer visible in the Temporal UI and kills the code in the
//! database when it fires; the stored `code_expires_at` stays as a second,
//! clock-based guard.

use crate::desk_view::words::{span, utc};
use serde::{Deserialize, Serialize};

/// One code sent for a claim: what its watching workflow needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimCodeWatch {
    pub claim_id: i64,
    /// Which of the claim's codes (1 for the first): a later code
    /// supersedes this one, and this watch then leaves it alone.
    pub serial: i32,
    /// What was claimed, masked (`phone +1555•••0101`).
    pub claimed: String,
    pub expires_in_secs: u64,
}

impl ClaimCodeWatch {
    /// The watching workflow's id: one per code, so a retried activity
    /// starts it once.
    pub fn workflow_id(&self) -> String {
        format!("claim-code-{}-{}", self.claim_id, self.serial)
    }

    /// The workflow's summary in the UI's list and metadata.
    pub fn summary(&self) -> String {
        format!(
            "claim #{}: code {} for {}",
            self.claim_id, self.serial, self.claimed
        )
    }

    /// The timer's name in the history and timeline.
    pub fn timer_summary(&self) -> String {
        format!(
            "claim code expiry, {}",
            span(self.expires_in_secs as i64 * 1000)
        )
    }

    /// The workflow's current details: what is watched and until when,
    /// then what became of the code.
    pub fn details(&self, started_unix_ms: i64, fate: Option<ClaimCodeFate>) -> String {
        let until = started_unix_ms + self.expires_in_secs as i64 * 1000;
        let state = match fate {
            None => format!("live until {}", utc(until)),
            Some(fate) => fate.describe().to_owned(),
        };
        format!(
            "## Claim #{} · code {}\n\n**Claimed:** {}\n\n**Code:** {state}\n\n\
             A claim links nothing until its code is echoed on the conversation that made it.",
            self.claim_id, self.serial, self.claimed
        )
    }
}

/// What became of a code when its time ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimCodeFate {
    /// Still live: it is dead now.
    Expired,
    /// Echoed in time: the claim is a link.
    Verified,
    /// A later code replaced it (that code has its own watch).
    Superseded,
    /// The claim failed (too many wrong codes) or is gone.
    Closed,
}

impl ClaimCodeFate {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Expired => "expired unused; it no longer links anything",
            Self::Verified => "echoed in time; the claim is verified",
            Self::Superseded => "replaced by a later code",
            Self::Closed => "the claim failed or no longer exists",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watch() -> ClaimCodeWatch {
        ClaimCodeWatch {
            claim_id: 7,
            serial: 2,
            claimed: "phone +1555•••0101".into(),
            expires_in_secs: 600,
        }
    }

    #[test]
    fn a_watch_is_named_for_its_claim_and_code() {
        let w = watch();
        assert_eq!(w.workflow_id(), "claim-code-7-2");
        assert_eq!(w.summary(), "claim #7: code 2 for phone +1555•••0101");
        assert_eq!(w.timer_summary(), "claim code expiry, 10 min");
        assert!(
            w.details(0, None)
                .contains("live until 1970-01-01 00:10 UTC")
        );
        let done = w.details(0, Some(ClaimCodeFate::Expired));
        assert!(done.contains("expired unused"), "{done}");
    }
}
