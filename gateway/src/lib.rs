//! Steward's edge: everything between the providers and Temporal.
//!
//! - [`config`]: the gateway's own settings.
//! - [`error`]: the one HTTP error type (client errors explain, 5xx hide details).
//! - [`twilio`]: Twilio's signature schemes (`twilio::signature`) and the
//!   WhatsApp webhook form.
//! - `twilio_webhooks`: the inbound WhatsApp and status-callback handlers.
//! - `delivery_status`: delivery receipts, signalled to the ticket their
//!   (signed) callback URL names.
//! - `gmail_push`: Gmail's Pub/Sub push notifications onto Kafka.
//! - [`google_jwt`]: the push's OIDC token check (RS256, JWKS, claims).
//! - [`metrics`]: Prometheus metrics of the edge and `/metrics` rendering.
//! - [`openapi`]: the OpenAPI document of the HTTP API.
//! - [`readiness`]: the dependency checks behind `/ready`.
//! - [`state`]: what handlers share (settings, producer, database, Temporal).
//! - [`app`]: the axum router (`/webhooks/...`, `/health`, `/ready`, `/metrics`).
//! - `web_form`, `web_continuation`, [`rate_limit`]: the support form, its
//!   status page, continuing an earlier web ticket, the per-IP limit.
//! - [`tickets_api`]: `GET /api/tickets/{id}`, backed by the workflow's queries.
//!
//! Kafka (the producer, intake, their settings) is the `steward-bus` crate.

pub mod app;
pub mod config;
mod delivery_status;
pub mod error;
mod gmail_push;
mod google_jwks;
pub mod google_jwt;
pub mod metrics;
pub mod openapi;
pub mod rate_limit;
pub mod readiness;
pub mod state;
pub mod tickets_api;
pub mod twilio;
mod twilio_webhooks;
mod web_continuation;
mod web_form;

pub use app::router;
pub use config::GatewayConfig;
pub use state::AppState;

#[cfg(test)]
mod hostile_input_tests;
