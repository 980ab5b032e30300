//! The Gmail API for the support mailbox: OAuth2 refresh-token access,
//! `users.history.list`, `users.messages.get` (raw), `users.messages.send`,
//! `users.messages.list` (also to find a sent message by its `Message-ID`),
//! `users.watch` and `users.getProfile`. Base URLs are configuration, so
//! tests run against a local stand-in that checks what Google checks.
//!
//! - [`mime`]: reading inbound RFC 5322 mail and writing replies.
//! - `send`: `messages.send`, and finding a sent message by `Message-ID`.

pub mod mime;
mod send;

use crate::config::GmailSettings;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

#[derive(Debug, thiserror::Error)]
pub enum GmailError {
    /// The stored history id is older than Gmail keeps (404 on history.list).
    #[error("the mailbox history from {0} is no longer available")]
    HistoryExpired(u64),
    #[error("Gmail refused the request: {0}")]
    Permanent(String),
    #[error("Gmail unavailable: {0}")]
    Transient(String),
    /// A send that may have reached Gmail without an id coming back (a
    /// timeout after sending, an unreadable or id-less 2xx).
    #[error("Gmail may have sent it: {0}")]
    Uncertain(String),
}

/// A message as `users.messages.get?format=raw` returns it.
#[derive(Debug, Clone)]
pub struct RawMessage {
    pub id: String,
    pub thread_id: String,
    pub label_ids: Vec<String>,
    pub raw: Vec<u8>,
}

/// New messages since a history id, and the id to continue from.
#[derive(Debug, Clone, Default)]
pub struct HistoryDelta {
    pub message_ids: Vec<String>,
    pub history_id: u64,
}

pub struct Gmail {
    http: reqwest::Client,
    settings: GmailSettings,
    token: Mutex<Option<(String, Instant)>>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default = "one_hour")]
    expires_in: u64,
}

fn one_hour() -> u64 {
    3600
}

fn history_id(value: &Value) -> Result<u64, GmailError> {
    let field = &value["historyId"];
    field
        .as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| field.as_u64())
        .ok_or_else(|| GmailError::Transient(format!("answer without historyId: {value}")))
}

