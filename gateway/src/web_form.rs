//! The web channel: `GET /support` (the form), `POST /api/support/submit`
//! and `GET /support/tickets/{id}` (the customer's status page).
//!
//! A submission is validated with the same rules the page applies
//! ([`steward_domain::web_form`]), rate-limited per client IP, and answered
//! with its ticket reference only after the message is durable on Kafka.
//! A message that names one of the sender's earlier web tickets continues
//! it. Pages carry a strict Content-Security-Policy (no inline script, no
//! third parties) and never leak the ticket link through `Referer`.

use crate::error::ApiError;
use crate::rate_limit::client_ip;
use crate::state::{AppState, correlation_id};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use secrecy::ExposeSecret;
use serde_json::json;
use std::collections::HashMap;
use std::net::SocketAddr;
use steward_domain::format::escape_html;
use steward_domain::web_form::{CATEGORIES, RULES, SupportForm, ValidSubmission};
use steward_domain::{Channel, InboundMessage, ticket_workflow_id};
use uuid::Uuid;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
    connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const SUPPORT_HTML: &str = include_str!("../assets/support.html");
const STATUS_HTML: &str = include_str!("../assets/status.html");

/// Security headers of every page and asset.
fn page(content_type: &'static str, body: String) -> Response {
    let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[utoipa::path(get, path = "/support", tag = "web",
    responses((status = 200, description = "The support form", content_type = "text/html")))]
pub(crate) async fn form_page() -> Response {
    let options: String = CATEGORIES
        .iter()
        .map(|c| {
            format!(
                "<option value=\"{c}\">{}</option>",
                escape_html(&capitalise(c))
            )
        })
        .collect();
    let rules = serde_json::to_string(RULES).expect("rules serialise");
    let html = SUPPORT_HTML
        .replace("{{CATEGORY_OPTIONS}}", &options)
        // `</` cannot end the JSON block early: the rules never contain it.
        .replace("{{RULES}}", &rules.replace("</", "<\\/"));
    page("text/html; charset=utf-8", html)
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

#[utoipa::path(get, path = "/support/assets/{file}", tag = "web",
    params(("file" = String, Path, description = "support.js, status.js or steward.css")),
    responses((status = 200, description = "A page asset"), (status = 404, description = "No such asset")))]
pub(crate) async fn asset(Path(file): Path<String>) -> Response {
    match file.as_str() {
        "support.js" => page(
            "text/javascript; charset=utf-8",
            include_str!("../assets/support.js").into(),
        ),
        "status.js" => page(
            "text/javascript; charset=utf-8",
            include_str!("../assets/status.js").into(),
        ),
        "steward.css" => page(
            "text/css; charset=utf-8",
            include_str!("../assets/steward.css").into(),
        ),
        "favicon.svg" => page(
            "image/svg+xml",
            include_str!("../assets/favicon.svg").into(),
        ),
        _ => ApiError::NotFound.into_response(),
    }
}

#[utoipa::path(get, path = "/support/tickets/{id}", tag = "web",
    params(("id" = String, Path, description = "Ticket reference (W-…) or number (TKT-…)"),
           ("token" = String, Query, description = "The ticket link's token")),
    responses((status = 200, description = "The status page", content_type = "text/html"),
              (status = 404, description = "Unknown ticket or wrong token", body = crate::openapi::ErrorBody)))]
pub(crate) async fn status_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let token = query.get("token").map(String::as_str).unwrap_or("");
    if !crate::tickets_api::token_matches(&state, &id, token) {
        return ApiError::NotFound.into_response();
    }
    page("text/html; charset=utf-8", STATUS_HTML.to_owned())
}

/// A new web ticket's reference: unguessable is not needed (the link token
/// guards it), short and unambiguous is.
fn new_reference() -> String {
    let hex = Uuid::new_v4().simple().to_string().to_ascii_uppercase();
    format!("W-{}", &hex[..10])
}

