//! Webhooks signed by Twilio's own SDK (the `twilio` Python package's
//! `RequestValidator`, installed by the provisioning script) must pass the
//! gateway: a form body with auth-token HMAC-SHA1, a form body signed with
//! a Webhook Setting's shared key (HMAC-SHA256 named by
//! `X-Twilio-Webhooks-Signature-Settings`), and a JSON body whose URL
//! carries `bodySHA256`. The same requests with one byte changed are 403.

mod support;

use serde_json::json;
use std::process::Command;
use support::*;

const SHARED_SECRET: &str = "webhook-setting-shared-secret";

/// Twilio's SDK signs `url` with `params` (a JSON object) or a raw body.
fn sdk_signature(key: &str, url: &str, params: &serde_json::Value, algorithm: &str) -> String {
    let script = r#"
import json, sys
from twilio.request_validator import RequestValidator
key, url, params, algorithm = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
print(RequestValidator(key).compute_signature(url, params, algorithm))
"#;
    let out = Command::new("python3")
        .args(["-c", script, key, url, &params.to_string(), algorithm])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "the twilio SDK is installed by scripts/provision.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_signed_by_twilios_sdk_are_accepted() {
    let mut settings = test_settings().await;
    settings.gateway.twilio_shared_key_secret = SHARED_SECRET.into();
    let app = spawn_gateway(settings).await;
    let url = app.webhook_url();
    let phone = unique_phone();
    let form = |sid: &str| {
        json!({"MessageSid": sid, "From": format!("whatsapp:{phone}"), "To": "whatsapp:+14155550199",
               "Body": "Ünïcode & symbols = fine?", "NumMedia": "1", "ProfileName": "Zoë",
               "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
               "MediaContentType0": "image/jpeg"})
    };
    let encode = |params: &serde_json::Value| {
        let pairs: Vec<(String, String)> = params
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        form_body(&pairs)
    };
    let post = |body: String,
                content_type: &'static str,
                target: String,
                headers: Vec<(&'static str, String)>| {
        let mut request = app
            .http
            .post(target)
            .header("content-type", content_type)
            .body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send()
    };

    // Auth token, HMAC-SHA1 (the default).
    let params = form("SMsdk1");
    let signature = sdk_signature(TWILIO_TOKEN, &url, &params, "HMAC_SHA1");
    let response = post(
        encode(&params),
        "application/x-www-form-urlencoded",
        url.clone(),
        vec![("x-twilio-signature", signature.clone())],
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    let mut tampered = params.clone();
    tampered["Body"] = json!("Ünïcode & symbols = fine!");
    let response = post(
        encode(&tampered),
        "application/x-www-form-urlencoded",
        url.clone(),
        vec![("x-twilio-signature", signature)],
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 403);

    // A Webhook Setting's shared key, HMAC-SHA256.
    let params = form("SMsdk2");
    let settings = "key=webhooks_sharedkey_01,algorithm=HMAC_SHA256".to_owned();
    let signature = sdk_signature(SHARED_SECRET, &url, &params, "HMAC_SHA256");
    let response = post(
        encode(&params),
        "application/x-www-form-urlencoded",
        url.clone(),
        vec![
            ("x-twilio-signature", signature.clone()),
            ("x-twilio-webhooks-signature-settings", settings.clone()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    let response = post(
        encode(&params),
        "application/x-www-form-urlencoded",
        url.clone(),
        vec![("x-twilio-signature", signature)],
    )
    .await
    .unwrap();
    assert_eq!(
        response.status(),
        403,
        "without the header the auth token is the key"
    );

    // A JSON body: the URL carries its SHA-256, the signature covers the URL.
    let body = form("SMsdk3").to_string();
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body.as_bytes()));
    let json_url = format!("{url}?bodySHA256={hash}");
    let signature = sdk_signature(TWILIO_TOKEN, &json_url, &json!({}), "HMAC_SHA1");
    let response = post(
        body.clone(),
        "application/json",
        json_url.clone(),
        vec![("x-twilio-signature", signature.clone())],
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    let response = post(
        body.replace("fine?", "fine!"),
        "application/json",
        json_url,
        vec![("x-twilio-signature", signature)],
    )
    .await
    .unwrap();
    assert_eq!(
        response.status(),
        403,
        "a body that does not match bodySHA256"
    );

    assert_eq!(app.inbound_message_count(), 3);
    app.stop().await;
}
