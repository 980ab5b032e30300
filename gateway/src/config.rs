//! Settings owned by the gateway; the binary's `Settings` nests them.

use secrecy::{ExposeSecret, SecretString};
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
    /// The web form: submissions per client IP per hour, and the region
    /// national phone numbers are read in.
    pub web_form_per_ip_per_hour: usize,
    /// Whether the gateway runs behind proxies that set `X-Forwarded-For`;
    /// the header is then believed only from `trusted_proxies` (CIDRs,
    /// comma-separated, e.g. the cluster's pod network `10.0.0.0/8`).
    pub trust_forwarded_for: bool,
    pub trusted_proxies: String,
    pub phone_region: String,
    /// Signs ticket status links (`?token=`); rotate to revoke every link.
    #[serde(deserialize_with = "lenient_secret")]
    pub ticket_link_secret: SecretString,
}

/// Built-in development secrets: `steward dev` runs with them, every other
/// role refuses to (anyone can read them here).
pub const DEV_TWILIO_AUTH_TOKEN: &str = "steward-dev-twilio-auth-token";
pub const DEV_TICKET_LINK_SECRET: &str = "steward-dev-ticket-link-secret";

/// The templates' stand-ins (`CHANGE_ME`, `change-me-too`).
fn is_placeholder(value: &str) -> bool {
    let folded = value.to_ascii_lowercase().replace(['_', ' '], "-");
    folded.starts_with("change-me") || folded.starts_with("changeme")
}

impl GatewayConfig {
    /// Where customers and providers reach the gateway: `public_base_url`,
    /// else `http://` + the listen address (`steward::app` sets the bound
    /// address here when the gateway runs in the process).
    pub fn public_url(&self) -> String {
        if self.public_base_url.is_empty() {
            format!("http://{}", self.listen)
        } else {
            self.public_base_url.trim_end_matches('/').to_owned()
        }
    }

    /// The parsed `trusted_proxies`.
    pub fn trusted_proxies(&self) -> Result<Vec<ipnet::IpNet>, String> {
        crate::rate_limit::parse_networks(&self.trusted_proxies)
    }

    /// Why this configuration must not serve the Internet: a secret that is
    /// empty or built in, an unset push audience or service account, or
    /// forwarded addresses trusted from nobody in particular.
    pub fn production_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let secrets = [
            (
                "twilio_auth_token",
                &self.twilio_auth_token,
                DEV_TWILIO_AUTH_TOKEN,
            ),
            (
                "ticket_link_secret",
                &self.ticket_link_secret,
                DEV_TICKET_LINK_SECRET,
            ),
        ];
        for (name, secret, dev) in secrets {
            let value = secret.expose_secret().trim();
            if value.is_empty() || value == dev || is_placeholder(value) {
                problems.push(format!(
                    "gateway.{name} is {}: set STEWARD_GATEWAY__{}",
                    if value.is_empty() {
                        "empty"
                    } else {
                        "a development or placeholder value"
                    },
                    name.to_uppercase()
                ));
            }
        }
        if self.gmail_push_audience.trim().is_empty() {
            problems.push(
                "gateway.gmail_push_audience is empty: set STEWARD_GATEWAY__GMAIL_PUSH_AUDIENCE \
                 to the push subscription's audience"
                    .into(),
            );
        }
        match self.trusted_proxies() {
            Err(err) => problems.push(format!("gateway.trusted_proxies: {err}")),
            Ok(nets) if nets.is_empty() && self.trust_forwarded_for => problems.push(
                "gateway.trust_forwarded_for is set but gateway.trusted_proxies is empty".into(),
            ),
            Ok(_) => {}
        }
        problems
    }
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            public_base_url: String::new(),
            // A development default so `steward dev` works without accounts;
            // production sets STEWARD_GATEWAY__TWILIO_AUTH_TOKEN.
            twilio_auth_token: SecretString::from(DEV_TWILIO_AUTH_TOKEN),
            twilio_shared_key_secret: SecretString::from(""),
            max_body_bytes: 1024 * 1024,
            gmail_push_audience: String::new(),
            gmail_push_service_account: String::new(),
            google_jwks_url: "https://www.googleapis.com/oauth2/v3/certs".into(),
            web_form_per_ip_per_hour: 10,
            trust_forwarded_for: false,
            trusted_proxies: String::new(),
            phone_region: "US".into(),
            ticket_link_secret: SecretString::from(DEV_TICKET_LINK_SECRET),
        }
    }
}

/// A secret that environment layering may have parsed as a number.
fn lenient_secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
    steward_domain::settings_serde::lenient_string(d).map(SecretString::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_or_empty_secrets_are_refused_outside_dev() {
        let problems = GatewayConfig::default().production_problems().join("\n");
        for name in [
            "twilio_auth_token is a development",
            "ticket_link_secret is a development",
            "gmail_push_audience is empty",
        ] {
            assert!(problems.contains(name), "{name} missing from:\n{problems}");
        }
        let config = GatewayConfig {
            twilio_auth_token: SecretString::from("a-real-token"),
            ticket_link_secret: SecretString::from("   "),
            gmail_push_audience: "https://support.example.com/webhooks/gmail/pubsub".into(),
            gmail_push_service_account: "push@example.iam.gserviceaccount.com".into(),
            trust_forwarded_for: true,
            ..GatewayConfig::default()
        };
        let problems = config.production_problems().join("\n");
        assert!(
            problems.contains("ticket_link_secret is empty"),
            "{problems}"
        );
        assert!(!problems.contains("twilio_auth_token"), "{problems}");
        assert!(problems.contains("trusted_proxies is empty"), "{problems}");
        let fixed = GatewayConfig {
            ticket_link_secret: SecretString::from("another-real-secret"),
            trusted_proxies: "10.0.0.0/8".into(),
            ..config
        };
        assert_eq!(fixed.production_problems(), Vec::<String>::new());
    }
}
