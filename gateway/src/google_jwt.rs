//! Verifying the OIDC token Google Pub/Sub attaches to a push
//! (`Authorization: Bearer <JWT>`): RS256 against Google's published keys
//! (JWKS, cached; refetched when a token names an unknown key, which is how
//! Google's key rotation shows up), the configured audience, the pushing
//! service account's verified email, Google as issuer, and expiry.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use serde::Deserialize;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

const ISSUERS: &[&str] = &["https://accounts.google.com", "accounts.google.com"];
/// Clock skew tolerated on `exp` and `iat`.
const LEEWAY_SECS: i64 = 30;
const JWKS_TTL: Duration = Duration::from_secs(3600);
/// An unknown `kid` refetches the keys at most this often (a forged token
/// must not turn into a request flood against Google).
const REFETCH_EVERY: Duration = Duration::from_secs(30);

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

#[derive(Deserialize)]
struct Jwk {
    kid: String,
    n: String,
    e: String,
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

type Keys = HashMap<String, (Vec<u8>, Vec<u8>)>;

/// What a push token must say, and where Google's keys are.
pub struct PushVerifier {
    http: reqwest::Client,
    jwks_url: String,
    audience: String,
    service_account: String,
    keys: Mutex<(Keys, Option<Instant>)>,
}

fn decode_part(part: &str) -> Result<Vec<u8>, JwtError> {
    URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| JwtError::Malformed("not base64url"))
}

impl PushVerifier {
    pub fn new(jwks_url: &str, audience: &str, service_account: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
            jwks_url: jwks_url.to_owned(),
            audience: audience.to_owned(),
            service_account: service_account.to_owned(),
            keys: Mutex::new((HashMap::new(), None)),
        }
    }

    async fn fetch_keys(&self) -> Result<Keys, JwtError> {
        let unavailable = |e: reqwest::Error| JwtError::KeysUnavailable(e.to_string());
        let jwks: Jwks = self
            .http
            .get(&self.jwks_url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(unavailable)?
            .json()
            .await
            .map_err(unavailable)?;
        let mut keys = HashMap::new();
        for key in jwks.keys {
            keys.insert(key.kid, (decode_part(&key.n)?, decode_part(&key.e)?));
        }
        Ok(keys)
    }

    /// The key named `kid`: from the cache while fresh; refetched when
    /// stale or when the kid is unknown (rotation).
    async fn key(&self, kid: &str) -> Result<(Vec<u8>, Vec<u8>), JwtError> {
        let mut cache = self.keys.lock().await;
        let age = cache.1.map(|fetched| fetched.elapsed());
        let known = cache.0.get(kid).cloned();
        let stale = age.is_none_or(|a| a > JWKS_TTL);
        let may_refetch = age.is_none_or(|a| a > REFETCH_EVERY);
        if stale || (known.is_none() && may_refetch) {
            match self.fetch_keys().await {
                Ok(keys) => *cache = (keys, Some(Instant::now())),
                // Keep serving cached keys through a JWKS outage.
                Err(err) if known.is_none() => return Err(err),
                Err(err) => {
                    tracing::warn!(%err, "could not refresh Google's keys; using cached ones")
                }
            }
        }
        cache
            .0
            .get(kid)
            .cloned()
            .ok_or_else(|| JwtError::UnknownKey(kid.to_owned()))
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
        let (n, e) = self.key(&head.kid).await?;
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
