//! Steward's domain: pure types and rules shared by every other crate.
//!
//! - [`channel`]: the channels customers write on and their per-channel rules.
//! - [`identity`]: how a sender is identified (E.164 phones, emails) and normalised.
//! - [`envelope`]: the versioned protobuf envelope carried on Kafka, and the
//!   validated [`envelope::InboundMessage`] the ticket workflow receives.
//! - [`ticket`]: ticket status, conversation keys and workflow ids.
//! - [`lifecycle`]: the ticket state machine (bot, escalated, human, resolved).
//! - [`guardrails`]: triage rules deciding what the bot must not answer.
//! - [`replies`]: holding and CSAT messages, CSAT scores in replies.
//! - [`reply_check`]: the last check on a draft before it is sent.
//! - [`escalation`]: escalation reasons.
//! - [`sla`]: SLA policy and business-hours deadlines.
//!
//! Nothing here does I/O or depends on an async runtime, so workflow code
//! (which must be deterministic) can use all of it.

pub mod channel;
pub mod envelope;
pub mod escalation;
pub mod guardrails;
pub mod identity;
pub mod lifecycle;
pub mod replies;
pub mod reply_check;
pub mod sla;
pub mod ticket;

pub use channel::Channel;
pub use envelope::{EnvelopeError, InboundMessage, MediaItem};
pub use escalation::EscalationReason;
pub use identity::{Identity, IdentityError, IdentityKind};
pub use lifecycle::{HumanAction, Phase};
pub use sla::SlaPolicy;
pub use ticket::{TicketStatus, ticket_workflow_id};