/// The form, from JSON (the page's script) or form encoding (no script).
pub(crate) fn parse(headers: &HeaderMap, body: &[u8]) -> Result<(SupportForm, bool), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") {
        let form = serde_json::from_slice(body)
            .map_err(|e| ApiError::BadRequest(format!("body is not a support form: {e}")))?;
        Ok((form, true))
    } else if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        let map: serde_json::Map<String, serde_json::Value> = url::form_urlencoded::parse(body)
            .into_owned()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect();
        let form = serde_json::from_value(serde_json::Value::Object(map))
            .map_err(|e| ApiError::BadRequest(format!("body is not a support form: {e}")))?;
        Ok((form, false))
    } else {
        Err(ApiError::UnsupportedMediaType(
            content_type.to_owned(),
            "application/json",
        ))
    }
}

#[utoipa::path(post, path = "/api/support/submit", tag = "web",
    request_body(content = crate::openapi::SupportFormBody, content_type = "application/json",
        description = "The form; form-encoded with the same names is accepted too (answered with a redirect)"),
    responses(
        (status = 200, description = "Durable on Kafka: ticket_ref and status_url"),
        (status = 303, description = "Form-encoded submit: redirect to the status page"),
        (status = 400, description = "Not a support form", body = crate::openapi::ErrorBody),
        (status = 413, description = "Body over the limit", body = crate::openapi::ErrorBody),
        (status = 415, description = "Neither JSON nor form-encoded", body = crate::openapi::ErrorBody),
        (status = 422, description = "Validation failed; `fields` names each problem"),
        (status = 429, description = "Too many submissions from this address", body = crate::openapi::ErrorBody),
        (status = 503, description = "Kafka did not acknowledge; retry", body = crate::openapi::ErrorBody)))]
pub(crate) async fn submit(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let ip = client_ip(
        &headers,
        connect.map(|Extension(c)| c.0),
        &state.trusted_proxies,
    );
    if let Err(retry_after) = state.web_rate_limit.check(ip) {
        let mut response = ApiError::TooManyRequests.into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        return Ok(response);
    }
    let body = body.map_err(|rejection| {
        ApiError::from_body_rejection(
            rejection.status(),
            rejection.body_text(),
            state.config.max_body_bytes,
        )
    })?;
    let (form, wants_json) = parse(&headers, &body)?;
    if form.is_bot() {
        // Answer like a success so the bot learns nothing; enqueue nothing.
        tracing::info!(%ip, "honeypot filled: web form submission dropped");
        return Ok(
            Json(json!({"ticket_ref": new_reference(), "status_url": "/support"})).into_response(),
        );
    }
    let valid = form
        .validate(&state.config.phone_region)
        .map_err(|fields| {
            ApiError::Validation(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
        })?;
    let (reference, continued) =
        match crate::web_continuation::earlier_ticket(&state, &valid).await? {
            Some(reference) => (reference, true),
            None => (new_reference(), false),
        };
    let message = envelope(&valid, &reference, correlation_id(&headers));
    state
        .producer
        .publish(&message)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    if continued {
        return Ok(crate::web_continuation::continued_response(wants_json));
    }
    let status_url = steward_domain::ticket_link::status_path(
        state.config.ticket_link_secret.expose_secret().as_bytes(),
        &reference,
    );
    tracing::info!(%reference, continued, "web form message accepted");
    if wants_json {
        Ok(
            Json(
                json!({"ticket_ref": reference, "status_url": status_url, "continued": continued}),
            )
            .into_response(),
        )
    } else {
        Ok(Redirect::to(&status_url).into_response())
    }
}

fn envelope(valid: &ValidSubmission, reference: &str, correlation_id: String) -> InboundMessage {
    let id = Uuid::new_v4().to_string();
    InboundMessage {
        envelope_id: id.clone(),
        correlation_id,
        channel: Channel::Web,
        provider_message_id: format!("web-{id}"),
        conversation_key: reference.to_owned(),
        sender: valid.email.clone(),
        sender_name: valid.name.clone(),
        subject: format!("[{}] {}", valid.category, valid.subject),
        body: match &valid.phone {
            // The number as a self-statement links it to the customer.
            Some(phone) => format!("{}\n\nMy phone number is {}.", valid.message, phone.value),
            None => valid.message.clone(),
        },
        received_at_unix_ms: chrono::Utc::now().timestamp_millis(),
        media: Vec::new(),
        recipient: String::new(),
        reply_address: valid.email_as_typed.clone(),
    }
}

/// The workflow id of a web ticket reference.
pub(crate) fn web_workflow_id(reference: &str) -> String {
    ticket_workflow_id(Channel::Web, reference)
}
