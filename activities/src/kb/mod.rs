//! The knowledge base in Postgres: import of Markdown articles (passages
//! embedded in-process when the model is available), and hybrid search
//! (`search`). After import, passages are also embedded by a configured
//! remote model ([`remote`]), which search then uses, or else by the second
//! in-process model (multilingual, for non-English questions); those
//! vectors live in `kb_embeddings` (`vectors`).

pub mod answerable;
pub mod remote;
mod search;
mod vectors;
pub use search::{Retrievers, search, search_with};

use sha1::{Digest, Sha1};
use sqlx::PgPool;
use std::path::Path;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum KbError {
    #[error("reading {0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0}: the first line must be `# Title`")]
    NoTitle(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("embedding model: {0}")]
    Embeddings(String),
}

pub struct Article {
    pub slug: String,
    pub title: String,
    pub category: String,
    pub body: String,
}

/// `# Title`, an optional `category:` line, then the body.
pub fn parse_article(slug: &str, text: &str) -> Result<Article, KbError> {
    let mut lines = text.lines();
    let title = lines
        .next()
        .and_then(|l| l.strip_prefix("# "))
        .ok_or_else(|| KbError::NoTitle(slug.to_owned()))?
        .trim()
        .to_owned();
    let rest: Vec<&str> = lines.collect();
    let (category, body_lines) = match rest.iter().position(|l| !l.trim().is_empty()) {
        Some(i) if rest[i].starts_with("category:") => (
            rest[i]["category:".len()..].trim().to_owned(),
            &rest[i + 1..],
        ),
        _ => (String::new(), &rest[..]),
    };
    Ok(Article {
        slug: slug.to_owned(),
        title,
        category,
        body: body_lines.join("\n").trim().to_owned(),
    })
}

