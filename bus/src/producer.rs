//! The inbound producer: envelopes to `steward.inbound`, keyed by conversation
//! (so one customer's messages stay ordered on one partition), idempotent,
//! `acks=all`. A webhook is answered 200 only after this returns `Ok`.

use crate::config::KafkaConfig;
use rdkafka::ClientConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::util::Timeout;
use std::time::Duration;
use steward_domain::InboundMessage;
use steward_domain::envelope::SCHEMA_VERSION;

/// Kafka header names set on every envelope.
pub mod headers {
    pub const CORRELATION_ID: &str = "correlation-id";
    pub const SCHEMA: &str = "schema";
    pub const DLQ_REASON: &str = "dlq-reason";
    pub const DLQ_SOURCE: &str = "dlq-source";
}

/// The protobuf message type and version, as carried in the `schema` header.
/// The `schema` header of a Gmail push notification on the inbound topic.
pub const MAILBOX_SCHEMA: &str = "steward.mailbox.v1.MailboxNotice";

/// What a Gmail push says: this mailbox changed, up to this history id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MailboxNotice {
    pub email_address: String,
    pub history_id: u64,
}

pub fn schema_header() -> String {
    format!("steward.inbound.v{SCHEMA_VERSION}.InboundEnvelope")
}

#[derive(Debug, thiserror::Error)]
pub enum ProduceError {
    #[error("kafka did not acknowledge the message: {0}")]
    NotAcknowledged(#[from] rdkafka::error::KafkaError),
}

#[derive(Clone)]
pub struct InboundProducer {
    producer: FutureProducer,
    topic: String,
    timeout: Duration,
}

/// The producer settings shared by the gateway and the DLQ writer.
pub fn durable_producer_config(brokers: &str, timeout: Duration) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("message.timeout.ms", timeout.as_millis().to_string())
        .set("linger.ms", "2")
        .set("client.id", "steward");
    config
}

impl InboundProducer {
    pub fn new(config: &KafkaConfig) -> Result<Self, rdkafka::error::KafkaError> {
        let timeout = Duration::from_millis(config.produce_timeout_ms);
        Ok(Self {
            producer: durable_producer_config(&config.brokers, timeout).create()?,
            topic: config.inbound_topic.clone(),
            timeout,
        })
    }

    /// Writes one envelope and waits for `acks=all`.
    #[tracing::instrument(skip_all, fields(
        correlation_id = %message.correlation_id,
        provider_message_id = %message.provider_message_id,
    ))]
    pub async fn publish(&self, message: &InboundMessage) -> Result<(), ProduceError> {
        let payload = message.encode_envelope();
        self.produce(
            &message.conversation_key,
            &payload,
            &schema_header(),
            &message.correlation_id,
        )
        .await
    }

    /// A Gmail push notification for intake to hand to the mailbox's sync
    /// workflow; keyed by mailbox so its notifications stay in order.
    pub async fn publish_mailbox_notice(
        &self,
        notice: &MailboxNotice,
        correlation_id: &str,
    ) -> Result<(), ProduceError> {
        let payload = serde_json::to_vec(notice).expect("a notice serialises");
        self.produce(
            &notice.email_address,
            &payload,
            MAILBOX_SCHEMA,
            correlation_id,
        )
        .await
    }

    async fn produce(
        &self,
        key: &str,
        payload: &[u8],
        schema: &str,
        correlation_id: &str,
    ) -> Result<(), ProduceError> {
        let headers = OwnedHeaders::new()
            .insert(Header {
                key: headers::CORRELATION_ID,
                value: Some(correlation_id),
            })
            .insert(Header {
                key: headers::SCHEMA,
                value: Some(schema),
            });
        let record = FutureRecord::to(&self.topic)
            .key(key)
            .payload(payload)
            .headers(headers);
        let started = std::time::Instant::now();
        let sent = self
            .producer
            .send(record, Timeout::After(self.timeout))
            .await;
        let outcome = if sent.is_ok() { "acked" } else { "failed" };
        crate::metrics::KAFKA_PRODUCE_SECONDS
            .with_label_values(&[outcome])
            .observe(started.elapsed().as_secs_f64());
        sent.map_err(|(err, _)| ProduceError::NotAcknowledged(err))?;
        Ok(())
    }

    /// Whether the broker answers a metadata request for the inbound topic.
    pub async fn check(&self) -> Result<(), String> {
        let producer = self.producer.clone();
        let topic = self.topic.clone();
        tokio::task::spawn_blocking(move || {
            let metadata = producer
                .client()
                .fetch_metadata(Some(&topic), Duration::from_secs(2))
                .map_err(|e| e.to_string())?;
            match metadata.topics().first() {
                Some(t) if t.error().is_none() && !t.partitions().is_empty() => Ok(()),
                _ => Err(format!("topic {topic} is not available")),
            }
        })
        .await
        .map_err(|e| e.to_string())?
    }

    /// Waits for in-flight messages on shutdown.
    pub fn flush(&self, timeout: Duration) {
        let _ = self.producer.flush(Timeout::After(timeout));
    }
}
