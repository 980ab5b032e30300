//! Settings of the bus: where the broker is, the topics, and intake's
//! consumer group; the binary's `Settings` nests them.

use serde::Deserialize;

/// Where the broker is and what the topics are called.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct KafkaConfig {
    pub brokers: String,
    pub inbound_topic: String,
    pub dlq_topic: String,
    /// How long a produce may wait for `acks=all` before the webhook answers 503.
    pub produce_timeout_ms: u64,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        Self {
            brokers: "127.0.0.1:9092".into(),
            inbound_topic: "steward.inbound".into(),
            dlq_topic: "steward.inbound.dlq".into(),
            produce_timeout_ms: 5_000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct IntakeConfig {
    pub group_id: String,
    pub task_queue: String,
    /// Upper bound of the back-off between retries when Temporal is unavailable.
    pub max_backoff_ms: u64,
    /// How long a fetch may wait at the broker for new records. A broker
    /// that does not answer a waiting fetch when a record arrives (tansu)
    /// holds every record this long: librdkafka's 500 ms default was most
    /// of an idle ticket's time to its reply (`steward bench`). Apache
    /// Kafka answers at once either way; lower costs only idle fetches.
    pub fetch_wait_max_ms: u64,
}

impl Default for IntakeConfig {
    fn default() -> Self {
        Self {
            group_id: "steward-intake".into(),
            task_queue: steward_workflows::DEFAULT_TASK_QUEUE.into(),
            max_backoff_ms: 10_000,
            fetch_wait_max_ms: 10,
        }
    }
}
