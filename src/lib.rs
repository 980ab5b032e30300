//! The `steward` binary's library: everything `main` wires together, and
//! what the end-to-end tests build the app with.
//!
//! - [`settings`]: the one typed settings struct (defaults → file → `STEWARD_*`).
//! - [`telemetry`]: logging (pretty or JSON).
//! - [`redact`]: PII masking of every log line.
//! - [`temporal`]: the Temporal client.
//! - [`worker`]: the Temporal worker (ticket workflows + activities).
//! - [`app`]: starts the roles (gateway, intake, worker) and stops them cleanly.
//! - [`stats`]: percentiles for benchmarks and evaluation.
//! - [`stack`]: supervised local servers (Temporal dev server, tansu) and topics.
//! - [`eval`], [`eval_score`], [`eval_history`], [`eval_identity`]: `steward eval`
//!   over a labelled dataset, scored from what each ticket's workflow did.
//! - [`train`]: `steward train`, the triage model fitted on a dataset.
//! - [`bench`]: `steward bench`, the stack under load beside the platform's limits.
//! - [`dev`]: `steward dev`, the whole stack in one command.
//! - [`desk_views`]: `steward desk`, the agents' saved views of the Temporal UI.
//! - [`webhook_sign`]: signed test webhooks for trying the stack by hand.

pub mod app;
pub mod bench;
pub mod desk_views;
pub mod dev;
pub mod eval;
pub mod eval_direct;
pub mod eval_history;
pub mod eval_identity;
pub mod eval_score;
pub mod redact;
pub mod redact_otlp;
pub mod settings;
pub mod stack;
pub mod stats;
pub mod telemetry;
pub mod temporal;
pub mod train;
pub mod webhook_sign;
pub mod worker;
