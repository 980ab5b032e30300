//! Learned triage: should the bot answer this message, and if not, why.
//!
//! A linear model over the in-process embedder's sentence vectors (MiniLM's
//! of each text, and beside each the multilingual second model's vector of
//! the whole message when the artefact names it) plus simple features
//! (which phrase rules fired, subject line, length, language) scores the
//! whole message and each of its sentences; a reason fires when its best score reaches the threshold cross-validation chose
//! for it ([`fit`]). The phrase rules ([`steward_domain::guardrails`]) are
//! evidence the model weighs, and its fallback when the embedding model is
//! missing.
//!
//! The artefact is `activities/models/triage.json`, written by
//! `steward train --dataset ../shared/eval/train --out activities/models/triage.json`
//! and committed (it is small and deterministic), compiled into the worker.
//! `STEWARD_TRIAGE_MODEL=path` loads another one instead. Each decision
//! records the model's version, so a ticket's history names its judge.

pub mod features;
pub mod fit;
pub mod model;
#[cfg(test)]
mod tests;
mod thresholds;

use model::{CLASSES, TriageModel, class_name};
use std::sync::{Arc, OnceLock, RwLock};
use steward_domain::guardrails::{self, Triage};

/// The committed artefact (`null` until one was trained: rules only).
const COMMITTED: &str = include_str!("../../models/triage.json");

fn default_model() -> Option<Arc<TriageModel>> {
    static DEFAULT: OnceLock<Option<Arc<TriageModel>>> = OnceLock::new();
    DEFAULT
        .get_or_init(|| {
            let text = match std::env::var_os("STEWARD_TRIAGE_MODEL") {
                Some(path) => match std::fs::read_to_string(&path) {
                    Ok(text) => text,
                    Err(err) => {
                        tracing::warn!(%err, "STEWARD_TRIAGE_MODEL unreadable; using the committed model");
                        COMMITTED.to_owned()
                    }
                },
                None => COMMITTED.to_owned(),
            };
            match serde_json::from_str::<Option<TriageModel>>(&text) {
                Ok(model) => model.map(Arc::new),
                Err(err) => {
                    tracing::warn!(%err, "triage model unreadable: phrase rules only");
                    None
                }
            }
        })
        .clone()
}

static OVERRIDE: RwLock<Option<Arc<TriageModel>>> = RwLock::new(None);

/// The model triage uses now.
pub fn current() -> Option<Arc<TriageModel>> {
    OVERRIDE
        .read()
        .ok()
        .and_then(|m| m.clone())
        .or_else(default_model)
}

/// Replaces the model for this process (`steward eval --cv` scores each
/// fold with a model fitted without it); `None` goes back to the default.
pub fn set_current(model: Option<Arc<TriageModel>>) {
    if let Ok(mut slot) = OVERRIDE.write() {
        *slot = model;
    }
}

/// The texts a message is scored as: the whole (subject and body), then
/// the subject and each body sentence on their own.
pub fn texts(subject: &str, body: &str) -> Vec<(String, bool)> {
    let whole = format!("{subject}\n{body}").trim().to_owned();
    let mut out = vec![(whole, false)];
    let parts = std::iter::once(subject.to_owned()).chain(features::sentences(body));
    out.extend(
        parts
            .filter(|s| s.split_whitespace().count() >= 3)
            .take(MAX_SENTENCES)
            .map(|s| (s, true)),
    );
    out
}

/// Sentences scored on their own, at most: each costs an embedding, and a
/// request worth escalating sits in a message's opening paragraphs far more
/// often than after its twentieth sentence (the whole is scored as well).
const MAX_SENTENCES: usize = 10;

/// What the feature rows are, for the artefact's version: a change here
/// must give a new version even on the same data.
pub const FEATURES: &str =
    "whole+subject+10-sentences, [second embedder on the whole], 12 extras, v3";

/// Feature rows of a message (whole first, then sentences), with the
/// second model's vector of the whole message beside each row's first
/// when `second`; `None` without a model they need.
pub async fn rows(subject: &str, body: &str, second: bool) -> Option<Vec<Vec<f32>>> {
    use crate::embed::{Role, Slot};
    let texts = texts(subject, body);
    let all: Vec<String> = texts.iter().map(|(t, _)| t.clone()).collect();
    let whole = second.then(|| {
        read_by_second(&texts)
            .iter()
            .map(|(t, _)| t.clone())
            .collect()
    });
    let mut embeddings = crate::kb::embed_by(Slot::Primary, all, Role::Query).await?;
    if let Some(whole) = whole {
        let whole = crate::kb::embed_by(Slot::Second, whole, Role::Query).await?;
        embeddings = beside_whole(embeddings, whole.first()?);
    }
    Some(assemble(&texts, &embeddings, !subject.trim().is_empty()))
}

