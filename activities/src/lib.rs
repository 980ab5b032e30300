//! Steward's activities: the I/O half of the ticket workflow.
//!
//! - [`config`]: the activities' settings (policy, human queue, LLM, Twilio).
//! - [`db`]: the Postgres pool and the embedded migrations.
//! - [`crm`]: customers, identities, tickets, messages, escalations, events.
//! - [`embed`]: in-process sentence embeddings (all-MiniLM-L6-v2, candle).
//! - [`identity`]: one customer across channels; auditable, reversible links.
//! - [`kb`]: knowledge-base import and search.
//! - [`metrics`]: ticket, SLA, reply-latency and LLM metrics.
//! - [`status_link`]: a continued web ticket's link, sent to its address.
//! - [`responder`]: the offline, retrieval-grounded responder.
//! - [`llm`]: one chat-completions round with tools (the LLM path).
//! - [`channels`]: delivery on WhatsApp (Twilio, 24-hour window), email
//!   (Gmail), web, or the dev outbox.
//! - [`gmail`]: the Gmail API client and RFC 5322 in and out.
//! - [`mailbox`]: the mailbox sync and watch-renewal activities.
//! - [`ledger`]: the send ledger: at most once, and ambiguous sends settled.
//! - [`receipts`]: delivery receipts recorded on the send ledger.
//! - [`twilio`]: Twilio's Messages API (send, and look up what was sent).
//! - [`triage`]: the learned triage model (escalate or answer, and why).
//! - [`claims`]: the claim-code expiry workflow's activity.
//! - [`bench`]: `steward bench`'s baseline activity (answers, no I/O).
//! - [`ticket`]: [`TicketActivities`], bound to the contracts declared in
//!   `steward_workflows::contracts`.

pub mod bench;
pub mod channels;
pub mod claims;
pub mod config;
pub mod crm;
pub mod db;
pub mod embed;
pub mod gmail;
pub mod identity;
pub mod kb;
pub mod ledger;
pub mod llm;
pub mod mailbox;
pub mod metrics;
pub mod receipts;
pub mod responder;
pub mod status_link;
pub mod ticket;
pub mod triage;
pub mod twilio;

pub use config::ActivitySettings;
pub use ticket::TicketActivities;
