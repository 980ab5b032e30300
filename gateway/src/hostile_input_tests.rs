//! Property tests of the gateway's parsers of outside data: Twilio form and
//! JSON bodies and signatures, Pub/Sub push envelopes and their JWTs, the
//! web form's JSON and form bodies. Arbitrary bytes, Unicode, huge and
//! deeply nested input: never a panic, always an answer that says why.
//! Bounded case counts: these run in the README's test command.

use crate::error::ApiError;
use crate::google_jwt::{JwtError, PushVerifier};
use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use proptest::prelude::*;

fn cases(n: u32) -> ProptestConfig {
    ProptestConfig {
        cases: n,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// JSON-ish bytes: fragments of valid JSON glued at random.
fn jsonish() -> impl Strategy<Value = Vec<u8>> {
    let atoms = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "\"From\"",
        "\"whatsapp:+14155550100\"",
        "\"Body\"",
        "1e999",
        "-0",
        "null",
        "true",
        "\"\\u0000\"",
        "\"\\ud800\"",
        "\"İ¡😀\"",
        "\"email\"",
        "\"message\"",
        "\"emailAddress\"",
        "\"historyId\"",
        "18446744073709551616",
    ]);
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        prop::collection::vec(atoms, 0..40).prop_map(|v| v.concat().into_bytes()),
    ]
}

fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    let names = prop::sample::select(vec![
        "MessageSid",
        "From",
        "To",
        "Body",
        "NumMedia",
        "MediaUrl0",
        "MediaContentType0",
        "ProfileName",
        "MediaUrl9",
    ]);
    prop::collection::vec((names.prop_map(str::to_owned), any::<String>()), 0..12)
}

fn content_type(value: &'static str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
    headers
}

fn says_why(err: &ApiError) -> bool {
    matches!(err, ApiError::BadRequest(m) if !m.is_empty())
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn twilio_bodies_parse_or_say_why(body in jsonish(), form in pairs()) {
        if let Err(e) = crate::twilio_webhooks::json_params(&body) {
            prop_assert!(says_why(&e), "{e:?}");
        }
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&form)
            .finish();
        let decoded: Vec<(String, String)> =
            url::form_urlencoded::parse(encoded.as_bytes()).into_owned().collect();
        prop_assert_eq!(&decoded, &form);
        match crate::twilio::whatsapp_message(&form, "e".into(), "c".into(), 0) {
            Ok(m) => {
                prop_assert!(m.sender.value.starts_with('+'));
                prop_assert!(m.media.len() <= 10);
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        let signature = crate::twilio::signature(b"token", "https://x.test/w", &form);
        prop_assert!(crate::twilio::verify(b"token", "https://x.test/w", &form, &signature));
        prop_assert!(!crate::twilio::verify(b"other", "https://x.test/w", &form, &signature));
    }

    #[test]
    fn pubsub_notices_decode_or_say_why(body in jsonish(), text in any::<String>()) {
        for data in [STANDARD.encode(&body), text.clone(), STANDARD.encode(text.as_bytes())] {
            match crate::gmail_push::decode_notice(&data) {
                Ok(notice) => prop_assert!(
                    steward_domain::identity::is_single_address(&notice.email_address),
                    "{:?}", notice.email_address
                ),
                Err(e) => prop_assert!(says_why(&e), "{e:?}"),
            }
        }
        let _ = serde_json::from_slice::<crate::gmail_push::PushBody>(&body);
    }

    #[test]
    fn web_forms_parse_or_say_why(body in jsonish()) {
        for kind in ["application/json", "application/x-www-form-urlencoded"] {
            if let Err(e) = crate::web_form::parse(&content_type(kind), &body) {
                prop_assert!(says_why(&e), "{e:?}");
            }
        }
    }
}

proptest! {
    #![proptest_config(cases(64))]

    #[test]
    fn push_tokens_are_refused_with_a_reason(
        alg in prop_oneof![Just("RS256".to_owned()), any::<String>()],
        kid in any::<String>(),
        rest in any::<String>(),
        raw in any::<String>(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        // Nothing listens on port 1: an unknown key cannot be fetched.
        let verifier = PushVerifier::new("http://127.0.0.1:1/certs", "aud", "sa@x.test");
        let header = URL_SAFE_NO_PAD.encode(serde_json::json!({"alg": alg, "kid": kid}).to_string());
        let token = format!("{header}.{}.{}", URL_SAFE_NO_PAD.encode(&rest), URL_SAFE_NO_PAD.encode(&rest));
        for token in [token, raw] {
            let err = runtime.block_on(verifier.verify(&token, 0)).unwrap_err();
            prop_assert!(!err.to_string().is_empty());
            prop_assert!(!matches!(err, JwtError::Signature | JwtError::Claim(_)), "{err:?}");
        }
    }
}

#[test]
fn deeply_nested_json_is_refused_not_a_stack_overflow() {
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let object = format!("{}{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    for body in [nested.as_bytes(), object.as_bytes()] {
        assert!(says_why(
            &crate::twilio_webhooks::json_params(body).unwrap_err()
        ));
        let form = crate::web_form::parse(&content_type("application/json"), body);
        assert!(says_why(&form.unwrap_err()));
        let notice = crate::gmail_push::decode_notice(&STANDARD.encode(body));
        assert!(says_why(&notice.unwrap_err()));
    }
}

#[test]
fn huge_form_bodies_are_parsed_in_bounded_time() {
    let huge = format!(
        "Body={}&From=%2B14155550100&MessageSid=SM1",
        "%C4%B0".repeat(300_000)
    );
    let started = std::time::Instant::now();
    let params: Vec<(String, String)> = url::form_urlencoded::parse(huge.as_bytes())
        .into_owned()
        .collect();
    let message = crate::twilio::whatsapp_message(&params, "e".into(), "c".into(), 0).unwrap();
    assert_eq!(message.body.chars().count(), 300_000);
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
}
