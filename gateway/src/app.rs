//! The gateway's HTTP surface. Built by [`router`] from an [`AppState`], so
//! tests run exactly this router on port 0.

use crate::config::GatewayConfig;
use crate::error::ApiError;
use crate::producer::InboundProducer;
use crate::readiness::Readiness;
use crate::twilio;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, get, post};
use axum::{Json, Router};
use secrecy::ExposeSecret;
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

/// Empty TwiML: "received, no automatic reply" (replies are sent by the
/// workflow through the Messages API, not in the webhook response).
const EMPTY_TWIML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#;
const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<GatewayConfig>,
    pub producer: InboundProducer,
    pub readiness: Readiness,
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
    .add("post", "/webhooks/twilio/whatsapp", post(twilio_whatsapp))
    .add(
        "get",
        "/api/tickets/{id}",
        get(crate::tickets_api::get_ticket),
    )
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
fn correlation_id(headers: &HeaderMap) -> String {
    ["x-request-id", "i-twilio-idempotency-token"]
        .iter()
        .find_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map(str::to_owned)
        .unwrap_or_else(|| Uuid::new_v4().to_string())
}

fn require_form(headers: &HeaderMap) -> Result<(), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case(FORM_CONTENT_TYPE) {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(
            content_type.to_owned(),
            FORM_CONTENT_TYPE,
        ))
    }
}

/// Counts and times every WhatsApp webhook by its final status.
#[utoipa::path(post, path = "/webhooks/twilio/whatsapp", tag = "webhooks",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "Twilio's inbound WhatsApp form (MessageSid, From, To, Body, NumMedia, MediaUrlN, ProfileName)"),
    params(("X-Twilio-Signature" = String, Header, description = "HMAC-SHA1 of the public URL and the sorted form")),
    responses(
        (status = 200, description = "Durable on Kafka; empty TwiML", content_type = "text/xml", body = String),
        (status = 400, description = "Malformed form (the field is named)", body = crate::openapi::ErrorBody),
        (status = 403, description = "Missing or invalid signature", body = crate::openapi::ErrorBody),
        (status = 413, description = "Body over the limit", body = crate::openapi::ErrorBody),
        (status = 415, description = "Not form-encoded", body = crate::openapi::ErrorBody),
        (status = 503, description = "Kafka did not acknowledge; retry", body = crate::openapi::ErrorBody)))]
pub(crate) async fn twilio_whatsapp(
    state: State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> axum::response::Response {
    let started = std::time::Instant::now();
    let response = accept_whatsapp(state, uri, headers, body)
        .await
        .into_response();
    crate::metrics::WEBHOOK_REQUESTS
        .with_label_values(&["whatsapp", response.status().as_str()])
        .inc();
    crate::metrics::WEBHOOK_SECONDS
        .with_label_values(&["whatsapp"])
        .observe(started.elapsed().as_secs_f64());
    response
}

#[tracing::instrument(skip_all, fields(correlation_id))]
async fn accept_whatsapp(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    require_form(&headers)?;
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(state.config.max_body_bytes),
        _ => ApiError::BadRequest(rejection.body_text()),
    })?;
    let params: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let signed_url = format!(
        "{}{}",
        state.config.public_base_url.trim_end_matches('/'),
        uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    );
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::Forbidden)?;
    let token = state.config.twilio_auth_token.expose_secret().as_bytes();
    if !twilio::verify(token, &signed_url, &params, signature) {
        tracing::warn!(url = %signed_url, "rejected Twilio webhook with a bad signature");
        return Err(ApiError::Forbidden);
    }
    let correlation_id = correlation_id(&headers);
    tracing::Span::current().record("correlation_id", correlation_id.as_str());
    let message = twilio::whatsapp_message(
        &params,
        Uuid::new_v4().to_string(),
        correlation_id,
        chrono::Utc::now().timestamp_millis(),
    )
    .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    state
        .producer
        .publish(&message)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    tracing::info!(provider_message_id = %message.provider_message_id, "whatsapp message accepted");
    Ok((
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        EMPTY_TWIML,
    ))
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
