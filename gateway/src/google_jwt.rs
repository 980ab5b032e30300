//! Verifying the OIDC token Google Pub/Sub attaches to a push
//! (`Authorization: Bearer <JWT>`): RS256 against Google's published keys
//! (JWKS, cached by [`crate::google_jwks`]), the configured audience, the pushing
//! service account's verified email, Google as issuer, and expiry.

use crate::google_jwks::KeyCache;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use serde::Deserialize;

const ISSUERS: &[&str] = &["https://accounts.google.com", "accounts.google.com"];
/// Clock skew tolerated on `exp` and `iat`.
const LEEWAY_SECS: i64 = 30;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    #[error("algorithm {0} is not RS256")]
    Algorithm(String),
    #[error("no Google key with id {0}")]
    UnknownKey(String),
    #[error("bad signature")]
    Signature,
    #[error("claim {0} does not match")]
    Claim(&'static str),
    #[error("token expired")]
    Expired,
    #[error("Google's keys are unavailable: {0}")]
    KeysUnavailable(String),
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: String,
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    iss: String,
    #[serde(default)]
    aud: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    email_verified: bool,
    exp: i64,
    #[serde(default)]
    iat: i64,
}

/// What a push token must say, and where Google's keys are.
pub struct PushVerifier {
    keys: KeyCache,
    audience: String,
    service_account: String,
}

pub(crate) fn decode_part(part: &str) -> Result<Vec<u8>, JwtError> {
    URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| JwtError::Malformed("not base64url"))
}

impl PushVerifier {
    pub fn new(jwks_url: &str, audience: &str, service_account: &str) -> Self {
        Self {
            keys: KeyCache::new(jwks_url),
            audience: audience.to_owned(),
            service_account: service_account.to_owned(),
        }
    }

    /// Verifies `token` at Unix time `now`.
    pub async fn verify(&self, token: &str, now: i64) -> Result<(), JwtError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtError::Malformed("not three parts"));
        };
        let head: Header = serde_json::from_slice(&decode_part(header)?)
            .map_err(|_| JwtError::Malformed("header is not JSON"))?;
        if head.alg != "RS256" {
            return Err(JwtError::Algorithm(head.alg));
        }
        let (n, e) = self.keys.key(&head.kid).await?;
        let signed = &token[..header.len() + 1 + payload.len()];
        RsaPublicKeyComponents { n: &n, e: &e }
            .verify(
                &RSA_PKCS1_2048_8192_SHA256,
                signed.as_bytes(),
                &decode_part(signature)?,
            )
            .map_err(|_| JwtError::Signature)?;
        let claims: Claims = serde_json::from_slice(&decode_part(payload)?)
            .map_err(|_| JwtError::Malformed("claims are not JSON"))?;
        if !ISSUERS.contains(&claims.iss.as_str()) {
            return Err(JwtError::Claim("iss"));
        }
        if claims.aud != self.audience {
            return Err(JwtError::Claim("aud"));
        }
        if claims.email != self.service_account || !claims.email_verified {
            return Err(JwtError::Claim("email"));
        }
        if claims.exp + LEEWAY_SECS < now {
            return Err(JwtError::Expired);
        }
        if claims.iat - LEEWAY_SECS > now {
            return Err(JwtError::Claim("iat"));
        }
        Ok(())
    }
}
