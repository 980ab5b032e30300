//! Passage and query embeddings from an OpenAI-compatible `/embeddings`
//! endpoint, when configured (`activities.embeddings.provider = "openai"`).
//!
//! Vectors live in `kb_embeddings` ([`super::vectors`]). Switching models
//! re-embeds every passage for the new one on the next import; the old
//! model's vectors stay until dropped.

use super::{KbError, vectors};
use crate::config::{EmbeddingProvider, EmbeddingSettings};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::sync::OnceLock;

/// Passages per request (OpenAI accepts up to 2,048 inputs).
const BATCH: usize = 64;

pub struct RemoteEmbeddings {
    http: reqwest::Client,
    settings: EmbeddingSettings,
    /// The model's stored dimension, once known: it never changes for a
    /// model name (a different one is refused), so search need not ask again.
    dims: OnceLock<usize>,
}

static REMOTE: OnceLock<Option<RemoteEmbeddings>> = OnceLock::new();

/// Sets the process's embedding provider (first call wins; the binary calls
/// it once with its settings).
pub fn configure(settings: &EmbeddingSettings) {
    REMOTE.get_or_init(|| {
        (settings.provider == EmbeddingProvider::Openai).then(|| RemoteEmbeddings {
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(60))
                .build()
                .unwrap_or_default(),
            settings: settings.clone(),
            dims: OnceLock::new(),
        })
    });
}

/// The remote model, when one is configured.
pub fn configured() -> Option<&'static RemoteEmbeddings> {
    REMOTE.get().and_then(Option::as_ref)
}

impl RemoteEmbeddings {
    pub fn model(&self) -> &str {
        &self.settings.model
    }

    /// One vector per text, in order.
    #[tracing::instrument(skip_all, fields(model = %self.settings.model, n = texts.len()))]
    pub async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, KbError> {
        let mut body =
            json!({ "model": self.settings.model, "input": texts, "encoding_format": "float" });
        if let Some(dims) = self.settings.dimensions {
            body["dimensions"] = json!(dims);
        }
        let url = format!(
            "{}/embeddings",
            self.settings.base_url.trim_end_matches('/')
        );
        let response = self
            .http
            .post(url)
            .bearer_auth(self.settings.api_key.expose_secret())
            .json(&body)
            .send()
            .await
            .map_err(|e| KbError::Embeddings(e.to_string()))?;
        let status = response.status();
        let answer: Value = response
            .json()
            .await
            .map_err(|e| KbError::Embeddings(e.to_string()))?;
        if !status.is_success() {
            return Err(KbError::Embeddings(format!(
                "{status}: {}",
                answer["error"]["message"]
            )));
        }
        let mut data: Vec<(usize, Vec<f32>)> = answer["data"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| {
                let index = d["index"].as_u64().unwrap_or(0) as usize;
                let vector = d["embedding"].as_array().into_iter().flatten();
                (
                    index,
                    vector
                        .filter_map(|x| x.as_f64().map(|x| x as f32))
                        .collect(),
                )
            })
            .collect();
        data.sort_by_key(|(i, _)| *i);
        if data.len() != texts.len() || data.iter().any(|(_, v)| v.is_empty()) {
            return Err(KbError::Embeddings(format!(
                "asked for {} vectors, got {}",
                texts.len(),
                data.len()
            )));
        }
        Ok(data.into_iter().map(|(_, v)| v).collect())
    }

    /// Embeds every passage that has no vector for this model yet; the
    /// number embedded. Unchanged passages cost nothing.
    pub async fn sync(&self, pool: &PgPool) -> Result<usize, KbError> {
        let model = &self.settings.model;
        let missing = vectors::missing(pool, model).await?;
        for batch in missing.chunks(BATCH) {
            let texts: Vec<String> = batch.iter().map(|(_, text)| text.clone()).collect();
            let embedded = self.embed(&texts).await?;
            vectors::register(pool, model, embedded[0].len()).await?;
            let ids = batch.iter().map(|(id, _)| *id);
            vectors::store(pool, model, ids.zip(embedded).collect()).await?;
        }
        Ok(missing.len())
    }

    /// The stored dimension of this model (`None` before the first import).
    pub async fn dims(&self, pool: &PgPool) -> Result<Option<usize>, sqlx::Error> {
        if let Some(dims) = self.dims.get() {
            return Ok(Some(*dims));
        }
        let dims = vectors::stored_dims(pool, &self.settings.model).await?;
        Ok(dims.map(|d| *self.dims.get_or_init(|| d)))
    }
}
