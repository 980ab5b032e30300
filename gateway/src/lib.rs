//! Steward's edge: everything between the providers and Temporal.
//!
//! - [`config`]: the gateway's and intake's own settings.
//! - [`error`]: the one HTTP error type (client errors explain, 5xx hide details).
//! - [`twilio`]: `X-Twilio-Signature` verification and the WhatsApp webhook form.
//! - [`producer`]: the idempotent `acks=all` Kafka producer of inbound envelopes.
//! - [`metrics`]: Prometheus metrics of the edge and `/metrics` rendering.
//! - [`openapi`]: the OpenAPI document of the HTTP API.
//! - [`readiness`]: the dependency checks behind `/ready`.
//! - [`app`]: the axum router and its handlers (`/webhooks/...`, `/health`, `/ready`).
//! - [`tickets_api`]: `GET /api/tickets/{id}`, backed by the workflow's queries.
//! - [`intake`]: the Kafka consumer that signal-with-starts ticket workflows
//!   and stores offsets only after Temporal accepted each message.

pub mod app;
pub mod config;
pub mod error;
pub mod intake;
pub mod metrics;
pub mod openapi;
pub mod producer;
pub mod readiness;
pub mod tickets_api;
pub mod twilio;

pub use app::{AppState, router};
pub use config::{GatewayConfig, IntakeConfig, KafkaConfig};
