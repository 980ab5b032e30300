//! The inbound producer: envelopes to `steward.inbound`, keyed by conversation
//! (so one customer's messages stay ordered on one partition), idempotent,
//! `acks=all`. A webhook is answered 200 only after this returns `Ok`.
//!
//! After a message times out (the broker down or too slow: the webhook was
//! answered 503 and the provider retries) the producer is replaced by a
//! fresh one, and what the old one still holds is purged (answered 503 as
//! well). librdkafka's idempotent producer would otherwise bump its epoch
//! itself and carry on; tansu 0.6.0, the broker of `steward dev` and the
//! tests, knows only the epochs it handed out and panics on a produce with
//! another, and answers nothing after that until it is restarted (found by
//! `tests/faults`: a broker restart under load). A fresh producer asks the
//! broker for a new producer id, which every broker handles.

use crate::config::KafkaConfig;
use rdkafka::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer, PurgeConfig};
use rdkafka::util::Timeout;
use std::sync::{Arc, RwLock};
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
    current: Arc<RwLock<Current>>,
    brokers: String,
    topic: String,
    timeout: Duration,
}

/// The producer in use, and how many times it was replaced.
struct Current {
    producer: FutureProducer,
    generation: u64,
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
        let producer = durable_producer_config(&config.brokers, timeout).create()?;
        Ok(Self {
            current: Arc::new(RwLock::new(Current {
                producer,
                generation: 0,
            })),
            brokers: config.brokers.clone(),
            topic: config.inbound_topic.clone(),
            timeout,
        })
    }

    fn producer(&self) -> (FutureProducer, u64) {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        (current.producer.clone(), current.generation)
    }

    /// Replaces producer `generation` (unless another request did) after
    /// one of its messages timed out, and purges what it still holds.
    fn renew(&self, generation: u64) {
        let old = {
            let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
            if current.generation != generation {
                return;
            }
            let fresh = match durable_producer_config(&self.brokers, self.timeout).create() {
                Ok(fresh) => fresh,
                Err(err) => {
                    tracing::warn!(%err, "could not create a fresh Kafka producer");
                    return;
                }
            };
            current.generation += 1;
            std::mem::replace(&mut current.producer, fresh)
        };
        old.purge(PurgeConfig::default().queue().inflight());
        tracing::warn!("a message timed out; the Kafka producer was replaced");
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
        let (producer, generation) = self.producer();
        let sent = producer.send(record, Timeout::After(self.timeout)).await;
        if let Err((KafkaError::MessageProduction(RDKafkaErrorCode::MessageTimedOut), _)) = &sent {
            self.renew(generation);
        }
        let outcome = if sent.is_ok() { "acked" } else { "failed" };
        crate::metrics::KAFKA_PRODUCE_SECONDS
            .with_label_values(&[outcome])
            .observe(started.elapsed().as_secs_f64());
        sent.map_err(|(err, _)| ProduceError::NotAcknowledged(err))?;
        Ok(())
    }

    /// Whether the broker answers a metadata request for the inbound topic.
    pub async fn check(&self) -> Result<(), String> {
        let (producer, _) = self.producer();
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
        let _ = self.producer().0.flush(Timeout::After(timeout));
    }
}
