//! `POST /webhooks/gmail/pubsub`: Google Pub/Sub pushes a Gmail watch
//! notification (`{"emailAddress", "historyId"}`, base64 in
//! `message.data`). The OIDC token is verified first ([`crate::google_jwt`]);
//! the notice is produced to the inbound topic and only then acknowledged
//! (204), so a notice Pub/Sub saw acknowledged is durable. Intake hands it
//! to the mailbox's sync workflow.

use crate::error::ApiError;
use crate::state::{AppState, correlation_id};
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use serde::Deserialize;
use steward_bus::producer::MailboxNotice;

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct PushMessage {
    /// Base64 of `{"emailAddress": "...", "historyId": 12345}`.
    pub data: String,
    #[serde(default, alias = "message_id")]
    #[serde(rename = "messageId")]
    pub message_id: String,
}

/// The Pub/Sub push request body.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct PushBody {
    pub message: PushMessage,
    /// The subscription's name (logged).
    #[serde(default)]
    pub subscription: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GmailNotification {
    email_address: String,
    /// Gmail sends a number; accept a string too.
    history_id: serde_json::Value,
}

pub(crate) fn decode_notice(data: &str) -> Result<MailboxNotice, ApiError> {
    let bytes = STANDARD
        .decode(data)
        .or_else(|_| URL_SAFE.decode(data))
        .map_err(|_| ApiError::BadRequest("message.data is not base64".into()))?;
    let notification: GmailNotification = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::BadRequest(format!("message.data is not a Gmail notification: {e}"))
    })?;
    let history_id = match &notification.history_id {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| ApiError::BadRequest("historyId is not a number".into()))?;
    if !steward_domain::identity::is_single_address(notification.email_address.trim()) {
        return Err(ApiError::BadRequest(
            "emailAddress is not an address".into(),
        ));
    }
    Ok(MailboxNotice {
        email_address: notification.email_address.trim().to_ascii_lowercase(),
        history_id,
    })
}

#[utoipa::path(post, path = "/webhooks/gmail/pubsub", tag = "webhooks",
    request_body(content = PushBody, description = "Pub/Sub push of a Gmail watch notification"),
    params(("Authorization" = String, Header, description = "Bearer OIDC token of the push subscription's service account")),
    responses(
        (status = 204, description = "Durable on Kafka"),
        (status = 400, description = "Not a Gmail notification", body = crate::openapi::ErrorBody),
        (status = 403, description = "Missing, invalid, expired or wrong-audience token", body = crate::openapi::ErrorBody),
        (status = 503, description = "Kafka or Google's keys unavailable; Pub/Sub retries", body = crate::openapi::ErrorBody)))]
#[tracing::instrument(skip_all, fields(correlation_id))]
pub(crate) async fn push(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<PushBody>, JsonRejection>,
) -> axum::response::Response {
    let started = std::time::Instant::now();
    let response = accept(&state, &headers, body).await.into_response();
    crate::metrics::observe_webhook("gmail", started, &response);
    response
}

async fn accept(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Json<PushBody>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ApiError::Forbidden)?;
    if let Err(err) = state
        .push_verifier
        .verify(token.trim(), chrono::Utc::now().timestamp())
        .await
    {
        return Err(match err {
            crate::google_jwt::JwtError::KeysUnavailable(reason) => ApiError::Unavailable(reason),
            other => {
                tracing::warn!(reason = %other, "rejected a Pub/Sub push");
                ApiError::Forbidden
            }
        });
    }
    let Json(body) = body.map_err(|rejection| {
        ApiError::from_body_rejection(
            rejection.status(),
            rejection.body_text(),
            state.config.max_body_bytes,
        )
    })?;
    let notice = decode_notice(&body.message.data)?;
    let correlation_id = correlation_id(headers);
    tracing::Span::current().record("correlation_id", correlation_id.as_str());
    state
        .producer
        .publish_mailbox_notice(&notice, &correlation_id)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    tracing::info!(mailbox = %notice.email_address, history_id = notice.history_id,
        pubsub_message_id = %body.message.message_id, subscription = %body.subscription, "gmail push accepted");
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_decode_numbers_and_strings() {
        let data = STANDARD.encode(r#"{"emailAddress":"Support@Acme.test","historyId":9876}"#);
        let notice = decode_notice(&data).unwrap();
        assert_eq!(notice.email_address, "support@acme.test");
        assert_eq!(notice.history_id, 9876);
        let data = STANDARD.encode(r#"{"emailAddress":"s@acme.test","historyId":"12"}"#);
        assert_eq!(decode_notice(&data).unwrap().history_id, 12);
        assert!(decode_notice("!!").is_err());
        assert!(decode_notice(&STANDARD.encode("{}")).is_err());
        let list = r#"{"emailAddress":"s@acme.test, other@evil.test","historyId":1}"#;
        assert!(
            decode_notice(&STANDARD.encode(list)).is_err(),
            "one mailbox"
        );
    }
}
