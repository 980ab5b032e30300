//! The inbound envelope: the protobuf wire form on Kafka (`proto`), and the
//! validated [`InboundMessage`] that intake hands to the ticket workflow.
//!
//! Validation happens when decoding, so a workflow never sees a message
//! without a channel, a sender or a provider id; bytes that fail go to the
//! dead-letter topic with the [`EnvelopeError`] as the reason.

use crate::channel::Channel;
use crate::identity::{Identity, IdentityKind};
use prost::Message;
use serde::{Deserialize, Serialize};

/// Generated from `proto/steward/inbound/v1/inbound.proto`.
#[allow(unreachable_pub, clippy::all)]
pub mod proto {
    include!(concat!(env!("OUT_DIR"), "/steward.inbound.v1.rs"));
}

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaItem {
    pub url: String,
    pub content_type: String,
}

/// One customer message, as the ticket workflow receives it (JSON payload).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMessage {
    pub envelope_id: String,
    pub correlation_id: String,
    pub channel: Channel,
    pub provider_message_id: String,
    pub conversation_key: String,
    pub sender: Identity,
    #[serde(default)]
    pub sender_name: String,
    #[serde(default)]
    pub subject: String,
    pub body: String,
    pub received_at_unix_ms: i64,
    #[serde(default)]
    pub media: Vec<MediaItem>,
    #[serde(default)]
    pub recipient: String,
    /// Where replies go as the provider gave it (the From address as
    /// written); empty: the sender identity's value.
    #[serde(default)]
    pub reply_address: String,
}

