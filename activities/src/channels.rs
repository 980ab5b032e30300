//! Delivering a reply on the customer's channel.
//!
//! WhatsApp goes through Twilio's Messages API (form POST, basic auth with
//! the account SID and auth token, `whatsapp:` addresses). The web channel's
//! delivery is the stored message itself (the status page shows it). Without
//! provider credentials (development) and for email until its sender lands,
//! replies go to the outbox: stored and logged, never sent anywhere.

use crate::config::TwilioSettings;
use secrecy::ExposeSecret;
use serde::Deserialize;
use steward_domain::Channel;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Retrying cannot help (bad number, rejected credentials).
    #[error("permanent delivery failure: {0}")]
    Permanent(String),
    /// The provider may accept it later (rate limit, 5xx, network).
    #[error("transient delivery failure: {0}")]
    Transient(String),
}

#[derive(Clone)]
pub struct Channels {
    http: reqwest::Client,
    twilio: TwilioSettings,
}

#[derive(Deserialize)]
struct TwilioMessage {
    sid: String,
}

/// WhatsApp formatting: no HTML, at most 1,600 characters (Twilio's limit),
/// cut at a paragraph or sentence boundary when it must be trimmed.
pub fn whatsapp_text(text: &str) -> String {
    const LIMIT: usize = 1600;
    let plain = text.replace("<br>", "\n").replace("**", "*");
    if plain.chars().count() <= LIMIT {
        return plain;
    }
    let cut: String = plain.chars().take(LIMIT - 1).collect();
    let end = cut
        .rfind("\n\n")
        .or_else(|| cut.rfind(". ").map(|i| i + 1))
        .unwrap_or(cut.len());
    format!("{}…", cut[..end].trim_end())
}

impl Channels {
    pub fn new(twilio: TwilioSettings) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(8))
                .build()
                .unwrap_or_default(),
            twilio,
        }
    }

    /// Delivers `text`; returns the provider's message id.
    pub async fn deliver(
        &self,
        channel: Channel,
        recipient: &str,
        text: &str,
    ) -> Result<String, DeliveryError> {
        match channel {
            Channel::Whatsapp if !self.twilio.account_sid.is_empty() => {
                self.twilio_whatsapp(recipient, text).await
            }
            Channel::Web => Ok(format!("web-{}", Uuid::new_v4())),
            _ => {
                tracing::info!(%channel, "no provider configured: reply stored in the outbox, not sent");
                Ok(format!("outbox-{}", Uuid::new_v4()))
            }
        }
    }

    #[tracing::instrument(skip_all)]
    async fn twilio_whatsapp(&self, recipient: &str, text: &str) -> Result<String, DeliveryError> {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.twilio.api_base.trim_end_matches('/'),
            self.twilio.account_sid
        );
        let form = [
            ("From", format!("whatsapp:{}", self.twilio.whatsapp_from)),
            ("To", format!("whatsapp:{recipient}")),
            ("Body", whatsapp_text(text)),
        ];
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&form)
            .finish();
        let response = self
            .http
            .post(&url)
            .basic_auth(
                &self.twilio.account_sid,
                Some(self.twilio.auth_token.expose_secret()),
            )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_whatsapp_replies_are_cut_at_a_boundary() {
        let long = format!("{}\n\n{}", "First paragraph. ".repeat(50), "x".repeat(900));
        let cut = whatsapp_text(&long);
        assert!(cut.chars().count() <= 1600);
        assert!(cut.ends_with("paragraph.…"), "{}", &cut[cut.len() - 30..]);
    }
}
