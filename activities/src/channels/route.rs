//! The one decision of how a reply leaves us, shared by the send and by
//! the lookup that settles an ambiguous send (same route, same provider).

use super::{Channels, Outgoing};
use steward_domain::Channel;
use steward_domain::format::render;

/// How one reply leaves us.
pub(super) enum Route<'a> {
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

impl Channels {
    pub(super) fn route<'a>(&self, out: &Outgoing<'a>) -> Route<'a> {
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
}
