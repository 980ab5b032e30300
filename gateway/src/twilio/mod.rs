//! Twilio webhooks: request signatures ([`signature`]) and the WhatsApp
//! inbound form, normalised into an [`InboundMessage`].

mod signature;

pub use signature::{Algorithm, signature, signature_with, verify, verify_form, verify_json};
use steward_domain::{Channel, Identity, InboundMessage, MediaItem};

/// What is wrong with a (correctly signed) WhatsApp webhook form.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FormError {
    #[error("required parameter {0} is missing")]
    Missing(&'static str),
    #[error("parameter {0} is invalid: {1}")]
    Invalid(&'static str, String),
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Normalises Twilio's inbound WhatsApp form into an [`InboundMessage`].
pub fn whatsapp_message(
    params: &[(String, String)],
    envelope_id: String,
    correlation_id: String,
    received_at_unix_ms: i64,
) -> Result<InboundMessage, FormError> {
    let sid = param(params, "MessageSid")
        .or_else(|| param(params, "SmsMessageSid"))
        .filter(|s| !s.is_empty())
        .ok_or(FormError::Missing("MessageSid"))?;
    let from = param(params, "From").ok_or(FormError::Missing("From"))?;
    let sender = Identity::phone(from).map_err(|e| FormError::Invalid("From", e.to_string()))?;
    let num_media: usize = match param(params, "NumMedia") {
        None | Some("") => 0,
        Some(n) => n
            .parse()
            .map_err(|_| FormError::Invalid("NumMedia", n.to_owned()))?,
    };
    let media = (0..num_media.min(10))
        .filter_map(|i| {
            let url = param(params, &format!("MediaUrl{i}"))?;
            let content_type = param(params, &format!("MediaContentType{i}")).unwrap_or("");
            Some(MediaItem {
                url: url.to_owned(),
                content_type: content_type.to_owned(),
            })
        })
        .collect::<Vec<_>>();
    let body = param(params, "Body").unwrap_or("").to_owned();
    if body.trim().is_empty() && media.is_empty() {
        return Err(FormError::Missing("Body"));
    }
    let recipient = param(params, "To")
        .map(|to| to.strip_prefix("whatsapp:").unwrap_or(to).to_owned())
        .unwrap_or_default();
    Ok(InboundMessage {
        envelope_id,
        correlation_id,
        channel: Channel::Whatsapp,
        provider_message_id: sid.to_owned(),
        conversation_key: sender.value.clone(),
        sender,
        sender_name: param(params, "ProfileName").unwrap_or("").to_owned(),
        subject: String::new(),
        body,
        received_at_unix_ms,
        media,
        recipient,
        reply_address: String::new(),
    })
}

/// Form parameters from string pairs, for the tests of this module.
#[cfg(test)]
fn test_pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twilio::test_pairs as p;

    #[test]
    fn whatsapp_form_normalises_sender_and_media() {
        let params = p(&[
            ("MessageSid", "SM1"),
            ("From", "whatsapp:+14155550100"),
            ("To", "whatsapp:+14155550199"),
            ("Body", "hello"),
            ("ProfileName", "Ana"),
            ("NumMedia", "1"),
            ("MediaUrl0", "https://api.twilio.com/m/ME1"),
            ("MediaContentType0", "image/png"),
        ]);
        let m = whatsapp_message(&params, "e".into(), "c".into(), 5).unwrap();
        assert_eq!(m.sender.value, "+14155550100");
        assert_eq!(m.conversation_key, "+14155550100");
        assert_eq!(m.recipient, "+14155550199");
        assert_eq!(m.sender_name, "Ana");
        assert_eq!(m.media.len(), 1);
        assert_eq!(m.media[0].content_type, "image/png");
    }

    #[test]
    fn whatsapp_form_errors_name_the_field() {
        let no_sid = p(&[("From", "whatsapp:+14155550100"), ("Body", "x")]);
        assert_eq!(
            whatsapp_message(&no_sid, "e".into(), "c".into(), 0),
            Err(FormError::Missing("MessageSid"))
        );
        let bad_from = p(&[
            ("MessageSid", "SM1"),
            ("From", "whatsapp:12"),
            ("Body", "x"),
        ]);
        assert!(matches!(
            whatsapp_message(&bad_from, "e".into(), "c".into(), 0),
            Err(FormError::Invalid("From", _))
        ));
        let empty = p(&[
            ("MessageSid", "SM1"),
            ("From", "whatsapp:+14155550100"),
            ("Body", " "),
        ]);
        assert_eq!(
            whatsapp_message(&empty, "e".into(), "c".into(), 0),
            Err(FormError::Missing("Body"))
        );
    }
}
