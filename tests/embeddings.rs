//! The in-process embedder against vectors sentence-transformers computed
//! for the same model (../shared/eval/embedding-reference.json, or a copy
//! in tests/fixtures): every cosine must be at least 0.9999.

use steward_activities::embed::{DIMENSIONS, Embedder, cosine, default_model_dir};

#[test]
fn embeddings_match_sentence_transformers() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/embedding-reference.json");
    let reference: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let items = reference["items"].as_array().unwrap();
    let texts: Vec<&str> = items.iter().map(|i| i["text"].as_str().unwrap()).collect();
    let embedder = Embedder::load(&default_model_dir()).expect("model (run scripts/provision.sh)");
    // Batches of mixed lengths exercise padding: results must not depend on it.
    let mut ours = Vec::new();
    for batch in texts.chunks(8) {
        ours.extend(embedder.embed(batch).unwrap());
    }
    let mut worst = 1.0f32;
    for (item, vector) in items.iter().zip(&ours) {
        assert_eq!(vector.len(), DIMENSIONS);
        let expected: Vec<f32> = item["vector"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        let c = cosine(vector, &expected);
        worst = worst.min(c);
        assert!(c >= 0.9999, "cosine {c} for {:?}", item["text"]);
    }
    println!("{} reference texts, worst cosine {worst:.7}", items.len());
    // Normalised, and a paraphrase is closer than an unrelated sentence.
    let v = embedder
        .embed(&[
            "How do I reset my password?",
            "I forgot my password",
            "What are your delivery times?",
        ])
        .unwrap();
    assert!((v[0].iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-4);
    assert!(cosine(&v[0], &v[1]) > cosine(&v[0], &v[2]));
}
