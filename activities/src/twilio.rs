//! Twilio's Messages API for WhatsApp: sending (form POST, basic auth with
//! the account SID and auth token or an API key, `whatsapp:` addresses, a
//! status callback URL naming the ticket) and looking up what was sent to
//! a number (`GET Messages.json?To=&DateSent>=`), which is how an
//! ambiguous send is settled instead of being repeated.
//!
//! An answer is ambiguous when the request may have reached Twilio but no
//! message id came back: a timeout after sending, an unreadable 2xx, or a
//! 2xx without a `sid` ([`DeliveryError::Uncertain`]).

use crate::channels::DeliveryError;
use crate::config::TwilioSettings;
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use serde::Deserialize;
use std::time::Duration;

/// Below the send activity's 10 s start-to-close timeout, so that an
/// attempt settles an ambiguous send itself rather than being abandoned.
pub(crate) const SEND_TIMEOUT: Duration = Duration::from_secs(8);
/// Clock skew allowed between our database and Twilio's timestamps.
const SKEW: chrono::TimeDelta = chrono::TimeDelta::minutes(2);

pub(crate) enum Body<'a> {
    Text(&'a str),
    /// The configured template, its variable `1` the ticket number.
    Template(&'a str),
}

#[derive(Clone)]
pub(crate) struct Twilio {
    http: reqwest::Client,
    pub(crate) settings: TwilioSettings,
}

#[derive(Deserialize)]
struct Listed {
    #[serde(default)]
    messages: Vec<ListedMessage>,
}

#[derive(Deserialize)]
struct ListedMessage {
    sid: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    date_created: Option<String>,
}

impl Twilio {
    pub(crate) fn new(settings: TwilioSettings) -> Self {
        let http = reqwest::Client::builder()
            .timeout(SEND_TIMEOUT)
            .build()
            .unwrap_or_default();
        Self { http, settings }
    }

    fn messages_url(&self) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.settings.api_base.trim_end_matches('/'),
            self.settings.account_sid
        )
    }

    /// The account stays in the URL; an API key, when set, authenticates.
    fn credentials(&self) -> (&str, &str) {
        let s = &self.settings;
        if s.api_key_sid.is_empty() {
            (&s.account_sid, s.auth_token.expose_secret())
        } else {
            (&s.api_key_sid, s.api_key_secret.expose_secret())
        }
    }

    /// The configured callback URL with the ticket's workflow id added:
    /// Twilio signs the whole URL, so the gateway can trust the id.
    fn status_callback(&self, workflow_id: &str) -> Option<String> {
        let base = &self.settings.status_callback_url;
        if base.is_empty() {
            return None;
        }
        let Ok(mut url) = url::Url::parse(base) else {
            return Some(base.clone());
        };
        if !workflow_id.is_empty() {
            url.query_pairs_mut().append_pair("ticket", workflow_id);
        }
        Some(url.into())
    }

    /// Sends one WhatsApp message; Twilio's message SID.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn send(
        &self,
        recipient: &str,
        body: &Body<'_>,
        workflow_id: &str,
    ) -> Result<String, DeliveryError> {
        let mut form = vec![
            ("From", format!("whatsapp:{}", self.settings.whatsapp_from)),
            ("To", format!("whatsapp:{recipient}")),
        ];
        match body {
            Body::Text(text) => form.push(("Body", (*text).to_owned())),
            Body::Template(ticket_id) => {
                form.push(("ContentSid", self.settings.template_content_sid.clone()));
                let vars = serde_json::json!({ "1": ticket_id });
                form.push(("ContentVariables", vars.to_string()));
            }
        }
        if let Some(url) = self.status_callback(workflow_id) {
            form.push(("StatusCallback", url));
        }
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&form)
            .finish();
        let (user, password) = self.credentials();
        let response = self
            .http
            .post(self.messages_url())
            .basic_auth(user, Some(password))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encoded)
            .send()
            .await
            .map_err(DeliveryError::from_request)?;
        let status = response.status();
        if status.is_success() {
            // Accepted: from here on, a missing id means "maybe sent".
            let text = response.text().await.map_err(|e| {
                DeliveryError::Uncertain(format!("Twilio's answer was cut off: {e}"))
            })?;
            return serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v["sid"].as_str().map(str::to_owned))
                .filter(|sid| !sid.is_empty())
                .ok_or_else(|| {
                    let start: String = text.chars().take(200).collect();
                    DeliveryError::Uncertain(format!(
                        "Twilio answered {status} without a sid: {start}"
                    ))
                });
        }
        let text = response.text().await.unwrap_or_default();
        let detail = format!("Twilio answered {status}: {text}");
        if status.as_u16() == 429 || status.is_server_error() {
            Err(DeliveryError::Transient(detail))
        } else {
            Err(DeliveryError::Permanent(detail))
        }
    }

    /// The SIDs of messages to `recipient` since `since` that match `body`
    /// (any message, for a template: its text is Twilio's), newest first.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn find_sent(
        &self,
        recipient: &str,
        body: &Body<'_>,
        since: DateTime<Utc>,
    ) -> Result<Vec<String>, String> {
        let since = since - SKEW;
        let to = format!("whatsapp:{recipient}");
        let from = format!("whatsapp:{}", self.settings.whatsapp_from);
        let date = since.format("%Y-%m-%d").to_string();
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("To", to.as_str()),
                ("DateSent>", date.as_str()),
                ("PageSize", "100"),
            ])
            .finish();
        let (user, password) = self.credentials();
        let response = self
            .http
            .get(format!("{}?{query}", self.messages_url()))
            .basic_auth(user, Some(password))
            .send()
            .await
            .map_err(|e| format!("Twilio's message list: {e}"))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("Twilio's message list answered {status}: {text}"));
        }
        let listed: Listed = serde_json::from_str(&text)
            .map_err(|e| format!("unreadable Twilio message list: {e}"))?;
        Ok(listed
            .messages
            .into_iter()
            .filter(|m| m.to == to && m.from == from)
            .filter(|m| match body {
                Body::Text(text) => m.body == *text,
                Body::Template(_) => true,
            })
            .filter(|m| {
                // Without a readable date the message may be ours: keep it.
                m.date_created
                    .as_deref()
                    .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
                    .is_none_or(|d| d >= since)
            })
            .map(|m| m.sid)
            .collect())
    }
}
