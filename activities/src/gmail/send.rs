//! Sending through Gmail, and finding what was sent. Once a send request
//! may have reached Gmail, a missing answer or id is
//! [`GmailError::Uncertain`]: the caller searches the Sent mailbox for the
//! message's `Message-ID` before it would send again.

use super::{Gmail, GmailError, urlencode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use serde_json::{Value, json};
use std::time::Duration;

/// A send's own timeout: below the send activity's 10 s start-to-close, so
/// that an attempt settles an ambiguous send itself.
const SEND_TIMEOUT: Duration = Duration::from_secs(8);

impl Gmail {
    /// Sends an RFC 5322 message into `thread_id`; returns Gmail's message
    /// id. Once the request may have reached Gmail, a missing answer or id
    /// is [`GmailError::Uncertain`], never a plain retry.
    pub async fn send(&self, rfc5322: &[u8], thread_id: &str) -> Result<String, GmailError> {
        let mut body = json!({ "raw": URL_SAFE.encode(rfc5322) });
        if !thread_id.is_empty() {
            body["threadId"] = json!(thread_id);
        }
        for attempt in 0..2 {
            let token = self.access_token(attempt > 0).await?;
            let response = self
                .http
                .post(self.url("messages/send"))
                .timeout(SEND_TIMEOUT)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .map_err(|e| match e.is_connect() {
                    true => GmailError::Transient(e.to_string()),
                    false => GmailError::Uncertain(format!("send: {e}")),
                })?;
            let status = response.status().as_u16();
            if (200..300).contains(&status) {
                let text = response.text().await.map_err(|e| {
                    GmailError::Uncertain(format!("send: the answer was cut off: {e}"))
                })?;
                let id = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| v["id"].as_str().map(str::to_owned))
                    .filter(|id| !id.is_empty());
                let start: String = text.chars().take(200).collect();
                return id.ok_or_else(|| {
                    GmailError::Uncertain(format!("send answered {status} without an id: {start}"))
                });
            }
            let text = response.text().await.unwrap_or_default();
            match status {
                401 if attempt == 0 => continue,
                429 | 500.. => {
                    return Err(GmailError::Transient(format!("send: {status} {text}")));
                }
                _ => return Err(GmailError::Permanent(format!("send: {status} {text}"))),
            }
        }
        Err(GmailError::Permanent(
            "send: unauthorised after a token refresh".into(),
        ))
    }

    /// Gmail ids of messages in the Sent mailbox with this `Message-ID`
    /// (`users.messages.list?labelIds=SENT&q=rfc822msgid:…`).
    pub async fn find_sent(&self, message_id: &str) -> Result<Vec<String>, GmailError> {
        let query = urlencode(&format!("rfc822msgid:{message_id}"));
        let value = self
            .ok(
                reqwest::Method::GET,
                &format!("messages?labelIds=SENT&q={query}"),
                None,
            )
            .await?;
        if value.get("resultSizeEstimate").is_none() && value.get("messages").is_none() {
            return Err(GmailError::Transient(format!(
                "unreadable messages.list answer: {value}"
            )));
        }
        Ok(super::message_ids(&value))
    }
}
