//! Settings owned by the gateway; the binary's `Settings` nests them.

use secrecy::SecretString;
use serde::Deserialize;

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
    /// The secret of the Twilio Webhook Setting's shared key, for webhooks
    /// signed per `X-Twilio-Webhooks-Signature-Settings` (HMAC-SHA256).
    #[serde(deserialize_with = "lenient_secret")]
    pub twilio_shared_key_secret: SecretString,
    pub max_body_bytes: usize,
    /// Google Pub/Sub push: the audience the subscription puts in its OIDC
    /// token (usually the push endpoint URL), the service account it pushes
    /// as, and where Google's signing keys are published.
    pub gmail_push_audience: String,
    pub gmail_push_service_account: String,
    pub google_jwks_url: String,
    /// The web form: submissions per client IP per hour, whether to take the
    /// client IP from `X-Forwarded-For` (only behind a proxy that sets it),
    /// and the region national phone numbers are read in.
    pub web_form_per_ip_per_hour: usize,
    pub trust_forwarded_for: bool,
    pub phone_region: String,
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
            twilio_shared_key_secret: SecretString::from(""),
            max_body_bytes: 1024 * 1024,
            gmail_push_audience: String::new(),
            gmail_push_service_account: String::new(),
            google_jwks_url: "https://www.googleapis.com/oauth2/v3/certs".into(),
            web_form_per_ip_per_hour: 10,
            trust_forwarded_for: false,
            phone_region: "US".into(),
            ticket_link_secret: SecretString::from("steward-dev-ticket-link-secret"),
        }
    }
}

/// A secret that environment layering may have parsed as a number.
fn lenient_secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
    steward_domain::settings_serde::lenient_string(d).map(SecretString::from)
}
