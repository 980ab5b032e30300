//! One typed settings struct for every role, layered: built-in defaults, then
//! an optional TOML file (`--config`, or `steward.toml` when present), then
//! `STEWARD_*` environment variables (`__` separates levels:
//! `STEWARD_GATEWAY__PUBLIC_BASE_URL`). Secrets are `SecretString`, so they
//! print as `[REDACTED]` in logs and `Debug` output.

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use steward_activities::ActivitySettings;
use steward_bus::{IntakeConfig, KafkaConfig};
use steward_gateway::GatewayConfig;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub kafka: KafkaConfig,
    pub gateway: GatewayConfig,
    pub intake: IntakeConfig,
    pub activities: ActivitySettings,
    pub temporal: TemporalSettings,
    pub dev: DevSettings,
    pub log: LogSettings,
    pub admin: AdminSettings,
}

/// The operations endpoints of roles that do not serve the gateway.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(default)]
pub struct AdminSettings {
    /// `/health`, `/ready`, `/metrics` for intake and worker (e.g. `0.0.0.0:9090`).
    pub listen: Option<String>,
    /// The Temporal SDK's own worker metrics (Prometheus), e.g. `0.0.0.0:9091`.
    pub sdk_metrics_listen: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub max_connections: u32,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: SecretString::from("postgres://postgres@127.0.0.1:5432/steward"),
            max_connections: 10,
        }
    }
}

impl DatabaseSettings {
    pub fn url(&self) -> &str {
        self.url.expose_secret()
    }
}

/// The Temporal frontend. When `address` is unset, the SDK's own environment
/// configuration applies (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, a
/// `temporal.toml` profile), defaulting to `localhost:7233`.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(default)]
pub struct TemporalSettings {
    pub address: Option<String>,
    pub namespace: Option<String>,
}

/// What `steward dev` starts and where it keeps its state.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct DevSettings {
    /// Project-local state: Temporal's and the broker's databases, logs.
    pub state_dir: PathBuf,
    pub temporal_port: u16,
    pub temporal_ui_port: u16,
    pub kafka_port: u16,
    /// The Temporal CLI; found on PATH (or pip's scripts folder) when unset.
    pub temporal_bin: Option<PathBuf>,
    /// The tansu broker; `STEWARD_TANSU_BIN` from the provisioning scripts.
    pub tansu_bin: Option<PathBuf>,
}

impl Default for DevSettings {
    fn default() -> Self {
        Self {
            state_dir: PathBuf::from(".steward"),
            temporal_port: 7233,
            temporal_ui_port: 8233,
            kafka_port: 9092,
            temporal_bin: None,
            tansu_bin: None,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, for a terminal.
    #[default]
    Pretty,
    /// One JSON object per line, for production log pipelines.
    Json,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct LogSettings {
    pub format: LogFormat,
    /// An `EnvFilter` directive; `RUST_LOG` overrides it.
    pub filter: String,
    /// Mask phone numbers and email addresses in every log line (on by
    /// default; turn off only to debug, never in production).
    pub redact_pii: bool,
    /// An OTLP/gRPC collector (e.g. `http://otel-collector:4317`); traces
    /// are exported there when set, nothing is sent when not.
    pub otlp_endpoint: Option<String>,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Pretty,
            filter: "info,sqlx=warn,rdkafka=warn,temporalio_sdk_core=warn".into(),
            redact_pii: true,
            otlp_endpoint: None,
        }
    }
}

impl Settings {
    /// The production roles' guard: `steward dev` runs on built-in
    /// development secrets, a role that serves the Internet must not (its
    /// webhooks would accept anything signed with a key in this repository).
    pub fn refuse_development_secrets(&self) -> anyhow::Result<()> {
        let problems = self.gateway.production_problems();
        if problems.is_empty() {
            return Ok(());
        }
        anyhow::bail!(
            "refusing to start with development or empty settings (use `steward dev` to try Steward locally):\n  {}",
            problems.join("\n  ")
        )
    }

