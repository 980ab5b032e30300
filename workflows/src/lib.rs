//! Steward's Temporal workflows. Everything here is deterministic: no I/O,
//! no clock, no randomness outside the SDK's workflow context.
//!
//! - [`claim_code`]: `ClaimCodeWorkflow`, one per identity-claim code: its
//!   expiry as a durable, visible timer.
//! - [`contracts`]: the activity contracts (names, inputs, outputs) the
//!   workflows call; the `steward-activities` crate implements them, and this
//!   crate cannot reach the implementations or their I/O crates.
//! - [`mailbox`]: `MailboxWorkflow`, one per Gmail mailbox: history syncs
//!   on push or poll, watch renewal.
//! - [`round_trips`]: `RoundTripsWorkflow`, `steward bench`'s baseline: only
//!   activity round trips, to compare the ticket rate with the platform's.
//! - [`search_attributes`]: the custom search attributes ops query in the
//!   Temporal Web UI (`TicketStatus = 'escalated' AND SlaDeadline < now`).
//! - [`ticket`]: `TicketWorkflow`, one per open ticket, started or signalled
//!   by intake with signal-with-start.

pub mod claim_code;
pub mod contracts;
pub mod mailbox;
pub mod round_trips;
pub mod search_attributes;
pub mod ticket;

pub use claim_code::ClaimCodeWorkflow;
pub use mailbox::{
    MailboxProgress, MailboxPush, MailboxStart, MailboxWorkflow, mailbox_workflow_id,
};
pub use round_trips::RoundTripsWorkflow;
pub use ticket::state::{TicketState, TicketView};
pub use ticket::{DeliveryStatusInput, TicketStart, TicketWorkflow};

/// The task queue the ticket workflows and their activities run on by default.
pub const DEFAULT_TASK_QUEUE: &str = "steward-tickets";
