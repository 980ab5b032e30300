//! Passage vectors of models other than the primary in-process one (whose
//! vectors are `kb_chunks.embedding`): a configured remote model, or the
//! second in-process model. One vector per passage and model in
//! `kb_embeddings`; the model's dimension is recorded in
//! `kb_embedding_models` (a changed dimension for the same name is
//! refused, not mixed), and each model gets its own HNSW index over its
//! rows. Passages re-imported with new text lose their vectors with their
//! rows (cascade), so [`missing`] finds them again.

use super::{KbError, vector_literal};
use sha1::{Digest, Sha1};
use sqlx::PgPool;
use uuid::Uuid;

/// pgvector's HNSW limit for `vector`.
const MAX_INDEXED_DIMS: usize = 2000;

/// Records the model's dimension (refusing a different one for the same
/// name) and creates its index.
pub(crate) async fn register(pool: &PgPool, model: &str, dims: usize) -> Result<(), KbError> {
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
    let stored: i32 = sqlx::query_scalar("SELECT dims FROM kb_embedding_models WHERE model = $1")
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

/// Passages without a vector for `model`: their ids and the text to embed
/// (with the title, as a reader sees the passage).
pub(crate) async fn missing(pool: &PgPool, model: &str) -> Result<Vec<(Uuid, String)>, KbError> {
    let rows: Vec<(Uuid, String, String)> = sqlx::query_as(
        "SELECT c.id, c.heading, c.content FROM kb_chunks c
         WHERE NOT EXISTS (SELECT 1 FROM kb_embeddings e WHERE e.chunk_id = c.id AND e.model = $1)
         ORDER BY c.id",
    )
    .bind(model)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, title, content)| (id, format!("{title}\n{content}")))
        .collect())
}

/// Stores vectors of `model` (after [`register`]), in one transaction.
pub(crate) async fn store(
    pool: &PgPool,
    model: &str,
    vectors: Vec<(Uuid, Vec<f32>)>,
) -> Result<(), KbError> {
    let mut tx = pool.begin().await?;
    for (chunk, vector) in &vectors {
        sqlx::query(
            "INSERT INTO kb_embeddings (chunk_id, model, embedding) VALUES ($1, $2, $3::vector)
             ON CONFLICT (chunk_id, model) DO UPDATE SET embedding = EXCLUDED.embedding",
        )
        .bind(chunk)
        .bind(model)
        .bind(vector_literal(vector))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The stored dimension of `model` (`None` before its first vectors).
pub(crate) async fn stored_dims(pool: &PgPool, model: &str) -> Result<Option<usize>, sqlx::Error> {
    let dims: Option<i32> =
        sqlx::query_scalar("SELECT dims FROM kb_embedding_models WHERE model = $1")
            .bind(model)
            .fetch_optional(pool)
            .await?;
    Ok(dims.map(|d| d as usize))
}

fn hex_prefix(text: &str) -> String {
    Sha1::digest(text.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}
