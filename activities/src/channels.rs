//! Delivering a reply on the customer's channel, formatted for it
//! ([`steward_domain::format`]).
//!
//! WhatsApp goes through Twilio's Messages API (form POST, basic auth with
//! the account SID and auth token, `whatsapp:` addresses, a status callback
//! URL for delivery receipts). Outside the 24-hour customer-service window
//! free text is not allowed: an approved template goes instead, or the
//! reply goes by email when the customer has an address, or the send is
//! refused as [`DeliveryError::NoRoute`] (humans are told; never dropped).
//! Email goes through the Gmail API as a threaded RFC 5322 message. The web
//! channel's delivery is the stored message (the status page shows it).
//! Without provider credentials (development) replies go to the outbox:
//! stored and logged, never sent anywhere.

use crate::config::{GmailSettings, TwilioSettings};
use crate::gmail::{self, Gmail, GmailError};
use secrecy::ExposeSecret;
use serde::Deserialize;
use std::sync::Arc;
use steward_domain::Channel;
use steward_domain::format::{Addressing, render};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Retrying cannot help (bad number, rejected credentials).
    #[error("permanent delivery failure: {0}")]
    Permanent(String),
    /// The provider may accept it later (rate limit, 5xx, network).
    #[error("transient delivery failure: {0}")]
    Transient(String),
    /// No channel may carry this reply now.
    #[error("no route to the customer: {0}")]
    NoRoute(String),
}

impl From<GmailError> for DeliveryError {
    fn from(err: GmailError) -> Self {
        match err {
            GmailError::Transient(e) => DeliveryError::Transient(e),
            other => DeliveryError::Permanent(other.to_string()),
        }
    }
}

/// One reply to deliver.
#[derive(Debug, Clone, Default)]
pub struct Outgoing<'a> {
    pub channel: Option<Channel>,
    pub recipient: &'a str,
    pub text: &'a str,
    pub customer_name: &'a str,
    pub subject: &'a str,
    /// The provider conversation (Gmail thread id).
    pub conversation_key: &'a str,
    /// The customer's last message id (email `Message-ID`).
    pub in_reply_to: &'a str,
    /// Stable per reply: the email `Message-ID` is derived from it.
    pub idempotency_key: &'a str,
    pub ticket_id: &'a str,
    pub whatsapp_window_open: Option<bool>,
    /// The customer's email address, for the WhatsApp fallback.
    pub fallback_email: Option<&'a str>,
}

/// What the provider accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub provider_message_id: String,
    /// Set when it went out on another channel than the ticket's.
    pub via: Option<Channel>,
    /// `template <sid>` when a template went instead of the text.
    pub note: String,
}

#[derive(Clone)]
pub struct Channels {
    http: reqwest::Client,
    twilio: TwilioSettings,
    gmail: Arc<Gmail>,
}

#[derive(Deserialize)]
struct TwilioMessage {
    sid: String,
}