/// The texts of [`texts`] the second model embeds: the whole message
/// (training and the worker both ask here, so their rows agree).
pub fn read_by_second(texts: &[(String, bool)]) -> &[(String, bool)] {
    &texts[..texts.len().min(1)]
}

/// Each text's first vector followed by the second model's vector of the
/// whole message. The second model reads the whole message only: every
/// sentence as well cost 3.1 times MiniLM-only triage per message against
/// 1.7 times (`steward bench triage`), and on probe set d it caught
/// fewer must-escalate requests (12 of 13 against 13), since a sentence row
/// then also carries what the whole message is about.
pub fn beside_whole(first: Vec<Vec<f32>>, whole: &[f32]) -> Vec<Vec<f32>> {
    first
        .into_iter()
        .map(|mut row| {
            row.extend_from_slice(whole);
            row
        })
        .collect()
}

/// Feature rows from [`texts`] and their embeddings.
pub fn assemble(
    texts: &[(String, bool)],
    embeddings: &[Vec<f32>],
    has_subject: bool,
) -> Vec<Vec<f32>> {
    texts
        .iter()
        .zip(embeddings)
        .map(|((text, sentence), e)| features::vector(e, text, has_subject, *sentence))
        .collect()
}

/// Whether this process embeds with the models `model` was fitted on
/// (blocking: the first call loads them).
fn same_embedders(model: &TriageModel) -> bool {
    use crate::embed::{Slot, get};
    let name = |slot| get(slot).map(|e| e.name());
    name(Slot::Primary) == Some(model.embedder.as_str())
        && model
            .second_embedder
            .as_deref()
            .is_none_or(|second| name(Slot::Second) == Some(second))
}

/// Logged once: a triage model fitted on embedders this process does not
/// run (another model, or the second one missing or turned off).
fn warn_embedder_mismatch(model: &TriageModel) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use crate::embed::{Slot, get};
        let name = |slot| get(slot).map_or("none", |e| e.name());
        tracing::warn!(
            fitted_on = %model.embedder,
            fitted_on_second = model.second_embedder.as_deref().unwrap_or("none"),
            running = name(Slot::Primary),
            running_second = name(Slot::Second),
            "triage model fitted on other embedders: phrase rules only (run steward train)"
        );
    });
}

/// Triage of one message: the model's decision when a model and the
/// embedder are there (a phrase family that fired overrides "answerable",
/// and a must-escalate one a lesser reason: see [`model::with_rules`]), the
/// phrase rules' otherwise.
pub async fn classify(subject: &str, body: &str) -> Triage {
    // The phrase rules run once: their hits are the fallback's decision,
    // the override in `with_rules` and the evidence beside the model's.
    let (hits, prompt_injection) = guardrails::rule_hits(subject, body);
    let Some(model) = current() else {
        return guardrails::triage_from_hits(hits, prompt_injection);
    };
    // Weights fitted on another model's vectors would read noise; checked
    // before embedding, off the runtime (the check may load a model).
    let fitted = model.clone();
    let same = tokio::task::spawn_blocking(move || same_embedders(&fitted)).await;
    if !same.unwrap_or(false) {
        warn_embedder_mismatch(&model);
        return guardrails::triage_from_hits(hits, prompt_injection);
    }
    let Some(rows) = rows(subject, body, model.second_embedder.is_some()).await else {
        return guardrails::triage_from_hits(hits, prompt_injection);
    };
    // An artefact whose rows are not the width of these (features changed
    // without `steward train`) would score a shifted vector.
    if rows.first().map(Vec::len) != Some(model.mean.len()) {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            tracing::warn!(
                fitted = model.mean.len(),
                built = rows.first().map_or(0, Vec::len),
                "triage model fitted on other features: phrase rules only (run steward train)"
            );
        });
        return guardrails::triage_from_hits(hits, prompt_injection);
    }
    let scores = model.message_scores(&rows);
    let reason = model::with_rules(model.decide(&scores), guardrails::first_fired(&hits));
    let k = CLASSES.iter().position(|c| *c == reason).unwrap_or(0);
    let mut evidence: Vec<String> = hits.into_iter().flatten().collect();
    evidence.push(format!("model {} {:.2}", class_name(reason), scores[k]));
    Triage {
        escalate: reason,
        confidence: scores[k],
        evidence,
        prompt_injection,
        model_version: Some(model.version.clone()),
    }
}
