//! The in-process embedder against vectors sentence-transformers computed
//! for the same model (../shared/eval/embedding-reference.json, or a copy
//! in tests/fixtures): every cosine must be at least 0.9999.

use steward_activities::embed::{
    DIMENSIONS, E5_NAME, Embedder, MINILM_NAME, Role, cosine, model_dir,
};

#[test]
fn embeddings_match_sentence_transformers() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/embedding-reference.json");
    let reference: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let items = reference["items"].as_array().unwrap();
    let texts: Vec<&str> = items.iter().map(|i| i["text"].as_str().unwrap()).collect();
    let embedder =
        Embedder::load(&model_dir(MINILM_NAME)).expect("model (run scripts/provision.sh)");
    // Batches of mixed lengths exercise padding: results must not depend on it.
    let mut ours = Vec::new();
    for batch in texts.chunks(8) {
        ours.extend(embedder.embed(batch, Role::Query).unwrap());
    }
    let mut worst = 1.0f32;
    for (item, vector) in items.iter().zip(&ours) {
        assert_eq!(vector.len(), DIMENSIONS);
        let expected = reference_vector(item);
        let c = cosine(vector, &expected);
        worst = worst.min(c);
        assert!(c >= 0.9999, "cosine {c} for {:?}", item["text"]);
    }
    println!("{} reference texts, worst cosine {worst:.7}", items.len());
    // Normalised, and a paraphrase is closer than an unrelated sentence.
    let v = embedder
        .embed(
            &[
                "How do I reset my password?",
                "I forgot my password",
                "What are your delivery times?",
            ],
            Role::Query,
        )
        .unwrap();
    assert!((v[0].iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-4);
    assert!(cosine(&v[0], &v[1]) > cosine(&v[0], &v[2]));
}

/// multilingual-e5-small read from the packed 4-bit image, against vectors
/// the image's own C engine computed (tests/fixtures/e5-reference.json).
/// That engine also rounds activations to 8 bits (measured worst cosine
/// 0.9999); a misread weight or a missing prefix gives cosines far below
/// the bar.
#[test]
fn packed_e5_matches_its_reference_engine() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/e5-reference.json");
    let reference: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let embedder = Embedder::load(&model_dir(E5_NAME)).expect("model (run scripts/provision.sh)");
    assert_eq!(embedder.name(), E5_NAME);
    let mut worst = 1.0f32;
    for item in reference["items"].as_array().unwrap() {
        let role = match item["role"].as_str().unwrap() {
            "query" => Role::Query,
            _ => Role::Passage,
        };
        let ours = embedder
            .embed(&[item["text"].as_str().unwrap()], role)
            .unwrap();
        let expected = reference_vector(item);
        let c = cosine(&ours[0], &expected);
        worst = worst.min(c);
        assert!(c >= 0.999, "cosine {c} for {:?}", item["text"]);
    }
    println!("worst cosine against the reference engine {worst:.5}");
    // It reads other languages: the same question in Spanish is closer than
    // another English question.
    let v = embedder
        .embed(
            &[
                "How do I reset my password?",
                "¿Cómo restablezco mi contraseña?",
                "What are your delivery times?",
            ],
            Role::Query,
        )
        .unwrap();
    assert!(cosine(&v[0], &v[1]) > cosine(&v[0], &v[2]));
}

/// A fixture item's `vector`.
fn reference_vector(item: &serde_json::Value) -> Vec<f32> {
    item["vector"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect()
}
