//! Twilio's request signatures.
//!
//! Twilio signs `HMAC(key, URL + every POST parameter sorted by name, each
//! as name followed by value)`, base64-encoded, in `X-Twilio-Signature`:
//! - by default HMAC-SHA1 with the account's auth token;
//! - when a Webhook Rule applies, with that Setting's shared key and the
//!   algorithm named in `X-Twilio-Webhooks-Signature-Settings`
//!   (`key=…,algorithm=HMAC_SHA256`);
//! - for JSON bodies the URL carries `bodySHA256` (hex SHA-256 of the raw
//!   body) and the signature covers the URL alone.
//!
//! The URL is the one Twilio called, so the public base URL is
//! configuration, not something read from the request; like Twilio's SDKs
//! we accept it with and without the scheme's default port.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The HMAC a webhook was signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    HmacSha1,
    HmacSha256,
}

impl Algorithm {
    /// The algorithm named by `X-Twilio-Webhooks-Signature-Settings`; a
    /// missing header (or one without `algorithm=`) is the auth-token
    /// HMAC-SHA1. `Err` names an algorithm this build does not know.
    pub fn from_settings_header(header: Option<&str>) -> Result<Self, String> {
        let named = header.unwrap_or("").split(',').find_map(|part| {
            let (name, value) = part.split_once('=')?;
            (name.trim() == "algorithm" && !value.trim().is_empty()).then(|| value.trim())
        });
        match named.map(str::to_ascii_uppercase).as_deref() {
            None | Some("HMAC_SHA1") => Ok(Self::HmacSha1),
            Some("HMAC_SHA256") => Ok(Self::HmacSha256),
            Some(other) => Err(other.to_owned()),
        }
    }
}

fn mac_base64(algorithm: Algorithm, key: &[u8], message: &[u8]) -> String {
    let bytes = match algorithm {
        Algorithm::HmacSha1 => {
            let mut mac = Hmac::<Sha1>::new_from_slice(key).expect("HMAC accepts any key length");
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        Algorithm::HmacSha256 => {
            let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
    };
    BASE64.encode(bytes)
}

/// The string Twilio signs: the URL, then the parameters sorted by name and
/// value (as Twilio's SDKs sort them), each as name followed by value.
fn signed_string(url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut s = url.to_owned();
    for (name, value) in sorted {
        s.push_str(name);
        s.push_str(value);
    }
    s
}

/// The signature Twilio computes for a form-encoded POST to `url`.
pub fn signature_with(
    algorithm: Algorithm,
    key: &[u8],
    url: &str,
    params: &[(String, String)],
) -> String {
    mac_base64(algorithm, key, signed_string(url, params).as_bytes())
}

/// The auth-token (HMAC-SHA1) signature of a form-encoded POST.
pub fn signature(auth_token: &[u8], url: &str, params: &[(String, String)]) -> String {
    signature_with(Algorithm::HmacSha1, auth_token, url, params)
}

/// `url` as written and with the scheme's default port toggled: Twilio's
/// back end is not consistent about including it.
fn url_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_owned()];
    if let Ok(mut parsed) = url::Url::parse(url) {
        let toggled = match parsed.port() {
            Some(_) => parsed.set_port(None).map(|_| parsed.to_string()),
            None => {
                let default = parsed.port_or_known_default();
                // `Url` hides a default port, so splice it in by hand.
                let host = parsed.host_str().unwrap_or("").to_owned();
                Ok(default.map_or(url.to_owned(), |port| {
                    url.replacen(&host, &format!("{host}:{port}"), 1)
                }))
            }
        };
        if let Ok(t) = toggled
            && t != url
        {
            variants.push(t);
        }
    }
    variants
}

fn ct_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.trim().as_bytes()).into()
}

/// Constant-time check of a received signature over a form-encoded POST.
pub fn verify_form(
    algorithm: Algorithm,
    key: &[u8],
    url: &str,
    params: &[(String, String)],
    received: &str,
) -> bool {
    url_variants(url)
        .iter()
        .any(|u| ct_eq(&signature_with(algorithm, key, u, params), received))
}

