//! Twilio's webhooks: inbound WhatsApp messages (onto Kafka) and delivery
//! status callbacks (to the ticket that sent the message, as a signal).
//!
//! Both are verified the same way before anything else happens: form or
//! JSON body, auth-token HMAC-SHA1 or a Webhook Setting's shared key with
//! the algorithm its header names (see [`crate::twilio`]).

use crate::error::ApiError;
use crate::state::{AppState, correlation_id};
use crate::twilio::{self, Algorithm};
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, Uri, header};
use axum::response::IntoResponse;
use secrecy::ExposeSecret;
use uuid::Uuid;

/// Empty TwiML: "received, no automatic reply" (replies are sent by the
/// workflow through the Messages API, not in the webhook response).
const EMPTY_TWIML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#;
const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Reads, verifies and decodes a Twilio webhook body into its parameters.
fn verified_params(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Vec<(String, String)>, ApiError> {
    let raw_type = content_type(headers).to_owned();
    let essence = raw_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let is_json = essence == "application/json";
    if essence != FORM_CONTENT_TYPE && !is_json {
        return Err(ApiError::UnsupportedMediaType(raw_type, FORM_CONTENT_TYPE));
    }
    let body = body.map_err(|rejection| {
        ApiError::from_body_rejection(
            rejection.status(),
            rejection.body_text(),
            state.config.max_body_bytes,
        )
    })?;
    let signed_url = format!(
        "{}{}",
        state.config.public_base_url.trim_end_matches('/'),
        uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    );
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::Forbidden)?;
    let settings = headers
        .get("x-twilio-webhooks-signature-settings")
        .and_then(|v| v.to_str().ok());
    let algorithm = Algorithm::from_settings_header(settings).map_err(|name| {
        tracing::warn!(%name, "Twilio webhook signed with an unsupported algorithm");
        ApiError::Forbidden
    })?;
    let key = match settings {
        // A Webhook Rule signs with its Setting's shared key, not the auth token.
        Some(_) => {
            let secret = state.config.twilio_shared_key_secret.expose_secret();
            if secret.is_empty() {
                return Err(ApiError::Internal(anyhow::anyhow!(
                    "a Twilio webhook names a shared signing key but gateway.twilio_shared_key_secret is not set"
                )));
            }
            secret.as_bytes()
        }
        None => state.config.twilio_auth_token.expose_secret().as_bytes(),
    };
    let (valid, params) = if is_json {
        let valid = twilio::verify_json(algorithm, key, &signed_url, &body, signature);
        (
            valid,
            if valid {
                json_params(&body)?
            } else {
                Vec::new()
            },
        )
    } else {
        let params: Vec<(String, String)> =
            url::form_urlencoded::parse(&body).into_owned().collect();
        (
            twilio::verify_form(algorithm, key, &signed_url, &params, signature),
            params,
        )
    };
    if !valid {
        tracing::warn!(url = %signed_url, "rejected Twilio webhook with a bad signature");
        return Err(ApiError::Forbidden);
    }
    Ok(params)
}

/// A JSON webhook body as name/value pairs (top-level scalars).
pub(crate) fn json_params(body: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    let value: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("body is not a JSON object: {e}")))?;
    Ok(value
        .into_iter()
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k, s)),
            serde_json::Value::Number(n) => Some((k, n.to_string())),
            serde_json::Value::Bool(b) => Some((k, b.to_string())),
            _ => None,
        })
        .collect())
}

/// Counts and times every WhatsApp webhook by its final status.
#[utoipa::path(post, path = "/webhooks/twilio/whatsapp", tag = "webhooks",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "Twilio's inbound WhatsApp form (MessageSid, From, To, Body, NumMedia, MediaUrlN, MediaContentTypeN, ProfileName); JSON bodies with bodySHA256 are accepted too"),
    params(("X-Twilio-Signature" = String, Header, description = "HMAC of the public URL and the sorted form (SHA-1 with the auth token, or per X-Twilio-Webhooks-Signature-Settings)")),
    responses(
        (status = 200, description = "Durable on Kafka; empty TwiML", content_type = "text/xml", body = String),
        (status = 400, description = "Malformed form (the field is named)", body = crate::openapi::ErrorBody),
        (status = 403, description = "Missing or invalid signature", body = crate::openapi::ErrorBody),
        (status = 413, description = "Body over the limit", body = crate::openapi::ErrorBody),
        (status = 415, description = "Neither form-encoded nor JSON", body = crate::openapi::ErrorBody),
        (status = 503, description = "Kafka did not acknowledge; retry", body = crate::openapi::ErrorBody)))]
pub(crate) async fn whatsapp(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> axum::response::Response {
    let started = std::time::Instant::now();
    let response = accept_whatsapp(&state, &uri, &headers, body)
        .await
        .into_response();
    crate::metrics::observe_webhook("whatsapp", started, &response);
    response
}

#[tracing::instrument(skip_all, fields(correlation_id))]
async fn accept_whatsapp(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse + use<>, ApiError> {
    let params = verified_params(state, uri, headers, body)?;
    let correlation_id = correlation_id(headers);
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

/// Twilio's message status callback.
#[utoipa::path(post, path = "/webhooks/twilio/status", tag = "webhooks",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "MessageSid, MessageStatus (queued, sent, delivered, read, failed, undelivered, …), ErrorCode, ErrorMessage"),
    params(("X-Twilio-Signature" = String, Header, description = "Signed like the inbound webhook")),
    responses(
        (status = 200, description = "Recorded and signalled to the ticket (or not one of ours)"),
        (status = 400, description = "Missing or unknown field", body = crate::openapi::ErrorBody),
        (status = 403, description = "Missing or invalid signature", body = crate::openapi::ErrorBody),
        (status = 413, description = "Body over the limit", body = crate::openapi::ErrorBody),
        (status = 415, description = "Neither form-encoded nor JSON", body = crate::openapi::ErrorBody),
        (status = 503, description = "Postgres or Temporal unavailable; retry", body = crate::openapi::ErrorBody)))]
pub(crate) async fn status(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> axum::response::Response {
    let started = std::time::Instant::now();
    let response = async {
        let params = verified_params(&state, &uri, &headers, body)?;
        crate::delivery_status::accept(&state, &uri, &params).await
    }
    .await
    .into_response();
    crate::metrics::observe_webhook("twilio_status", started, &response);
    response
}
