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

use crate::config::{GmailSettings, TwilioSettings};
use crate::gmail::{self, Gmail, GmailError};
use crate::twilio::{Body, Twilio};
use std::sync::Arc;
use steward_domain::Channel;
use steward_domain::format::{Addressing, render};
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

/// How one reply leaves us.
enum Route<'a> {
    /// No provider configured (development).
    Outbox(Channel),
    Web,
    WhatsappText(String),
    WhatsappTemplate,
    /// `fallback`: instead of WhatsApp, outside its window.
    Email {
        to: &'a str,
        fallback: bool,
    },
    Refused(&'static str),
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

    fn route<'a>(&self, out: &Outgoing<'a>) -> Route<'a> {
        match out.channel.unwrap_or(Channel::Web) {
            Channel::Web => Route::Web,
            Channel::Email => Route::Email {
                to: out.recipient,
                fallback: false,
            },
            Channel::Whatsapp if self.twilio.settings.account_sid.is_empty() => {
                Route::Outbox(Channel::Whatsapp)
            }
            Channel::Whatsapp if out.whatsapp_window_open == Some(false) => {
                if !self.twilio.settings.template_content_sid.is_empty() {
                    Route::WhatsappTemplate
                } else if let Some(to) = out.fallback_email {
                    Route::Email { to, fallback: true }
                } else {
                    Route::Refused(
                        "the WhatsApp 24-hour window is closed, no template is configured and the customer has no email address",
                    )
                }
            }
            Channel::Whatsapp => {
                Route::WhatsappText(render(Channel::Whatsapp, out.text, self.addressing(out)).text)
            }
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

    fn addressing<'a>(&'a self, out: &Outgoing<'a>) -> Addressing<'a> {
        Addressing {
            customer_name: out.customer_name,
            signature: &self.gmail.settings().signature,
        }
    }

    /// The email `Message-ID` of the reply with this ledger key: the same
    /// on every attempt, so Gmail's Sent mailbox can be searched for it.
    fn message_id(&self, idempotency_key: &str) -> String {
        let mailbox = &self.gmail.settings().mailbox;
        let domain = mailbox.rsplit('@').next().unwrap_or("steward.local");
        let key: String = idempotency_key
            .chars()
            .map(|c| match c {
                c if c.is_ascii_alphanumeric() || c == '-' => c,
                _ => '.',
            })
            .collect();
        format!("{key}@steward.{domain}")
    }

    #[tracing::instrument(skip_all)]
    async fn gmail_send(&self, out: &Outgoing<'_>, to: &str) -> Result<String, DeliveryError> {
        let settings = self.gmail.settings();
        let rendered = render(Channel::Email, out.text, self.addressing(out));
        let message_id = self.message_id(out.idempotency_key);
        let raw = gmail::mime::build_reply(&gmail::mime::Reply {
            from_name: &settings.signature,
            from_address: &settings.mailbox,
            to,
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
        Ok(self
            .gmail
            .send(raw.as_bytes(), out.conversation_key)
            .await?)
    }
}
