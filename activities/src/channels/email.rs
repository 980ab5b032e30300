//! Email replies through Gmail: a threaded RFC 5322 message whose
//! `Message-ID` derives from the ledger key, so that Gmail's Sent mailbox
//! can be searched for it after an ambiguous send.

use super::{Channels, DeliveryError, Outgoing};
use crate::gmail;
use steward_domain::Channel;
use steward_domain::format::{Addressing, render};

impl Channels {
    pub(super) fn addressing<'a>(&'a self, out: &Outgoing<'a>) -> Addressing<'a> {
        Addressing {
            customer_name: out.customer_name,
            signature: &self.gmail.settings().signature,
        }
    }

    /// The email `Message-ID` of the reply with this ledger key: the same
    /// on every attempt, so Gmail's Sent mailbox can be searched for it.
    pub(super) fn message_id(&self, idempotency_key: &str) -> String {
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
    pub(super) async fn gmail_send(
        &self,
        out: &Outgoing<'_>,
        to: &str,
    ) -> Result<String, DeliveryError> {
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
