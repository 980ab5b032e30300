//! Settings owned by the gateway and intake; the binary's `Settings` nests them.

use secrecy::SecretString;
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
pub struct GatewayConfig {
    pub listen: String,
    /// The URL the providers call us at (proxies and tunnels change scheme,
    /// host and port, and Twilio signs the URL it called). Empty means
    /// `http://` + the address the gateway bound to.
    pub public_base_url: String,
    #[serde(deserialize_with = "lenient_secret")]
    pub twilio_auth_token: SecretString,
    pub max_body_bytes: usize,
    /// Signs ticket status links (`?token=`); rotate to revoke every link.
    #[serde(deserialize_with = "lenient_secret")]
    pub ticket_link_secret: SecretString,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            public_base_url: String::new(),
            // A development default so `steward dev` works without accounts;
            // production sets STEWARD_GATEWAY__TWILIO_AUTH_TOKEN.
            twilio_auth_token: SecretString::from("steward-dev-twilio-auth-token"),
            max_body_bytes: 1024 * 1024,
            ticket_link_secret: SecretString::from("steward-dev-ticket-link-secret"),
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
}

impl Default for IntakeConfig {
    fn default() -> Self {
        Self {
            group_id: "steward-intake".into(),
            task_queue: steward_workflows::DEFAULT_TASK_QUEUE.into(),
            max_backoff_ms: 10_000,
        }
    }
}

/// A secret that environment layering may have parsed as a number.
fn lenient_secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
    steward_domain::settings_serde::lenient_string(d).map(SecretString::from)
}