impl Gmail {
    pub fn new(settings: GmailSettings) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap_or_default(),
            settings,
            token: Mutex::new(None),
        }
    }

    pub fn settings(&self) -> &GmailSettings {
        &self.settings
    }

    /// An access token from the refresh-token grant, cached until a minute
    /// before it expires.
    async fn access_token(&self, force: bool) -> Result<String, GmailError> {
        let mut cached = self.token.lock().await;
        if let Some((token, until)) = cached.as_ref()
            && !force
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let s = &self.settings;
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", s.client_id.as_str()),
            ("client_secret", s.client_secret.expose_secret()),
            ("refresh_token", s.refresh_token.expose_secret()),
        ];
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let response = self
            .http
            .post(&s.token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| GmailError::Transient(format!("token endpoint: {e}")))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if !status.is_success() {
            // invalid_grant (revoked refresh token) is for a human to fix.
            return Err(if status.is_server_error() {
                GmailError::Transient(format!("token endpoint answered {status}: {text}"))
            } else {
                GmailError::Permanent(format!("token endpoint answered {status}: {text}"))
            });
        }
        let answer: TokenAnswer = serde_json::from_str(&text)
            .map_err(|e| GmailError::Transient(format!("unreadable token answer: {e}")))?;
        let until = Instant::now() + Duration::from_secs(answer.expires_in.saturating_sub(60));
        *cached = Some((answer.access_token.clone(), until));
        Ok(answer.access_token)
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/gmail/v1/users/me/{path}",
            self.settings.api_base.trim_end_matches('/')
        )
    }

    /// One API call; a 401 refreshes the token once and retries.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), GmailError> {
        for attempt in 0..2 {
            let token = self.access_token(attempt > 0).await?;
            let mut request = self
                .http
                .request(method.clone(), self.url(path))
                .bearer_auth(token);
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request
                .send()
                .await
                .map_err(|e| GmailError::Transient(e.to_string()))?;
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            if status == 401 && attempt == 0 {
                continue;
            }
            if status == 429 || status >= 500 {
                return Err(GmailError::Transient(format!("{path}: {status} {text}")));
            }
            let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
            return Ok((status, value));
        }
        Err(GmailError::Permanent(format!(
            "{path}: unauthorised after a token refresh"
        )))
    }

    async fn ok(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, GmailError> {
        match self.call(method, path, body).await? {
            (200..=299, value) => Ok(value),
            (status, value) => Err(GmailError::Permanent(format!("{path}: {status} {value}"))),
        }
    }

    /// The mailbox's current history id (`users.getProfile`).
    pub async fn current_history_id(&self) -> Result<u64, GmailError> {
        history_id(&self.ok(reqwest::Method::GET, "profile", None).await?)
    }

    /// Messages added to the inbox since `start` (every page).
    pub async fn history_since(&self, start: u64) -> Result<HistoryDelta, GmailError> {
        let mut delta = HistoryDelta {
            message_ids: Vec::new(),
            history_id: start,
        };
        let mut page_token: Option<String> = None;
        loop {
            let mut path =
                format!("history?startHistoryId={start}&historyTypes=messageAdded&labelId=INBOX");
            if let Some(token) = &page_token {
                path.push_str(&format!("&pageToken={}", urlencode(token)));
            }
            let value = match self.call(reqwest::Method::GET, &path, None).await? {
                (404, _) => return Err(GmailError::HistoryExpired(start)),
                (200..=299, value) => value,
                (status, value) => {
                    return Err(GmailError::Permanent(format!("history: {status} {value}")));
                }
            };
            delta.history_id = delta.history_id.max(history_id(&value)?);
            for record in value["history"].as_array().into_iter().flatten() {
                for added in record["messagesAdded"].as_array().into_iter().flatten() {
                    if let Some(id) = added["message"]["id"].as_str()
                        && !delta.message_ids.iter().any(|m| m == id)
                    {
                        delta.message_ids.push(id.to_owned());
                    }
                }
            }
            match value["nextPageToken"].as_str() {
                Some(token) => page_token = Some(token.to_owned()),
                None => return Ok(delta),
            }
        }
    }

    /// Inbox messages of the last two days (after the history expired).
    pub async fn recent_inbox(&self) -> Result<Vec<String>, GmailError> {
        let value = self
            .ok(
                reqwest::Method::GET,
                "messages?labelIds=INBOX&q=newer_than%3A2d&maxResults=100",
                None,
            )
            .await?;
        Ok(message_ids(&value))
    }

    pub async fn raw_message(&self, id: &str) -> Result<RawMessage, GmailError> {
        let value = self
            .ok(
                reqwest::Method::GET,
                &format!("messages/{}?format=raw", urlencode(id)),
                None,
            )
            .await?;
        let raw = value["raw"].as_str().unwrap_or_default();
        // Gmail pads its base64url; accept it with or without.
        let raw = URL_SAFE_NO_PAD
            .decode(raw.trim_end_matches('='))
            .map_err(|e| {
                GmailError::Permanent(format!("message {id}: raw is not base64url: {e}"))
            })?;
        Ok(RawMessage {
            id: id.to_owned(),
            thread_id: value["threadId"].as_str().unwrap_or_default().to_owned(),
            label_ids: value["labelIds"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|l| l.as_str().map(str::to_owned))
                .collect(),
            raw,
        })
    }

    /// `users.watch`: push notifications to the configured Pub/Sub topic.
    /// Returns the expiry (Unix ms).
    pub async fn watch(&self) -> Result<i64, GmailError> {
        let body = json!({ "topicName": self.settings.pubsub_topic, "labelIds": ["INBOX"] });
        let value = self.ok(reqwest::Method::POST, "watch", Some(&body)).await?;
        let field = &value["expiration"];
        field
            .as_str()
            .and_then(|s| s.parse().ok())
            .or_else(|| field.as_i64())
            .ok_or_else(|| {
                GmailError::Transient(format!("watch answered without expiration: {value}"))
            })
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The message ids of a `users.messages.list` answer (none when it has no
/// `messages`, which is how Gmail says "no match").
pub(crate) fn message_ids(list: &serde_json::Value) -> Vec<String> {
    list["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["id"].as_str().map(str::to_owned))
        .collect()
}
