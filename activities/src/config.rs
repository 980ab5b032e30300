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
    /// escalations and SLA notices; unset: recorded in Postgres only.
    pub human_queue_webhook: Option<String>,
    /// How national phone numbers in message text are read (ISO 3166, e.g. `GB`).
    pub default_region: String,
    pub llm: LlmSettings,
    pub twilio: TwilioSettings,
}

impl Default for ActivitySettings {
    fn default() -> Self {
        Self {
            policy: TicketPolicy::default(),
            human_queue_webhook: None,
            default_region: "US".into(),
            llm: LlmSettings::default(),
            twilio: TwilioSettings::default(),
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
    /// Our WhatsApp sender number, E.164.
    #[serde(deserialize_with = "steward_domain::settings_serde::lenient_e164")]
    pub whatsapp_from: String,
}

impl Default for TwilioSettings {
    fn default() -> Self {
        Self {
            api_base: "https://api.twilio.com".into(),
            account_sid: String::new(),
            auth_token: SecretString::from(""),
            whatsapp_from: "+14155238886".into(),
        }
    }
}

/// A secret that environment layering may have parsed as a number.
pub fn lenient_secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
    steward_domain::settings_serde::lenient_string(d).map(SecretString::from)
}
