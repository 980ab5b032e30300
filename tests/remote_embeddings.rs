//! Embeddings from an OpenAI-compatible endpoint (a local stand-in that
//! checks the key and the request like OpenAI does): passages embedded
//! after import, the model's dimension stored with its name, an HNSW index
//! for that model, re-import of unchanged articles embedding nothing, and
//! search through that model's vectors. Its own test binary: the embedding
//! provider is process-wide.

mod support;

use steward_activities::config::{EmbeddingProvider, EmbeddingSettings};
use steward_activities::kb::{Retrievers, import_dir, remote, search_with};
use support::standins::{EmbeddingsModel, OPENAI_KEY};
use support::{drop_database, scratch_database};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passages_are_embedded_and_searched_with_the_configured_model() {
    let standin = EmbeddingsModel::default();
    let url = standin.clone().start().await;
    remote::configure(&EmbeddingSettings {
        provider: EmbeddingProvider::Openai,
        base_url: url,
        api_key: OPENAI_KEY.into(),
        model: "text-embedding-3-small".into(),
        dimensions: Some(256),
    });
    let (pool, name) = scratch_database("steward_kb").await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-kb");
    import_dir(&pool, &dir).await.unwrap();

    let chunks: i64 = sqlx::query_scalar("SELECT count(*) FROM kb_chunks")
        .fetch_one(&pool)
        .await
        .unwrap();
    let vectors: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM kb_embeddings WHERE model = 'text-embedding-3-small'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(vectors, chunks, "every passage has a vector for the model");
    let dims: i32 = sqlx::query_scalar(
        "SELECT dims FROM kb_embedding_models WHERE model = 'text-embedding-3-small'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(dims, 256);
    let index: String = sqlx::query_scalar(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'kb_embeddings' AND indexdef LIKE '%hnsw%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        index.contains("vector(256)") && index.contains("text-embedding-3-small"),
        "{index}"
    );

    let before = standin.embedded();
    assert_eq!(before as i64, chunks);
    import_dir(&pool, &dir).await.unwrap();
    assert_eq!(
        standin.embedded(),
        before,
        "unchanged articles are not embedded again"
    );

    let results = search_with(
        &pool,
        "forgot password reset link",
        3,
        Retrievers::VectorOnly,
    )
    .await
    .unwrap();
    assert_eq!(
        results.passages[0].article_slug, "reset-password",
        "{:?}",
        results.passages
    );
    assert_eq!(
        standin.embedded(),
        before + 1,
        "the query was embedded by the same model"
    );

    drop_database(pool, &name).await;
}
