//! Settings the activities need: ticket policy, the human queue, the LLM and
//! the channel providers. The binary's `Settings` nests this as `[activities]`.

use secrecy::SecretString;
use serde::Deserialize;
use steward_workflows::contracts::TicketPolicy;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ActivitySettings {
    pub policy: TicketPolicy,
    /// A Slack-compatible incoming-webhook URL (JSON `{"text": ...}`) for
    /// escalations and SLA notices; unset: recorded in Postgres only. The
    /// URL is the credential (anyone holding it can post), so it is secret.
    pub human_queue_webhook: Option<SecretString>,
    /// How national phone numbers in message text are read (ISO 3166, e.g. `GB`).
    pub default_region: String,
    pub llm: LlmSettings,
    pub twilio: TwilioSettings,
    pub gmail: GmailSettings,
    pub embeddings: EmbeddingSettings,
    /// Where and how the worker links a ticket's status page (the
    /// gateway's link secret and public URL; set by the worker from the
    /// gateway's settings, never configured twice).
    #[serde(skip)]
    pub status_links: Option<StatusLinks>,
}

/// The gateway's link secret and public base URL, for status links the
/// worker sends to the address on a ticket.
#[derive(Debug, Clone)]
pub struct StatusLinks {
    pub secret: SecretString,
    pub base_url: String,
}

impl Default for ActivitySettings {
    fn default() -> Self {
        Self {
            policy: TicketPolicy::default(),
            human_queue_webhook: None,
            default_region: "US".into(),
            llm: LlmSettings::default(),
            twilio: TwilioSettings::default(),
            gmail: GmailSettings::default(),
            embeddings: EmbeddingSettings::default(),
            status_links: None,
        }
    }
}

/// Any OpenAI-compatible chat-completions endpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LlmSettings {
    pub base_url: String,
    #[serde(deserialize_with = "lenient_secret")]
    pub api_key: SecretString,
    pub model: String,
    /// Used when the main model keeps failing (rate limits, 5xx).
    pub fallback_model: Option<String>,
    /// Attempts per model before falling back.
    pub max_attempts: u32,
    /// USD per 1,000 prompt and completion tokens, for the cost metric.
    pub prompt_price_per_1k: f64,
    pub completion_price_per_1k: f64,
}

impl Default for LlmSettings {
    fn default() -> Self {
        Self {
            base_url: std::env::var("OPENAI_BASE_URL")
                .unwrap_or_else(|_| "https://api.openai.com/v1".into()),
            api_key: std::env::var("OPENAI_API_KEY").unwrap_or_default().into(),
            model: "gpt-4o-mini".into(),
            fallback_model: None,
            max_attempts: 3,
            prompt_price_per_1k: 0.00015,
            completion_price_per_1k: 0.0006,
        }
    }
}

/// Twilio's Messages API for WhatsApp replies. Without an account SID the
/// replies go to the development outbox (logged and stored, never sent).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct TwilioSettings {
    pub api_base: String,
    #[serde(deserialize_with = "steward_domain::settings_serde::lenient_string")]
    pub account_sid: String,
    #[serde(deserialize_with = "lenient_secret")]
    pub auth_token: SecretString,
    /// An API key (`SK…`) and its secret, used instead of the auth token for
    /// the Messages API when set (Twilio's recommendation for production).
    #[serde(deserialize_with = "steward_domain::settings_serde::lenient_string")]
    pub api_key_sid: String,
    #[serde(deserialize_with = "lenient_secret")]
    pub api_key_secret: SecretString,
    /// Our WhatsApp sender number, E.164.
    #[serde(deserialize_with = "steward_domain::settings_serde::lenient_e164")]
    pub whatsapp_from: String,
    /// An approved WhatsApp template (Content SID, `HX…`) sent when the
    /// 24-hour window has closed; its variable `1` is the ticket number.
    pub template_content_sid: String,
    /// Where Twilio posts delivery receipts (`…/webhooks/twilio/status`);
    /// empty: no receipts requested.
    pub status_callback_url: String,
}

impl Default for TwilioSettings {
    fn default() -> Self {
        Self {
            api_base: "https://api.twilio.com".into(),
            account_sid: String::new(),
            auth_token: SecretString::from(""),
            api_key_sid: String::new(),
            api_key_secret: SecretString::from(""),
            whatsapp_from: "+14155238886".into(),
            template_content_sid: String::new(),
            status_callback_url: String::new(),
        }
    }
}

/// The Gmail API for the support mailbox. Without a refresh token email
/// replies go to the development outbox and no mailbox is synced.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct GmailSettings {
    pub api_base: String,
    pub token_url: String,
    pub client_id: String,
    #[serde(deserialize_with = "lenient_secret")]
    pub client_secret: SecretString,
    #[serde(deserialize_with = "lenient_secret")]
    pub refresh_token: SecretString,
    /// Our support address (`support@example.com`); `me` in API paths.
    pub mailbox: String,
    /// The Pub/Sub topic `users.watch` publishes to
    /// (`projects/<project>/topics/<topic>`).
    pub pubsub_topic: String,
    /// Poll this often when no push arrives.
    pub poll_interval_secs: u64,
    /// Renew the watch this long before it expires (watches last 7 days).
    pub renew_before_secs: u64,
    /// Who signs email replies.
    pub signature: String,
}

impl Default for GmailSettings {
    fn default() -> Self {
        Self {
            api_base: "https://gmail.googleapis.com".into(),
            token_url: "https://oauth2.googleapis.com/token".into(),
            client_id: String::new(),
            client_secret: SecretString::from(""),
            refresh_token: SecretString::from(""),
            mailbox: String::new(),
            pubsub_topic: String::new(),
            poll_interval_secs: 300,
            renew_before_secs: 86_400,
            signature: "The support team".into(),
        }
    }
}

impl GmailSettings {
    pub fn configured(&self) -> bool {
        use secrecy::ExposeSecret;
        !self.mailbox.is_empty() && !self.refresh_token.expose_secret().is_empty()
    }
}

/// Which model embeds knowledge-base passages and queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmbeddingProvider {
    /// all-MiniLM-L6-v2 in-process (no network, no key).
    #[default]
    Local,
    /// An OpenAI-compatible `/embeddings` endpoint.
    Openai,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct EmbeddingSettings {
    pub provider: EmbeddingProvider,
    pub base_url: String,
    #[serde(deserialize_with = "lenient_secret")]
    pub api_key: SecretString,
    pub model: String,
    /// Shortened vectors (OpenAI's `dimensions`); HNSW indexes at most 2,000.
    pub dimensions: Option<u32>,
}

impl Default for EmbeddingSettings {
    fn default() -> Self {
        let llm = LlmSettings::default();
        Self {
            provider: EmbeddingProvider::Local,
            base_url: llm.base_url,
            api_key: llm.api_key,
            model: "text-embedding-3-small".into(),
            dimensions: None,
        }
    }
}

/// A secret that environment layering may have parsed as a number.
pub fn lenient_secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
    steward_domain::settings_serde::lenient_string(d).map(SecretString::from)
}
