//! What every handler shares: settings and explicit handles to the
//! producer, the database and Temporal. Handlers import this module, never
//! the router (`app`), so the two don't import each other.

use crate::config::GatewayConfig;
use crate::google_jwt::PushVerifier;
use crate::readiness::Readiness;
use axum::http::HeaderMap;
use sqlx::PgPool;
use std::sync::Arc;
use steward_bus::producer::InboundProducer;
use temporalio_client::Client;
use uuid::Uuid;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<GatewayConfig>,
    /// Where accepted webhooks go (acks=all before the provider is answered).
    pub producer: InboundProducer,
    /// The CRM (ticket numbers, continuation, delivery ledger), when this
    /// process has one.
    pub db: Option<PgPool>,
    /// Temporal, for the ticket API's queries and receipts' signals.
    pub temporal: Option<Client>,
    /// Health checks of the same dependencies, behind `/ready` only.
    pub readiness: Readiness,
    pub push_verifier: Arc<PushVerifier>,
    pub web_rate_limit: Arc<crate::rate_limit::RateLimit>,
    /// Peers whose `X-Forwarded-For` is believed (`gateway.trusted_proxies`).
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
}

impl AppState {
    /// `config.public_base_url` must be final: the Pub/Sub audience
    /// defaults to the push endpoint's public URL, as Google's does.
    pub fn new(config: GatewayConfig, producer: InboundProducer, readiness: Readiness) -> Self {
        let audience = if config.gmail_push_audience.is_empty() {
            format!(
                "{}/webhooks/gmail/pubsub",
                config.public_base_url.trim_end_matches('/')
            )
        } else {
            config.gmail_push_audience.clone()
        };
        let push_verifier = Arc::new(PushVerifier::new(
            &config.google_jwks_url,
            &audience,
            &config.gmail_push_service_account,
        ));
        let web_rate_limit = Arc::new(crate::rate_limit::RateLimit::new(
            config.web_form_per_ip_per_hour,
            std::time::Duration::from_secs(3600),
        ));
        // An unparseable list is refused at start-up (`production_problems`).
        let trusted_proxies = Arc::new(if config.trust_forwarded_for {
            config.trusted_proxies().unwrap_or_default()
        } else {
            Vec::new()
        });
        Self {
            web_rate_limit,
            trusted_proxies,
            config: Arc::new(config),
            producer,
            db: readiness.postgres.clone(),
            temporal: readiness.temporal.clone(),
            readiness,
            push_verifier,
        }
    }
}

/// The correlation id of a request: the caller's `X-Request-Id` (or Twilio's
/// idempotency token) when present, otherwise a new one.
pub(crate) fn correlation_id(headers: &HeaderMap) -> String {
    ["x-request-id", "i-twilio-idempotency-token"]
        .iter()
        .find_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map(str::to_owned)
        .unwrap_or_else(|| Uuid::new_v4().to_string())
}
