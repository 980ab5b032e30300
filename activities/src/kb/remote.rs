//! Passage and query embeddings from an OpenAI-compatible `/embeddings`
//! endpoint, when configured (`activities.embeddings.provider = "openai"`).
//!
//! Vectors live in `kb_embeddings`, one per passage and model; the model's
//! dimension is recorded in `kb_embedding_models` (a changed dimension for
//! the same name is refused, not mixed), and each model gets its own HNSW
//! index over its rows. Switching models re-embeds every passage for the
//! new one on the next import; the old model's vectors stay until dropped.

use super::{KbError, vector_literal};
use crate::config::{EmbeddingProvider, EmbeddingSettings};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sha1::{Digest, Sha1};
use sqlx::PgPool;
use std::sync::OnceLock;
use uuid::Uuid;

/// Passages per request (OpenAI accepts up to 2,048 inputs).
const BATCH: usize = 64;
/// pgvector's HNSW limit for `vector`.
const MAX_INDEXED_DIMS: usize = 2000;

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

    /// Records the model's dimension (refusing a different one for the same
    /// name) and creates its index.
    async fn register(&self, pool: &PgPool, dims: usize) -> Result<(), KbError> {
        let model = &self.settings.model;
        if !model
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._:-/".contains(c))
        {
            return Err(KbError::Embeddings(format!(
                "unusable model name {model:?}"
            )));
        }
        sqlx::query("INSERT INTO kb_embedding_models (model, dims) VALUES ($1, $2) ON CONFLICT (model) DO NOTHING")
            .bind(model)
            .bind(dims as i32)
            .execute(pool)
            .await?;
        let stored: i32 =
            sqlx::query_scalar("SELECT dims FROM kb_embedding_models WHERE model = $1")
                .bind(model)
                .fetch_one(pool)
                .await?;
        if stored as usize != dims {
            return Err(KbError::Embeddings(format!(
                "{model} is stored with {stored} dimensions but now returns {dims}; use another model name"
            )));
        }
        if dims <= MAX_INDEXED_DIMS {
            let name = hex_prefix(&format!("{model}:{dims}"));
            // Identifiers and the literal are checked above: no injection.
            sqlx::query(&format!(
                "CREATE INDEX IF NOT EXISTS kb_embeddings_hnsw_{name} ON kb_embeddings
                 USING hnsw ((embedding::vector({dims})) vector_cosine_ops) WHERE model = '{model}'"
            ))
            .execute(pool)
            .await?;
        } else {
            tracing::warn!(%model, dims, "over pgvector's HNSW limit: searched exactly, without an index");
        }
        Ok(())
    }

    /// Embeds every passage that has no vector for this model yet; the
    /// number embedded. Unchanged passages cost nothing.
    pub async fn sync(&self, pool: &PgPool) -> Result<usize, KbError> {
        let missing: Vec<(Uuid, String, String)> = sqlx::query_as(
            "SELECT c.id, c.heading, c.content FROM kb_chunks c
             WHERE NOT EXISTS (SELECT 1 FROM kb_embeddings e WHERE e.chunk_id = c.id AND e.model = $1)
             ORDER BY c.id",
        )
        .bind(&self.settings.model)
        .fetch_all(pool)
        .await?;
        for batch in missing.chunks(BATCH) {
            // Embedded with the title, as a reader sees the passage.
            let texts: Vec<String> = batch
                .iter()
                .map(|(_, title, c)| format!("{title}\n{c}"))
                .collect();
            let vectors = self.embed(&texts).await?;
            self.register(pool, vectors[0].len()).await?;
            let mut tx = pool.begin().await?;
            for ((chunk, _, _), vector) in batch.iter().zip(&vectors) {
                sqlx::query(
                    "INSERT INTO kb_embeddings (chunk_id, model, embedding) VALUES ($1, $2, $3::vector)
                     ON CONFLICT (chunk_id, model) DO UPDATE SET embedding = EXCLUDED.embedding",
                )
                .bind(chunk)
                .bind(&self.settings.model)
                .bind(vector_literal(vector))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        }
        Ok(missing.len())
    }

    /// The stored dimension of this model (`None` before the first import).
    pub async fn dims(&self, pool: &PgPool) -> Result<Option<usize>, sqlx::Error> {
        if let Some(dims) = self.dims.get() {
            return Ok(Some(*dims));
        }
        let dims: Option<i32> =
            sqlx::query_scalar("SELECT dims FROM kb_embedding_models WHERE model = $1")
                .bind(&self.settings.model)
                .fetch_optional(pool)
                .await?;
        Ok(dims.map(|d| *self.dims.get_or_init(|| d as usize)))
    }
}

fn hex_prefix(text: &str) -> String {
    Sha1::digest(text.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}
