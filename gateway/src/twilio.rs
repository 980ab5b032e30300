//! Twilio webhooks: request signature and the WhatsApp inbound form.
//!
//! Twilio signs `HMAC-SHA1(auth token, URL + every POST parameter sorted by
//! name, each as name followed by value)`, base64-encoded, in
//! `X-Twilio-Signature`. The URL is the one Twilio called, so the public base
//! URL is configuration, not something read from the request.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use steward_domain::{Channel, Identity, InboundMessage, MediaItem};
use subtle::ConstantTimeEq;

/// The signature Twilio computes for a form-encoded POST to `url`.
pub fn signature(auth_token: &[u8], url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    // Stable sort by name: repeated names keep their order, as Twilio's SDKs do.
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token).expect("HMAC accepts any key length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    BASE64.encode(mac.finalize().into_bytes())
}

/// Constant-time check of a received `X-Twilio-Signature`.
pub fn verify(auth_token: &[u8], url: &str, params: &[(String, String)], received: &str) -> bool {
    let expected = signature(auth_token, url, params);
    expected.as_bytes().ct_eq(received.trim().as_bytes()).into()
}

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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// The worked example from Twilio's security documentation; the same
    /// value comes out of the `twilio` Python SDK's `RequestValidator`.
    #[test]
    fn matches_twilio_documented_example() {
        let params = p(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]);
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(
            signature(b"12345", url, &params),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        assert!(verify(
            b"12345",
            url,
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(!verify(
            b"12345",
            url,
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8"
        ));
        assert!(!verify(
            b"wrong",
            url,
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
    }

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