/// The auth-token check of a form POST (HMAC-SHA1).
pub fn verify(auth_token: &[u8], url: &str, params: &[(String, String)], received: &str) -> bool {
    verify_form(Algorithm::HmacSha1, auth_token, url, params, received)
}

/// Checks a JSON-bodied webhook: the URL's `bodySHA256` must be the hex
/// SHA-256 of the raw body, and the signature covers the URL alone.
pub fn verify_json(
    algorithm: Algorithm,
    key: &[u8],
    url: &str,
    body: &[u8],
    received: &str,
) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    let Some(claimed) = parsed
        .query_pairs()
        .find(|(k, _)| k == "bodySHA256")
        .map(|(_, v)| v.into_owned())
    else {
        return false;
    };
    let actual = hex::encode(Sha256::digest(body));
    ct_eq(&actual, &claimed.to_ascii_lowercase()) && verify_form(algorithm, key, url, &[], received)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twilio::test_pairs as p;

    /// The worked example from Twilio's security documentation; the same
    /// value comes out of the `twilio` Python SDK's `RequestValidator`.
    #[test]
    fn matches_twilio_documented_example() {
        let params = p(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]);
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(
            signature(b"12345", url, &params),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        assert!(verify(
            b"12345",
            url,
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(!verify(
            b"12345",
            url,
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8"
        ));
        assert!(!verify(
            b"wrong",
            url,
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
    }

    fn status_params() -> Vec<(String, String)> {
        p(&[
            ("MessageSid", "SM1"),
            ("MessageStatus", "failed"),
            ("ErrorCode", "63016"),
            ("To", "whatsapp:+14155550100"),
        ])
    }

    /// Reference values computed by the `twilio` Python SDK 9.13
    /// (`RequestValidator(...).compute_signature(url, params, algorithm)`).
    #[test]
    fn matches_the_python_sdk_for_sha256_json_and_ports() {
        let url = "https://steward.example/webhooks/twilio/status";
        assert!(verify_form(
            Algorithm::HmacSha256,
            b"shared-secret",
            url,
            &status_params(),
            "F57GiRBLx+50Mm4Sx71WYqRBFnxRAQb2iegQEgKYJZo="
        ));
        assert!(
            verify(
                b"12345",
                url,
                &status_params(),
                "7b99M1Sa5Nyg5ZVg5o7+S2Z7k28="
            ),
            "signed with :443 in the URL"
        );
        let body = br#"{"MessageSid":"SM1","MessageStatus":"failed"}"#;
        let json_url = format!(
            "{url}?bodySHA256=fbea32f804b8b346badf21572a49b86882f2b39203c4e4d431893afdd334f89c"
        );
        assert!(verify_json(
            Algorithm::HmacSha1,
            b"12345",
            &json_url,
            body,
            "h/Wl29K77tuCzeM2uXh366S1VmQ="
        ));
        assert!(verify_json(
            Algorithm::HmacSha256,
            b"shared-secret",
            &json_url,
            body,
            "LpNFr24aVB22ZKFDiWPP2meb80ZSKzgWURqwqo1e6+g="
        ));
        let tampered = br#"{"MessageSid":"SM1","MessageStatus":"delivered"}"#;
        assert!(!verify_json(
            Algorithm::HmacSha1,
            b"12345",
            &json_url,
            tampered,
            "h/Wl29K77tuCzeM2uXh366S1VmQ="
        ));
        assert!(!verify_json(
            Algorithm::HmacSha1,
            b"12345",
            url,
            body,
            "h/Wl29K77tuCzeM2uXh366S1VmQ="
        ));
    }

    #[test]
    fn settings_header_names_the_algorithm() {
        assert_eq!(
            Algorithm::from_settings_header(None),
            Ok(Algorithm::HmacSha1)
        );
        assert_eq!(
            Algorithm::from_settings_header(Some(
                "key=webhooks_sharedkey_1, algorithm=HMAC_SHA256"
            )),
            Ok(Algorithm::HmacSha256)
        );
        assert_eq!(
            Algorithm::from_settings_header(Some("key=k")),
            Ok(Algorithm::HmacSha1)
        );
        assert!(Algorithm::from_settings_header(Some("algorithm=HMAC_MD5")).is_err());
    }
}