    /// Defaults, then the file (if any), then `STEWARD_*` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        // Defaults come from `#[serde(default)]` on every struct.
        let mut figment = Figment::new();
        match file {
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None => figment = figment.merge(Toml::file("steward.toml")),
        }
        figment
            .merge(Env::prefixed("STEWARD_").split("__").ignore(&["config"]))
            .extract()
            .map_err(Box::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's closure signature
    fn environment_overrides_file_and_secrets_stay_redacted() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "steward.toml",
                r#"
                [gateway]
                public_base_url = "https://from-file.example"
                twilio_auth_token = "file-token"
                [kafka]
                brokers = "file:9092"
                "#,
            )?;
            jail.set_env("STEWARD_KAFKA__BROKERS", "env:9092");
            jail.set_env("STEWARD_DATABASE__URL", "postgres://u:hunter2@db/steward");
            // Env values are parsed: a phone number or an all-digit token
            // arrives as an integer and must still load as text.
            jail.set_env("STEWARD_ACTIVITIES__TWILIO__WHATSAPP_FROM", "+14155550199");
            jail.set_env("STEWARD_GATEWAY__TWILIO_AUTH_TOKEN", "123456789");
            let s = Settings::load(None).map_err(|e| *e)?;
            assert_eq!(s.gateway.public_base_url, "https://from-file.example");
            assert_eq!(s.activities.twilio.whatsapp_from, "+14155550199");
            assert_eq!(s.gateway.twilio_auth_token.expose_secret(), "123456789");
            assert_eq!(s.kafka.brokers, "env:9092");
            assert_eq!(s.kafka.inbound_topic, "steward.inbound");
            assert_eq!(s.database.url(), "postgres://u:hunter2@db/steward");
            let printed = format!("{s:?}");
            assert!(
                !printed.contains("hunter2") && !printed.contains("file-token"),
                "{printed}"
            );
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's closure signature
    fn production_roles_refuse_the_built_in_secrets() {
        figment::Jail::expect_with(|jail| {
            let defaults = Settings::load(None).map_err(|e| *e)?;
            let refusal = defaults
                .refuse_development_secrets()
                .unwrap_err()
                .to_string();
            assert!(refusal.contains("gateway.twilio_auth_token"), "{refusal}");
            assert!(refusal.contains("gateway.ticket_link_secret"), "{refusal}");
            assert!(refusal.contains("steward dev"), "{refusal}");
            jail.set_env("STEWARD_GATEWAY__TWILIO_AUTH_TOKEN", "9f8e7d6c5b4a");
            jail.set_env(
                "STEWARD_GATEWAY__TICKET_LINK_SECRET",
                "a-long-random-secret",
            );
            jail.set_env(
                "STEWARD_GATEWAY__GMAIL_PUSH_AUDIENCE",
                "https://support.example.com/webhooks/gmail/pubsub",
            );
            let production = Settings::load(None).map_err(|e| *e)?;
            assert!(production.refuse_development_secrets().is_ok());
            jail.set_env(
                "STEWARD_ACTIVITIES__HUMAN_QUEUE_WEBHOOK",
                "https://hooks.example/T1/secret",
            );
            let with_queue = Settings::load(None).map_err(|e| *e)?;
            assert!(
                !format!("{with_queue:?}").contains("T1/secret"),
                "queue URL redacted"
            );
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's closure signature
    fn channel_settings_load_from_the_environment_as_the_deployment_sets_them() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("STEWARD_GATEWAY__TRUST_FORWARDED_FOR", "true");
            jail.set_env("STEWARD_GATEWAY__TRUSTED_PROXIES", "10.0.0.0/8, fd00::/8");
            jail.set_env("STEWARD_GATEWAY__TWILIO_SHARED_KEY_SECRET", "");
            jail.set_env("STEWARD_ACTIVITIES__TWILIO__TEMPLATE_CONTENT_SID", "");
            jail.set_env("STEWARD_ACTIVITIES__GMAIL__MAILBOX", "support@acme.test");
            jail.set_env("STEWARD_ACTIVITIES__GMAIL__REFRESH_TOKEN", "1//0g-secret");
            jail.set_env("STEWARD_ACTIVITIES__GMAIL__POLL_INTERVAL_SECS", "60");
            jail.set_env("STEWARD_ACTIVITIES__EMBEDDINGS__PROVIDER", "openai");
            jail.set_env("STEWARD_ACTIVITIES__EMBEDDINGS__DIMENSIONS", "512");
            let s = Settings::load(None).map_err(|e| *e)?;
            assert!(s.gateway.trust_forwarded_for);
            assert_eq!(s.gateway.trusted_proxies().unwrap().len(), 2);
            assert!(s.activities.twilio.template_content_sid.is_empty());
            assert!(s.activities.gmail.configured());
            assert_eq!(s.activities.gmail.poll_interval_secs, 60);
            assert_eq!(s.activities.embeddings.dimensions, Some(512));
            assert!(
                !format!("{s:?}").contains("0g-secret"),
                "refresh token redacted"
            );
            Ok(())
        });
    }
}
