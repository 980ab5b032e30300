//! Steward's activities: the I/O half of the ticket workflow.
//!
//! - [`db`]: the Postgres pool and the embedded migrations.
//! - [`crm`]: customers, identities, tickets and messages in Postgres.
//! - [`ticket`]: [`TicketActivities`], the activity implementations bound to
//!   the contracts declared in `steward_workflows::contracts`.

pub mod crm;
pub mod db;
pub mod ticket;

pub use ticket::TicketActivities;
