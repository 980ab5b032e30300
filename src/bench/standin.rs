//! The bench's Twilio: the Messages API's wire format (form POST with
//! Basic auth to `/2010-04-01/Accounts/{sid}/Messages.json`, 201 with a
//! message sid; the list a reconciling retry reads), checking what Twilio
//! checks and refusing loudly otherwise. It stamps each message's arrival,
//! which is where inbound → reply latency ends.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub(super) const ACCOUNT_SID: &str = "ACbench0000000000000000000000000000";
pub(super) const AUTH_TOKEN: &str = "bench-twilio-account-token";

#[derive(Clone)]
struct Received {
    /// E.164, without the `whatsapp:` prefix.
    to: String,
    from: String,
    body: String,
}

#[derive(Clone, Default)]
pub(super) struct TwilioStandIn {
    pub(super) base_url: String,
    /// Every accepted message, in arrival order.
    received: Arc<Mutex<Vec<Received>>>,
    /// When the first message to each recipient arrived.
    first: Arc<Mutex<HashMap<String, Instant>>>,
    pub(super) refused: Arc<Mutex<u64>>,
}

impl TwilioStandIn {
    pub(super) async fn start() -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let standin = Self {
            base_url: format!("http://{}", listener.local_addr()?),
            ..Self::default()
        };
        let router = Router::new()
            .route(
                "/2010-04-01/Accounts/{sid}/Messages.json",
                post(send).get(list),
            )
            .with_state(standin.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Ok(standin)
    }

    pub(super) fn count(&self) -> usize {
        self.received.lock().map(|r| r.len()).unwrap_or(0)
    }

    /// When the first message to `recipient` arrived.
    pub(super) fn arrival(&self, recipient: &str) -> Option<Instant> {
        self.first.lock().ok()?.get(recipient).copied()
    }

    /// How many recipients got at least one message.
    pub(super) fn recipients(&self) -> usize {
        self.first.lock().map(|f| f.len()).unwrap_or(0)
    }
}

fn refuse(standin: &TwilioStandIn, status: StatusCode, code: u32, message: &str) -> Response {
    if let Ok(mut refused) = standin.refused.lock() {
        *refused += 1;
    }
    eprintln!("[bench] the Twilio stand-in refused a request: {message}");
    (
        status,
        Json(json!({"code": code, "message": message, "status": status.as_u16()})),
    )
        .into_response()
}

fn authorised(sid: &str, headers: &HeaderMap) -> bool {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"))
    );
    sid == ACCOUNT_SID
        && headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str())
}

async fn send(
    State(standin): State<TwilioStandIn>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if !authorised(&sid, &headers) {
        return refuse(&standin, StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let to = form.get("To").and_then(|t| t.strip_prefix("whatsapp:"));
    let from = form.get("From").and_then(|t| t.strip_prefix("whatsapp:"));
    let text = form.get("Body").or(form.get("ContentSid"));
    let (Some(to), Some(from), Some(text)) = (to, from, text) else {
        return refuse(
            &standin,
            StatusCode::BAD_REQUEST,
            21619,
            "To, From and a Body or ContentSid are required",
        );
    };
    if text.trim().is_empty() || text.chars().count() > 1600 {
        return refuse(
            &standin,
            StatusCode::BAD_REQUEST,
            21617,
            "The body is empty or over 1600 characters",
        );
    }
    let message_sid = format!("SM{}", uuid::Uuid::new_v4().simple());
    let at = Instant::now();
    if let Ok(mut first) = standin.first.lock() {
        first.entry(to.to_owned()).or_insert(at);
    }
    if let Ok(mut received) = standin.received.lock() {
        received.push(Received {
            to: to.to_owned(),
            from: from.to_owned(),
            body: text.clone(),
        });
    }
    let answer = json!({"sid": message_sid, "status": "queued", "to": format!("whatsapp:{to}"), "body": text});
    (StatusCode::CREATED, Json(answer)).into_response()
}

/// The message list a retry reads before resending: what reached `To`.
async fn list(
    State(standin): State<TwilioStandIn>,
    Path(sid): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !authorised(&sid, &headers) {
        return refuse(&standin, StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    let Some(to) = query.get("To").and_then(|t| t.strip_prefix("whatsapp:")) else {
        return refuse(
            &standin,
            StatusCode::BAD_REQUEST,
            21604,
            "The 'To' filter is required here",
        );
    };
    let received = standin
        .received
        .lock()
        .map(|r| r.clone())
        .unwrap_or_default();
    let messages: Vec<_> = received
        .iter()
        .filter(|r| r.to == to)
        .map(|r| {
            json!({"sid": format!("SM{}", uuid::Uuid::new_v4().simple()),
                   "to": format!("whatsapp:{}", r.to), "from": format!("whatsapp:{}", r.from), "body": r.body})
        })
        .collect();
    Json(json!({"messages": messages})).into_response()
}
