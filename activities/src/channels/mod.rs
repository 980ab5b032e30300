//! Delivering a reply on the customer's channel, formatted for it
//! ([`steward_domain::format`]).
//!
//! WhatsApp goes through Twilio's Messages API ([`crate::twilio`]; its
//! status callback URL names the ticket). Outside the 24-hour customer-service window
//! free text is not allowed: an approved template goes instead, or the
//! reply goes by email when the customer has an address, or the send is
//! refused as [`DeliveryError::NoRoute`] (humans are told; never dropped).
//! Email goes through the Gmail API as a threaded RFC 5322 message. The web
//! channel's delivery is the stored message (the status page shows it).
//! Without provider credentials (development) replies go to the outbox:
//! stored and logged, never sent anywhere.
//!
//! The route a reply takes is decided once ([`Channels::route`]), so that
//! settling an ambiguous send ([`Channels::find_sent`]) asks the provider
//! the attempt went to: Gmail's Sent mailbox by the `Message-ID` derived
//! from the ledger key, or Twilio's list of messages to the number.

mod email;
mod route;

use crate::config::{GmailSettings, TwilioSettings};
use crate::gmail::{Gmail, GmailError};
use crate::twilio::{Body, Twilio};
use route::Route;
use std::sync::Arc;
use steward_domain::Channel;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Retrying cannot help (bad number, rejected credentials).
    #[error("permanent delivery failure: {0}")]
    Permanent(String),
    /// The provider did not take it and may later (rate limit, 5xx, no
    /// connection): a retry may send.
    #[error("transient delivery failure: {0}")]
    Transient(String),
    /// No channel may carry this reply now.
    #[error("no route to the customer: {0}")]
    NoRoute(String),
    /// The request may have reached the provider, but no message id came
    /// back: ask the provider before sending again.
    #[error("the provider may have sent it: {0}")]
    Uncertain(String),
}

impl DeliveryError {
    /// A request that failed without an answer: before a connection was
    /// made nothing was sent; after, the provider may have it.
    pub(crate) fn from_request(err: reqwest::Error) -> Self {
        if err.is_connect() || err.is_builder() {
            DeliveryError::Transient(err.to_string())
        } else {
            DeliveryError::Uncertain(err.to_string())
        }
    }
}

impl From<GmailError> for DeliveryError {
    fn from(err: GmailError) -> Self {
        match err {
            GmailError::Transient(e) => DeliveryError::Transient(e),
            GmailError::Uncertain(e) => DeliveryError::Uncertain(e),
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
    /// The sending ticket's workflow: delivery receipts are signalled to it.
    pub workflow_id: &'a str,
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

impl Delivered {
    fn id(provider_message_id: String) -> Self {
        Self {
            provider_message_id,
            via: None,
            note: String::new(),
        }
    }
}

#[derive(Clone)]
pub struct Channels {
    twilio: Twilio,
    gmail: Arc<Gmail>,
}

impl Channels {
    pub fn new(twilio: TwilioSettings, gmail: GmailSettings) -> Self {
        Self {
            twilio: Twilio::new(twilio),
            gmail: Arc::new(Gmail::new(gmail)),
        }
    }

    /// Delivers one reply; the provider's message id on success.
    pub async fn deliver(&self, out: &Outgoing<'_>) -> Result<Delivered, DeliveryError> {
        let template_note = || format!("template {}", self.twilio.settings.template_content_sid);
        match self.route(out) {
            Route::Outbox(channel) => Ok(self.outbox(channel)),
            Route::Web => Ok(Delivered::id(format!("web-{}", Uuid::new_v4()))),
            Route::WhatsappText(text) => {
                let sid = (self.twilio)
                    .send(out.recipient, &Body::Text(&text), out.workflow_id)
                    .await?;
                Ok(Delivered::id(sid))
            }
            Route::WhatsappTemplate => {
                let body = Body::Template(out.ticket_id);
                let sid = self
                    .twilio
                    .send(out.recipient, &body, out.workflow_id)
                    .await?;
                Ok(Delivered {
                    note: template_note(),
                    ..Delivered::id(sid)
                })
            }
            Route::Email { to, fallback } => {
                let mut delivered = if self.gmail.settings().configured() {
                    Delivered::id(self.gmail_send(out, to).await?)
                } else {
                    self.outbox(Channel::Email)
                };
                delivered.via = fallback.then_some(Channel::Email);
                Ok(delivered)
            }
            Route::Refused(reason) => Err(DeliveryError::NoRoute(reason.into())),
        }
    }

    /// This reply as the provider has it, sent by an attempt that began at
    /// `since` and never got an answer: every candidate, newest first
    /// (empty: the provider says it was not sent). `Err`: the provider
    /// cannot say.
    pub async fn find_sent(
        &self,
        out: &Outgoing<'_>,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Delivered>, String> {
        let found = match self.route(out) {
            Route::WhatsappText(text) => {
                let body = Body::Text(&text);
                self.twilio.find_sent(out.recipient, &body, since).await?
            }
            Route::WhatsappTemplate => {
                let body = Body::Template(out.ticket_id);
                self.twilio.find_sent(out.recipient, &body, since).await?
            }
            Route::Email { fallback, .. } if self.gmail.settings().configured() => {
                let message_id = self.message_id(out.idempotency_key);
                let found = self.gmail.find_sent(&message_id).await;
                let found = found.map_err(|e| e.to_string())?;
                return Ok(found
                    .into_iter()
                    .map(|id| Delivered {
                        via: fallback.then_some(Channel::Email),
                        ..Delivered::id(id)
                    })
                    .collect());
            }
            // Nothing left us on these routes: nothing can be ambiguous.
            _ => Vec::new(),
        };
        Ok(found.into_iter().map(Delivered::id).collect())
    }

    fn outbox(&self, channel: Channel) -> Delivered {
        tracing::info!(%channel, "no provider configured: reply stored in the outbox, not sent");
        Delivered::id(format!("outbox-{}", Uuid::new_v4()))
    }
}
