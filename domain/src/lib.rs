//! Steward's domain: pure types and rules shared by every other crate.
//!
//! - [`channel`]: the channels customers write on and their per-channel rules.
//! - [`identity`]: how a sender is identified (E.164 phones, emails) and normalised.
//! - [`envelope`]: the versioned protobuf envelope carried on Kafka, and the
//!   validated [`envelope::InboundMessage`] the ticket workflow receives.
//! - [`ticket`]: ticket status, conversation keys and workflow ids.
//! - [`mentions`]: identities and ticket numbers a message states as its own.
//! - [`persons`]: the person a message introduces itself as (shared phones).
//! - [`references`]: ticket references in our and other help desks' formats.
//! - [`lifecycle`]: phases and which human action fits which phase.
//! - [`machine`]: the ticket as one pure state machine (event in, effects out).
//! - [`ticket_link`]: a ticket's status link and its HMAC token.
//! - [`ticket_number`]: `TKT-000042`, parsed and formatted in one place.
//! - [`ticket_io`]: what a ticket asks of the outside world (activity inputs and outputs).
//! - [`ticket_state`]: a ticket's carried state and its `status` view.
//! - [`guardrails`]: triage rules deciding what the bot must not answer.
//! - [`replies`]: holding and CSAT messages, CSAT scores in replies.
//! - [`reply_check`]: the last check on a draft before it is sent.
//! - [`escalation`]: escalation reasons.
//! - [`delivery`]: delivery receipts' statuses, ordered by progress.
//! - [`desk_view`]: the ticket card, timer and activity names shown in the Temporal UI.
//! - [`format`]: one reply rendered per channel (email, WhatsApp, web).
//! - [`sla`]: SLA policy and business-hours deadlines.
//! - [`web_form`]: the web support form's rules, shared by page and server.
//!
//! Nothing here does I/O or depends on an async runtime, so workflow code
//! (which must be deterministic) can use all of it.

pub mod channel;
pub mod delivery;
pub mod desk_view;
pub mod envelope;
pub mod escalation;
pub mod format;
pub mod guardrails;
pub mod identity;
pub mod lifecycle;
pub mod machine;
pub mod mentions;
pub mod persons;
pub mod references;
pub mod replies;
pub mod reply_check;
pub mod sla;
pub mod ticket;
pub mod ticket_io;
pub mod ticket_link;
pub mod ticket_number;
pub mod ticket_state;
pub mod web_form;

pub use channel::Channel;
pub use delivery::DeliveryStatus;
pub use envelope::{EnvelopeError, InboundMessage, MediaItem};
pub use escalation::EscalationReason;
pub use identity::{Identity, IdentityError, IdentityKind};
pub use lifecycle::{HumanAction, Phase};
pub use sla::SlaPolicy;
pub use ticket::{TicketStatus, ticket_workflow_id};
pub use ticket_number::TicketNumber;

/// Serde helpers for settings (no I/O; shared by every crate's config).
pub mod settings_serde {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Lenient {
        Text(String),
        Int(i64),
        Float(f64),
        Bool(bool),
    }

    /// A string setting that environment layering may have parsed as a
    /// number (`STEWARD_..._WHATSAPP_FROM=+14155550199` arrives as an
    /// integer; an all-digit token likewise): take it back as text.
    pub fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(match Lenient::deserialize(d)? {
            Lenient::Text(s) => s,
            Lenient::Int(i) => format!("{i:+}").trim_start_matches('+').to_owned(),
            Lenient::Float(f) => f.to_string(),
            Lenient::Bool(b) => b.to_string(),
        })
    }

    /// [`lenient_string`] for a phone number in E.164: a parsed integer lost
    /// its `+`, which E.164 always has.
    pub fn lenient_e164<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        let s = lenient_string(d)?;
        Ok(if s.starts_with('+') {
            s
        } else {
            format!("+{s}")
        })
    }
}
