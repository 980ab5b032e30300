//! `steward bench triage`: what a triage decision costs, per message, with
//! the committed model beside other artefacts (`--with FILE`, e.g. one
//! fitted with `STEWARD_FIT_SECOND=1`), measured in one run.
//!
//! Every message of a dataset is triaged once by each model in turn, the
//! order rotating from one message to the next, so that every model sees
//! the same messages under the same load of a shared machine; figures are
//! percentiles per model and each model's ratio to the first. Triage needs
//! no database: it embeds the message and its sentences in-process.

use anyhow::Context;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use steward_activities::triage::{self, model::TriageModel};

/// The models compared: the worker's (the committed one, or
/// `STEWARD_TRIAGE_MODEL`'s) first, then each `--with`.
fn models(with: &[PathBuf]) -> anyhow::Result<Vec<Arc<TriageModel>>> {
    let committed = triage::current().context("no committed triage model to measure")?;
    let mut out = vec![committed];
    for path in with {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let model: TriageModel = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a triage model", path.display()))?;
        out.push(Arc::new(model));
    }
    Ok(out)
}

/// `steward bench triage`: prints the figures as JSON.
pub async fn run(dataset: &Path, with: &[PathBuf], rounds: usize) -> anyhow::Result<()> {
    let tickets = crate::eval::read_tickets(dataset)?;
    anyhow::ensure!(!tickets.is_empty(), "no tickets in {}", dataset.display());
    let models = models(with)?;
    // Loads every model's embedders before timing (a first call reads the
    // weights).
    for model in &models {
        triage::set_current(Some(model.clone()));
        triage::classify("", "warm up the embedders").await;
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); models.len()];
    let mut fallbacks = vec![0usize; models.len()];
    for round in 0..rounds.max(1) {
        for (i, ticket) in tickets.iter().enumerate() {
            let subject = ticket.subject.clone().unwrap_or_default();
            for k in 0..models.len() {
                let m = (i + round + k) % models.len();
                triage::set_current(Some(models[m].clone()));
                let started = Instant::now();
                let decided = triage::classify(&subject, &ticket.body).await;
                let elapsed = started.elapsed().as_secs_f64() * 1000.0;
                // A model whose embedders are missing falls back to the
                // phrase rules: such a call measures nothing of the model.
                if decided.model_version.is_none() {
                    fallbacks[m] += 1;
                } else {
                    times[m].push(elapsed);
                }
            }
        }
    }
    triage::set_current(None);
    let ms: Vec<Value> = times
        .iter()
        .map(|sample| super::kb::percentiles(sample.clone()))
        .collect();
    let p50 = |k: usize| ms[k]["p50"].as_f64().unwrap_or(0.0);
    let figures: Vec<Value> = models
        .iter()
        .zip(&times)
        .zip(&fallbacks)
        .enumerate()
        .map(|(k, ((model, sample), fell_back))| {
            json!({
                "model": model.version,
                "embedders": [Some(model.embedder.as_str()), model.second_embedder.as_deref()],
                "messages": sample.len(),
                "fell_back_to_rules": fell_back,
                "ms": ms[k],
                "messages_per_s": 1000.0 * sample.len() as f64 / sample.iter().sum::<f64>(),
                "p50_ratio_to_committed": p50(k) / p50(0),
            })
        })
        .collect();
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({"dataset": dataset, "models": figures}))?
    );
    Ok(())
}
