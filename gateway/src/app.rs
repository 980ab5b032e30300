//! The gateway's HTTP surface. Built by [`router`] from an [`AppState`], so
//! tests run exactly this router on port 0.

use crate::config::GatewayConfig;
use crate::google_jwt::PushVerifier;
use crate::producer::InboundProducer;
use crate::readiness::Readiness;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, get, post};
use axum::{Json, Router};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<GatewayConfig>,
    pub producer: InboundProducer,
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
            readiness,
            push_verifier,
        }
    }
}

/// Every route with its method, in one table: the router is built from it
/// and the OpenAPI test compares it with the document.
struct Routes {
    router: Router<AppState>,
    table: Vec<(&'static str, &'static str)>,
}

impl Routes {
    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        handler: MethodRouter<AppState>,
    ) -> Self {
        self.table.push((method, path));
        self.router = self.router.route(path, handler);
        self
    }
}

fn routes() -> Routes {
    Routes {
        router: Router::new(),
        table: Vec::new(),
    }
    .add(
        "post",
        "/webhooks/twilio/whatsapp",
        post(crate::twilio_webhooks::whatsapp),
    )
    .add(
        "post",
        "/webhooks/twilio/status",
        post(crate::twilio_webhooks::status),
    )
    .add(
        "get",
        "/api/tickets/{id}",
        get(crate::tickets_api::get_ticket),
    )
    .add(
        "post",
        "/webhooks/gmail/pubsub",
        post(crate::gmail_push::push),
    )
    .add("get", "/support", get(crate::web_form::form_page))
    .add("get", "/support/assets/{file}", get(crate::web_form::asset))
    .add(
        "get",
        "/support/tickets/{id}",
        get(crate::web_form::status_page),
    )
    .add("post", "/api/support/submit", post(crate::web_form::submit))
    .add("get", "/api/openapi.json", get(crate::openapi::serve))
    .add("get", "/health", get(health))
    .add("get", "/ready", get(ready))
    .add("get", "/metrics", get(metrics))
}

/// (method, path) of every route the gateway serves.
pub fn route_table() -> Vec<(&'static str, &'static str)> {
    routes().table
}

pub fn router(state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    routes()
        .router
        // The limit is enforced while reading the body; the handler maps the
        // rejection to 413 with our error shape.
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain")))]
pub(crate) async fn metrics() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(),
    )
}

#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "The process is alive", body = crate::openapi::Health)))]
pub(crate) async fn health() -> impl IntoResponse {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

#[utoipa::path(get, path = "/ready", tag = "operations",
    responses(
        (status = 200, description = "Every dependency answers", body = crate::readiness::ReadinessReport),
        (status = 503, description = "A dependency is down", body = crate::readiness::ReadinessReport)))]
pub(crate) async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let report = state.readiness.report().await;
    let status = if report.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(report))
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

/// `/health`, `/ready` and `/metrics` for roles without the gateway (intake,
/// worker), so every Deployment has the same probes and scrape target.
pub fn admin_router(readiness: Readiness) -> Router {
    Router::new()
        .route("/health", get(health))
        .route(
            "/ready",
            get(|State(readiness): State<Readiness>| async move {
                let report = readiness.report().await;
                let status = if report.ready {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                };
                (status, Json(report))
            }),
        )
        .route("/metrics", get(metrics))
        .with_state(readiness)
}
