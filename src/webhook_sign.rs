//! Correctly signed Twilio WhatsApp webhooks: as a `curl` command for
//! trying the stack by hand (`steward sign-whatsapp`; the Twilio console
//! cannot reach a laptop, and hand-computing HMAC-SHA1 is no fun), and as
//! requests for `steward eval` and the end-to-end tests.

use secrecy::ExposeSecret;
use steward_gateway::GatewayConfig;
use steward_gateway::twilio;

pub const WHATSAPP_PATH: &str = "/webhooks/twilio/whatsapp";

/// The form Twilio posts for an inbound WhatsApp text message.
pub fn whatsapp_form(
    from: &str,
    to: &str,
    body: &str,
    sid: &str,
    name: &str,
) -> Vec<(String, String)> {
    [
        ("MessageSid", sid),
        ("SmsMessageSid", sid),
        ("AccountSid", "ACsteward000000000000000000000000"),
        ("From", &format!("whatsapp:{from}")),
        ("To", &format!("whatsapp:{to}")),
        ("Body", body),
        ("NumMedia", "0"),
        ("ProfileName", name),
        ("WaId", from.trim_start_matches('+')),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// Shell-quotes one argument.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The form body as Twilio encodes it.
pub fn form_body(params: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

/// Where the WhatsApp webhook of a gateway at `base_url` is.
pub fn whatsapp_url(base_url: &str) -> String {
    format!("{}{WHATSAPP_PATH}", base_url.trim_end_matches('/'))
}

/// A webhook request as Twilio would send it: URL, signature, form body.
pub struct SignedWebhook {
    pub url: String,
    pub signature: String,
    pub body: String,
}

/// Signs `params` for the WhatsApp webhook of the gateway at `base_url`.
pub fn sign_whatsapp(
    auth_token: &[u8],
    base_url: &str,
    params: &[(String, String)],
) -> SignedWebhook {
    let url = whatsapp_url(base_url);
    SignedWebhook {
        signature: twilio::signature(auth_token, &url, params),
        body: form_body(params),
        url,
    }
}

impl SignedWebhook {
    /// Posts it the way Twilio does.
    pub async fn post(&self, http: &reqwest::Client) -> reqwest::Result<reqwest::Response> {
        http.post(&self.url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", &self.signature)
            .body(self.body.clone())
            .send()
            .await
    }
}

/// A curl command that posts `params` to `base_url` with a valid signature.
pub fn curl_command(config: &GatewayConfig, base_url: &str, params: &[(String, String)]) -> String {
    let token = config.twilio_auth_token.expose_secret().as_bytes();
    let SignedWebhook { url, signature, .. } = sign_whatsapp(token, base_url, params);
    let mut cmd = format!(
        "curl -sS -i -X POST {} \\\n  -H {} \\\n  -H 'Content-Type: application/x-www-form-urlencoded'",
        quote(&url),
        quote(&format!("X-Twilio-Signature: {signature}"))
    );
    for (k, v) in params {
        cmd.push_str(&format!(
            " \\\n  --data-urlencode {}",
            quote(&format!("{k}={v}"))
        ));
    }
    cmd
}