/// Passages: paragraphs, with short ones merged into the next so that a
/// list's lead-in stays with its items.
pub fn passages(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for paragraph in body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        if !current.is_empty() {
            current.push_str("\n\n");
        }
        current.push_str(paragraph);
        if current.len() >= 200 {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn hash(text: &str) -> String {
    Sha1::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Imports every `*.md` file in `dir`; unchanged articles are skipped, a
/// changed one has its passages replaced in one transaction. Returns
/// (articles imported or updated, articles unchanged).
pub async fn import_dir(pool: &PgPool, dir: &Path) -> Result<(usize, usize), KbError> {
    import_dir_with_progress(pool, dir, |_, _| {}).await
}

/// [`import_dir`], calling `progress(done, total)` after each article (the
/// CLI draws its progress bar with it).
pub async fn import_dir_with_progress(
    pool: &PgPool,
    dir: &Path,
    mut progress: impl FnMut(usize, usize),
) -> Result<(usize, usize), KbError> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| KbError::Io(dir.display().to_string(), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    paths.sort();
    let (mut changed, mut unchanged) = (0, 0);
    let total = paths.len();
    for (done, path) in paths.into_iter().enumerate() {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| KbError::Io(path.display().to_string(), e))?;
        let slug = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if upsert_article(pool, &parse_article(&slug, &text)?).await? {
            changed += 1;
        } else {
            unchanged += 1;
        }
        progress(done + 1, total);
    }
    if let Some(remote) = remote::configured() {
        let embedded = remote.sync(pool).await?;
        tracing::info!(model = %remote.model(), embedded, "passages embedded by the configured model");
    } else if let Some(embedded) = sync_second(pool).await? {
        tracing::info!(embedded, "passages embedded by the second model");
    }
    Ok((changed, unchanged))
}

/// Embeddings of `texts` on a blocking thread; `None` without a model.
pub async fn embed_all(texts: Vec<String>, role: crate::embed::Role) -> Option<Vec<Vec<f32>>> {
    embed_by(crate::embed::Slot::Primary, texts, role).await
}

/// Embeddings of `texts` by the model in `slot`; `None` without it.
pub async fn embed_by(
    slot: crate::embed::Slot,
    texts: Vec<String>,
    role: crate::embed::Role,
) -> Option<Vec<Vec<f32>>> {
    // One embedding job at a time: candle already spreads one job over the
    // cores, and a burst of tickets embedding at once (triage scores every
    // sentence) only makes each of them slower than its activity timeout.
    static ONE_AT_A_TIME: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
    let _permit = ONE_AT_A_TIME.acquire().await.ok()?;
    tokio::task::spawn_blocking(move || {
        // Loading the model (first call only) blocks too, so it is here.
        let embedder = crate::embed::get(slot)?;
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let mut out = Vec::with_capacity(refs.len());
        // Small batches are fastest on CPU.
        for batch in refs.chunks(8) {
            out.extend(embedder.embed(batch, role).ok()?);
        }
        Some(out)
    })
    .await
    .ok()
    .flatten()
}

/// Embeds, with the second in-process model, every passage that has no
/// vector of it yet; `None` without that model.
async fn sync_second(pool: &PgPool) -> Result<Option<usize>, KbError> {
    use crate::embed::{Role, Slot};
    let Some(name) =
        tokio::task::spawn_blocking(|| crate::embed::get(Slot::Second).map(|e| e.name()))
            .await
            .ok()
            .flatten()
    else {
        return Ok(None);
    };
    let missing = vectors::missing(pool, name).await?;
    if !missing.is_empty() {
        // Its dimension is known here (unlike a remote model's): once.
        vectors::register(pool, name, crate::embed::DIMENSIONS).await?;
    }
    for batch in missing.chunks(64) {
        let texts = batch.iter().map(|(_, text)| text.clone()).collect();
        let embedded = embed_by(Slot::Second, texts, Role::Passage)
            .await
            .ok_or_else(|| KbError::Embeddings(format!("{name} failed to embed passages")))?;
        let ids = batch.iter().map(|(id, _)| *id);
        vectors::store(pool, name, ids.zip(embedded).collect()).await?;
    }
    Ok(Some(missing.len()))
}

/// pgvector's text form: `[0.1,0.2,…]`.
pub fn vector_literal(v: &[f32]) -> String {
    let parts: Vec<String> = v.iter().map(|x| x.to_string()).collect();
    format!("[{}]", parts.join(","))
}

async fn upsert_article(pool: &PgPool, article: &Article) -> Result<bool, KbError> {
    let content_hash = hash(&format!(
        "{}\n{}\n{}",
        article.title, article.category, article.body
    ));
    let mut tx = pool.begin().await?;
    let existing: Option<(Uuid, String)> =
        sqlx::query_as("SELECT id, content_hash FROM kb_articles WHERE slug = $1 FOR UPDATE")
            .bind(&article.slug)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some((id, hash)) = &existing
        && *hash == content_hash
    {
        // Loading the model (first call only) blocks: not on a runtime thread.
        let model = tokio::task::spawn_blocking(crate::embed::shared_name)
            .await
            .ok()
            .flatten();
        // Unchanged, unless it was imported before the model was available
        // or another model embedded it.
        let stale: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM kb_chunks WHERE article_id = $1
                              AND (embedding IS NULL OR embedded_with IS DISTINCT FROM $2))",
        )
        .bind(id)
        .bind(model)
        .fetch_one(&mut *tx)
        .await?;
        if !stale || model.is_none() {
            return Ok(false);
        }
    }
    let id = existing.map(|(id, _)| id).unwrap_or_else(Uuid::new_v4);
    let chunks = passages(&article.body);
    // Embedded with the title, as a reader sees the passage.
    let embeddings = embed_all(
        chunks
            .iter()
            .map(|c| format!("{}\n{c}", article.title))
            .collect(),
        crate::embed::Role::Passage,
    )
    .await;
    sqlx::query(
        "INSERT INTO kb_articles (id, slug, title, category, content_hash, body) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (slug) DO UPDATE SET title = $3, category = $4, content_hash = $5, body = $6, updated_at = now()",
    )
    .bind(id)
    .bind(&article.slug)
    .bind(&article.title)
    .bind(&article.category)
    .bind(&content_hash)
    .bind(&article.body)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM kb_chunks WHERE article_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let embedded_with = embeddings.as_ref().and(crate::embed::shared_name());
    for (ordinal, content) in chunks.iter().enumerate() {
        let embedding = embeddings
            .as_ref()
            .and_then(|e| e.get(ordinal))
            .map(|v| vector_literal(v));
        sqlx::query(
            "INSERT INTO kb_chunks (id, article_id, ordinal, heading, content, content_hash, embedding, embedded_with)
             VALUES ($1, $2, $3, $4, $5, $6, $7::vector, $8)",
        )
        .bind(Uuid::new_v4())
        .bind(id)
        .bind(ordinal as i32)
        .bind(&article.title)
        .bind(content)
        .bind(hash(content))
        .bind(embedding)
        .bind(embedded_with)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_parse_title_category_and_body() {
        let a = parse_article(
            "kb-1",
            "# Reset your password\ncategory: account\n\nOpen Settings.\n\nThen Security.",
        )
        .unwrap();
        assert_eq!(
            (a.title.as_str(), a.category.as_str()),
            ("Reset your password", "account")
        );
        assert_eq!(a.body, "Open Settings.\n\nThen Security.");
        assert!(parse_article("x", "no title").is_err());
    }

    #[test]
    fn short_paragraphs_merge_into_passages() {
        let body = format!("Intro:\n\n{}\n\nTail.", "x".repeat(250));
        let p = passages(&body);
        assert_eq!(p.len(), 2);
        assert!(p[0].starts_with("Intro:"));
    }
}
