//! What a human sees of a ticket in the Temporal Web UI: built from the
//! ticket's state and workflow time only, so the workflow can publish it on
//! every state change and a replay publishes the same text.
//!
//! - [`card`]: the ticket card (the workflow's current details, markdown).
//! - [`labels`]: names for the deadlines timers wait on and the activities
//!   a ticket runs, so the history and timeline read as SLA steps.
//! - [`words`]: shortening, masking and durations shared by both.

pub mod card;
pub mod labels;
pub mod words;

pub use card::ticket_card;
pub use labels::{DeadlineKind, activity_summary, named_deadlines, start_summary, timer_summary};
pub use words::{channel_name, mask_contact, short_name, shorten};