impl Channels {
    pub fn new(twilio: TwilioSettings, gmail: GmailSettings) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(8))
                .build()
                .unwrap_or_default(),
            twilio,
            gmail: Arc::new(Gmail::new(gmail)),
        }
    }

    fn delivered(id: String) -> Delivered {
        Delivered {
            provider_message_id: id,
            via: None,
            note: String::new(),
        }
    }

    /// Delivers one reply; the provider's message id on success.
    pub async fn deliver(&self, out: &Outgoing<'_>) -> Result<Delivered, DeliveryError> {
        let channel = out.channel.unwrap_or(Channel::Web);
        match channel {
            Channel::Whatsapp if self.twilio.account_sid.is_empty() => self.outbox(channel),
            Channel::Whatsapp if out.whatsapp_window_open == Some(false) => {
                if !self.twilio.template_content_sid.is_empty() {
                    let sid = self
                        .twilio_send(out.recipient, Body::Template(out.ticket_id))
                        .await?;
                    Ok(Delivered {
                        note: format!("template {}", self.twilio.template_content_sid),
                        ..Self::delivered(sid)
                    })
                } else if let Some(email) = out.fallback_email {
                    let fallback = Outgoing {
                        channel: Some(Channel::Email),
                        recipient: email,
                        ..out.clone()
                    };
                    let mut delivered = Box::pin(self.deliver(&fallback)).await?;
                    delivered.via = Some(Channel::Email);
                    Ok(delivered)
                } else {
                    Err(DeliveryError::NoRoute(
                        "the WhatsApp 24-hour window is closed, no template is configured and the customer has no email address".into(),
                    ))
                }
            }
            Channel::Whatsapp => {
                let text = render(channel, out.text, self.addressing(out)).text;
                Ok(Self::delivered(
                    self.twilio_send(out.recipient, Body::Text(&text)).await?,
                ))
            }
            Channel::Email if self.gmail.settings().configured() => self.gmail_send(out).await,
            Channel::Web => Ok(Self::delivered(format!("web-{}", Uuid::new_v4()))),
            Channel::Email => self.outbox(channel),
        }
    }

    fn outbox(&self, channel: Channel) -> Result<Delivered, DeliveryError> {
        tracing::info!(%channel, "no provider configured: reply stored in the outbox, not sent");
        Ok(Self::delivered(format!("outbox-{}", Uuid::new_v4())))
    }

    fn addressing<'a>(&'a self, out: &Outgoing<'a>) -> Addressing<'a> {
        Addressing {
            customer_name: out.customer_name,
            signature: &self.gmail.settings().signature,
        }
    }

    #[tracing::instrument(skip_all)]
    async fn gmail_send(&self, out: &Outgoing<'_>) -> Result<Delivered, DeliveryError> {
        let settings = self.gmail.settings();
        let rendered = render(Channel::Email, out.text, self.addressing(out));
        let domain = settings
            .mailbox
            .rsplit('@')
            .next()
            .unwrap_or("steward.local");
        let key: String = out
            .idempotency_key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '.'
                }
            })
            .collect();
        let message_id = format!("{key}@steward.{domain}");
        let raw = gmail::mime::build_reply(&gmail::mime::Reply {
            from_name: &settings.signature,
            from_address: &settings.mailbox,
            to: out.recipient,
            subject: out.subject,
            // Only an email conversation has a Message-ID to answer.
            in_reply_to: if out.conversation_key.is_empty() {
                ""
            } else {
                out.in_reply_to
            },
            message_id: &message_id,
            text: &rendered.text,
            html: rendered.html.as_deref().unwrap_or(""),
            date: chrono::Utc::now(),
        });
        let id = self
            .gmail
            .send(raw.as_bytes(), out.conversation_key)
            .await?;
        Ok(Self::delivered(id))
    }

    #[tracing::instrument(skip_all)]
    async fn twilio_send(&self, recipient: &str, body: Body<'_>) -> Result<String, DeliveryError> {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.twilio.api_base.trim_end_matches('/'),
            self.twilio.account_sid
        );
        let mut form = vec![
            ("From", format!("whatsapp:{}", self.twilio.whatsapp_from)),
            ("To", format!("whatsapp:{recipient}")),
        ];
        match body {
            Body::Text(text) => form.push(("Body", text.to_owned())),
            Body::Template(ticket_id) => {
                form.push(("ContentSid", self.twilio.template_content_sid.clone()));
                form.push((
                    "ContentVariables",
                    serde_json::json!({ "1": ticket_id }).to_string(),
                ));
            }
        }
        if !self.twilio.status_callback_url.is_empty() {
            form.push(("StatusCallback", self.twilio.status_callback_url.clone()));
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&form)
            .finish();
        // The account stays in the URL; an API key, when set, authenticates.
        let (user, password) = if self.twilio.api_key_sid.is_empty() {
            (
                &self.twilio.account_sid,
                self.twilio.auth_token.expose_secret(),
            )
        } else {
            (
                &self.twilio.api_key_sid,
                self.twilio.api_key_secret.expose_secret(),
            )
        };
        let response = self
            .http
            .post(&url)
            .basic_auth(user, Some(password))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| DeliveryError::Transient(e.to_string()))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if status.is_success() {
            let message: TwilioMessage = serde_json::from_str(&text)
                .map_err(|e| DeliveryError::Transient(format!("unreadable Twilio answer: {e}")))?;
            return Ok(message.sid);
        }
        let detail = format!("Twilio answered {status}: {text}");
        if status.as_u16() == 429 || status.is_server_error() {
            Err(DeliveryError::Transient(detail))
        } else {
            Err(DeliveryError::Permanent(detail))
        }
    }
}

enum Body<'a> {
    Text(&'a str),
    /// The configured template, its variable `1` the ticket number.
    Template(&'a str),
}
