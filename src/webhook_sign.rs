//! `steward sign-whatsapp`: a correctly signed Twilio WhatsApp webhook, as a
//! `curl` command, for trying the stack by hand (the Twilio console cannot
//! reach a laptop, and hand-computing HMAC-SHA1 is no fun).

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

/// A curl command that posts `params` to `base_url` with a valid signature.
pub fn curl_command(config: &GatewayConfig, base_url: &str, params: &[(String, String)]) -> String {
    let url = format!("{}{WHATSAPP_PATH}", base_url.trim_end_matches('/'));
    let token = config.twilio_auth_token.expose_secret().as_bytes();
    let signature = twilio::signature(token, &url, params);
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
