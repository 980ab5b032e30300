//! The HTTP error type of every handler.
//!
//! Client errors say what was wrong; server errors are logged in full and
//! answered with a generic message, so internals never reach a caller.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("signature missing or invalid")]
    Forbidden,
    #[error("unsupported content type {0:?}; expected {1}")]
    UnsupportedMediaType(String, &'static str),
    #[error("request body exceeds {0} bytes")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    BadRequest(String),
    #[error("not found")]
    NotFound,
    #[error("some fields are not valid")]
    Validation(std::collections::BTreeMap<String, String>),
    #[error("too many requests; try again later")]
    TooManyRequests,
    /// A dependency is down; the caller should retry (providers do).
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A request body axum could not read: over `limit` (413) or malformed
    /// (400 with axum's reason).
    pub fn from_body_rejection(status: StatusCode, reason: String, limit: usize) -> Self {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge(limit)
        } else {
            ApiError::BadRequest(reason)
        }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::UnsupportedMediaType(..) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation"),
            ApiError::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            ApiError::Internal(err) => {
                tracing::error!(error = ?err, "internal error");
                "internal error".to_owned()
            }
            ApiError::Unavailable(reason) => {
                tracing::warn!(%reason, "dependency unavailable");
                "temporarily unavailable, retry later".to_owned()
            }
            other => other.to_string(),
        };
        let mut body = json!({ "error": code, "message": message });
        if let ApiError::Validation(fields) = &self {
            body["fields"] = json!(fields);
        }
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}