/// Why bytes from the inbound topic are not a usable message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    #[error("not a protobuf InboundEnvelope: {0}")]
    Undecodable(String),
    #[error("schema version {0} is not supported (this build reads {SCHEMA_VERSION})")]
    UnsupportedVersion(u32),
    #[error("required field {0} is missing")]
    Missing(&'static str),
    #[error("field {0} has an unknown value {1}")]
    Unknown(&'static str, i32),
}

impl InboundMessage {
    /// The protobuf bytes written to Kafka.
    pub fn encode_envelope(&self) -> Vec<u8> {
        let envelope = proto::InboundEnvelope {
            schema_version: SCHEMA_VERSION,
            envelope_id: self.envelope_id.clone(),
            correlation_id: self.correlation_id.clone(),
            channel: channel_to_proto(self.channel) as i32,
            provider_message_id: self.provider_message_id.clone(),
            conversation_key: self.conversation_key.clone(),
            sender: Some(proto::Identity {
                kind: kind_to_proto(self.sender.kind) as i32,
                value: self.sender.value.clone(),
            }),
            sender_name: self.sender_name.clone(),
            subject: self.subject.clone(),
            body: self.body.clone(),
            received_at_unix_ms: self.received_at_unix_ms,
            media: self
                .media
                .iter()
                .map(|m| proto::Media {
                    url: m.url.clone(),
                    content_type: m.content_type.clone(),
                })
                .collect(),
            recipient: self.recipient.clone(),
            reply_address: self.reply_address.clone(),
        };
        envelope.encode_to_vec()
    }

    /// Decodes and validates bytes read from Kafka.
    pub fn decode_envelope(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        let e = proto::InboundEnvelope::decode(bytes)
            .map_err(|err| EnvelopeError::Undecodable(err.to_string()))?;
        if e.schema_version != SCHEMA_VERSION {
            return Err(EnvelopeError::UnsupportedVersion(e.schema_version));
        }
        let channel = match proto::Channel::try_from(e.channel) {
            Ok(proto::Channel::Whatsapp) => Channel::Whatsapp,
            Ok(proto::Channel::Email) => Channel::Email,
            Ok(proto::Channel::Web) => Channel::Web,
            _ => return Err(EnvelopeError::Unknown("channel", e.channel)),
        };
        let sender = e.sender.ok_or(EnvelopeError::Missing("sender"))?;
        let kind = match proto::IdentityKind::try_from(sender.kind) {
            Ok(proto::IdentityKind::Phone) => IdentityKind::Phone,
            Ok(proto::IdentityKind::Email) => IdentityKind::Email,
            Ok(proto::IdentityKind::External) => IdentityKind::External,
            _ => return Err(EnvelopeError::Unknown("sender.kind", sender.kind)),
        };
        let required = [
            ("envelope_id", &e.envelope_id),
            ("provider_message_id", &e.provider_message_id),
            ("conversation_key", &e.conversation_key),
            ("sender.value", &sender.value),
        ];
        if let Some((name, _)) = required.iter().find(|(_, v)| v.is_empty()) {
            return Err(EnvelopeError::Missing(name));
        }
        Ok(InboundMessage {
            envelope_id: e.envelope_id,
            correlation_id: e.correlation_id,
            channel,
            provider_message_id: e.provider_message_id,
            conversation_key: e.conversation_key,
            sender: Identity {
                kind,
                value: sender.value,
            },
            sender_name: e.sender_name,
            subject: e.subject,
            body: e.body,
            received_at_unix_ms: e.received_at_unix_ms,
            media: e
                .media
                .into_iter()
                .map(|m| MediaItem {
                    url: m.url,
                    content_type: m.content_type,
                })
                .collect(),
            recipient: e.recipient,
            reply_address: e.reply_address,
        })
    }
}

fn channel_to_proto(c: Channel) -> proto::Channel {
    match c {
        Channel::Whatsapp => proto::Channel::Whatsapp,
        Channel::Email => proto::Channel::Email,
        Channel::Web => proto::Channel::Web,
    }
}

fn kind_to_proto(k: IdentityKind) -> proto::IdentityKind {
    match k {
        IdentityKind::Phone => proto::IdentityKind::Phone,
        IdentityKind::Email => proto::IdentityKind::Email,
        IdentityKind::External => proto::IdentityKind::External,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> InboundMessage {
        InboundMessage {
            envelope_id: "env-1".into(),
            correlation_id: "corr-1".into(),
            channel: Channel::Whatsapp,
            provider_message_id: "SM123".into(),
            conversation_key: "+14155550100".into(),
            sender: Identity::phone("whatsapp:+14155550100").unwrap(),
            sender_name: "Ana".into(),
            subject: String::new(),
            body: "My invoice is wrong".into(),
            received_at_unix_ms: 1_700_000_000_000,
            media: vec![MediaItem {
                url: "https://api.twilio.com/media/ME1".into(),
                content_type: "image/jpeg".into(),
            }],
            recipient: "+14155550199".into(),
            reply_address: String::new(),
        }
    }

    #[test]
    fn envelope_round_trips() {
        let m = sample();
        assert_eq!(InboundMessage::decode_envelope(&m.encode_envelope()), Ok(m));
    }

    #[test]
    fn garbage_and_incomplete_envelopes_are_rejected_with_a_reason() {
        assert!(matches!(
            InboundMessage::decode_envelope(b"\xff\xff\xff"),
            Err(EnvelopeError::Undecodable(_))
        ));
        let mut e = proto::InboundEnvelope::decode(&*sample().encode_envelope()).unwrap();
        e.schema_version = 2;
        assert_eq!(
            InboundMessage::decode_envelope(&e.encode_to_vec()),
            Err(EnvelopeError::UnsupportedVersion(2))
        );
        e.schema_version = 1;
        e.provider_message_id.clear();
        assert_eq!(
            InboundMessage::decode_envelope(&e.encode_to_vec()),
            Err(EnvelopeError::Missing("provider_message_id"))
        );
        e.provider_message_id = "SM1".into();
        e.channel = 0;
        assert_eq!(
            InboundMessage::decode_envelope(&e.encode_to_vec()),
            Err(EnvelopeError::Unknown("channel", 0))
        );
    }
}
