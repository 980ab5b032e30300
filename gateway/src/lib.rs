//! Steward's edge: everything between the providers and Temporal.
//!
//! - [`config`]: the gateway's and intake's own settings.
//! - [`error`]: the one HTTP error type (client errors explain, 5xx hide details).
//! - [`twilio`]: Twilio's signature schemes (`twilio::signature`) and the
//!   WhatsApp webhook form.
//! - `twilio_webhooks`: the inbound WhatsApp and status-callback handlers.
//! - `delivery_status`: delivery receipts, signalled to the ticket their
//!   (signed) callback URL names.
//! - `gmail_push`: Gmail's Pub/Sub push notifications onto Kafka.
//! - [`google_jwt`]: the push's OIDC token check (RS256, JWKS, claims).
//! - [`producer`]: the idempotent `acks=all` Kafka producer of inbound envelopes.
//! - [`metrics`]: Prometheus metrics of the edge and `/metrics` rendering.
//! - [`openapi`]: the OpenAPI document of the HTTP API.
//! - [`readiness`]: the dependency checks behind `/ready`.
//! - [`app`]: the axum router and its handlers (`/webhooks/...`, `/health`, `/ready`).
//! - `web_form`, `web_continuation`, [`rate_limit`]: the support form, its
//!   status page, continuing an earlier web ticket, the per-IP limit.
//! - [`tickets_api`]: `GET /api/tickets/{id}`, backed by the workflow's queries.
//! - [`intake`]: the Kafka consumer that signal-with-starts ticket workflows
//!   and stores offsets only after Temporal accepted each message.

pub mod app;
pub mod config;
mod delivery_status;
pub mod error;
mod gmail_push;
pub mod google_jwt;
pub mod intake;
pub mod metrics;
pub mod openapi;
pub mod producer;
pub mod rate_limit;
pub mod readiness;
pub mod tickets_api;
pub mod twilio;
mod twilio_webhooks;
mod web_continuation;
mod web_form;

pub use app::{AppState, router};
pub use config::{GatewayConfig, IntakeConfig, KafkaConfig};
