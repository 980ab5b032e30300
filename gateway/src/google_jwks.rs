//! Google's push-signing keys (JWKS), cached.
//!
//! Valid pushes read the cache without waiting on anything. A refetch (keys
//! older than [`JWKS_TTL`], or a token naming a key we have not seen, which
//! is how Google's rotation shows up) runs under its own lock, one at a
//! time, and at most every [`REFETCH_EVERY`]: a storm of forged tokens with
//! made-up `kid`s costs Google one request and delays no valid push.

use crate::google_jwt::{JwtError, decode_part};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

pub(crate) const JWKS_TTL: Duration = Duration::from_secs(3600);
pub(crate) const REFETCH_EVERY: Duration = Duration::from_secs(30);

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

type Key = (Vec<u8>, Vec<u8>);

/// The keys as last fetched, and when.
#[derive(Default)]
struct KeySet {
    keys: HashMap<String, Key>,
    fetched: Option<Instant>,
}

pub(crate) struct KeyCache {
    http: reqwest::Client,
    url: String,
    keys: RwLock<Arc<KeySet>>,
    /// Held while fetching; holds when the last fetch started.
    refetch: Mutex<Option<Instant>>,
}

impl KeyCache {
    pub(crate) fn new(url: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
            url: url.to_owned(),
            keys: RwLock::new(Arc::default()),
            refetch: Mutex::new(None),
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, Key>, JwtError> {
        let unavailable =
            |e: reqwest::Error| JwtError::KeysUnavailable(e.without_url().to_string());
        let jwks: Jwks = self
            .http
            .get(&self.url)
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

    fn cached(&self) -> Arc<KeySet> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The key named `kid`.
    pub(crate) async fn key(&self, kid: &str) -> Result<Key, JwtError> {
        let seen = self.cached();
        let known = seen.keys.get(kid).cloned();
        let stale = seen.fetched.is_none_or(|at| at.elapsed() > JWKS_TTL);
        if let (Some(key), false) = (&known, stale) {
            return Ok(key.clone());
        }
        let mut last_fetch = match (self.refetch.try_lock(), &known) {
            (Ok(guard), _) => guard,
            // Someone is refreshing: a known key serves meanwhile.
            (Err(_), Some(key)) => return Ok(key.clone()),
            (Err(_), None) => self.refetch.lock().await,
        };
        let refreshed_meanwhile = self.cached().fetched != seen.fetched;
        let due = last_fetch.is_none_or(|at| at.elapsed() > REFETCH_EVERY);
        if due && !refreshed_meanwhile {
            *last_fetch = Some(Instant::now());
            match self.fetch().await {
                Ok(keys) => {
                    let fresh = Arc::new(KeySet {
                        keys,
                        fetched: Some(Instant::now()),
                    });
                    *self.keys.write().unwrap_or_else(|e| e.into_inner()) = fresh;
                }
                // Keep serving cached keys through a JWKS outage.
                Err(err) if known.is_none() => return Err(err),
                Err(err) => {
                    tracing::warn!(%err, "could not refresh Google's keys; using cached ones")
                }
            }
        }
        drop(last_fetch);
        self.cached()
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(|| JwtError::UnknownKey(kid.chars().take(64).collect()))
    }

    /// Tests: pretend the last fetch was `ago`.
    #[cfg(test)]
    pub(crate) async fn backdate(&self, ago: Duration) {
        *self.refetch.lock().await = Instant::now().checked_sub(ago);
    }
}

#[cfg(test)]
#[path = "google_jwks_tests.rs"]
mod tests;
