//! The second in-process model (multilingual-e5-small) in search: import
//! stores its vectors beside MiniLM's, questions in other languages find
//! their English article through it, and passages another primary model
//! embedded are re-embedded rather than compared with the wrong vectors.

mod support;

use steward_activities::kb::{Retrievers, import_dir, search_with};
use steward_activities::triage::features::non_english;
use support::{drop_database, scratch_database};

/// The same questions customers ask in English, in five other languages,
/// with the demo article that answers each. Search tells the language by
/// function words (`triage::features::non_english`), so a question without
/// any of its language's common ones ("Quando siete disponibili per
/// parlare con qualcuno?") is searched as English: each question here has
/// them, and the test checks that premise first.
const QUESTIONS: &[(&str, &str)] = &[
    ("¿Cómo restablezco mi contraseña?", "reset-password"),
    ("Wie lange dauert der Versand?", "delivery-times"),
    (
        "Quero cancelar a minha assinatura, não preciso mais",
        "cancel-subscription",
    ),
    ("Comment changer mon adresse e-mail ?", "change-email"),
    (
        "Quando siete disponibili? Non ho trovato gli orari",
        "opening-hours",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_languages_find_their_article_through_the_second_model() {
    let (pool, name) = scratch_database("steward_kb_multi").await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-kb");
    import_dir(&pool, &dir).await.unwrap();
    let (chunks, second, primary): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM kb_chunks),
                (SELECT count(*) FROM kb_embeddings WHERE model = 'multilingual-e5-small'),
                (SELECT count(*) FROM kb_chunks WHERE embedded_with = 'all-MiniLM-L6-v2')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(chunks > 0);
    assert_eq!(
        (second, primary),
        (chunks, chunks),
        "every passage has both vectors"
    );

    let mut text_hits = 0;
    for (question, expected) in QUESTIONS {
        assert!(non_english(question), "{question} reads as English");
        let hybrid = search_with(&pool, question, 3, Retrievers::Hybrid)
            .await
            .unwrap();
        let first = hybrid.passages.first().map(|p| p.article_slug.as_str());
        assert_eq!(first, Some(*expected), "{question}");
        let text = search_with(&pool, question, 3, Retrievers::TextOnly)
            .await
            .unwrap();
        text_hits +=
            usize::from(text.passages.first().map(|p| p.article_slug.as_str()) == Some(*expected));
    }
    println!(
        "full text alone puts {text_hits} of {} first",
        QUESTIONS.len()
    );
    drop_database(pool, &name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passages_another_model_embedded_are_embedded_again() {
    let (pool, name) = scratch_database("steward_kb_multi").await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-kb");
    assert_eq!(import_dir(&pool, &dir).await.unwrap(), (5, 0));
    // As if an older release had embedded them with another model.
    sqlx::query("UPDATE kb_chunks SET embedded_with = 'some-older-model'")
        .execute(&pool)
        .await
        .unwrap();
    let stale = search_with(
        &pool,
        "How do I reset my password?",
        3,
        Retrievers::VectorOnly,
    )
    .await
    .unwrap();
    assert!(
        stale.top_similarity.is_none(),
        "another model's vectors are never compared with this model's query"
    );
    assert_eq!(
        import_dir(&pool, &dir).await.unwrap(),
        (5, 0),
        "all re-embedded"
    );
    let fresh = search_with(
        &pool,
        "How do I reset my password?",
        3,
        Retrievers::VectorOnly,
    )
    .await
    .unwrap();
    assert!(fresh.top_similarity.is_some_and(|s| s > 0.5));
    assert_eq!(
        import_dir(&pool, &dir).await.unwrap(),
        (0, 5),
        "then nothing to do"
    );
    drop_database(pool, &name).await;
}
