//! `steward train`: fits the triage model on a dataset folder's labelled
//! tickets (`tickets.jsonl`, normally `../shared/eval/train`) and writes
//! the artefact the worker loads (`activities/models/triage.json`).
//!
//! Deterministic: fixed folds (seeded), fixed iterations, zero-initialised
//! weights; the version is a hash of the training file (and of each
//! `--also` folder's, each marked as such), the settings, the
//! features, the phrase rules the model weighs and both embedders' names,
//! so the same inputs give the same version and changed rules or another
//! embedder a new one.

use anyhow::Context;
use serde::Deserialize;
use serde_json::{Value, json};
use sha1::{Digest, Sha1};
use std::path::{Path, PathBuf};
use steward_activities::triage::fit::{self, FitSettings, Sample};
use steward_activities::triage::model::{CLASSES, TriageModel, class_name};

/// One labelled ticket, as `steward train` and `steward eval --cv` read it.
#[derive(Debug, Clone, Deserialize)]
pub struct Labelled {
    pub id: String,
    pub subject: Option<String>,
    pub body: String,
    pub expected: Expected,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Expected {
    pub escalation_reason: Option<String>,
}

impl Labelled {
    /// Index into [`CLASSES`] of the labelled outcome.
    pub fn class(&self) -> usize {
        let reason = self
            .expected
            .escalation_reason
            .as_deref()
            .and_then(steward_domain::EscalationReason::parse);
        CLASSES.iter().position(|c| *c == reason).unwrap_or(0)
    }
}

pub fn read_tickets(dataset: &Path) -> anyhow::Result<(Vec<Labelled>, Vec<u8>)> {
    let raw = std::fs::read(dataset.join("tickets.jsonl")).context("reading tickets.jsonl")?;
    let tickets = String::from_utf8_lossy(&raw)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    Ok((tickets, raw))
}

/// Feature rows of every ticket (needs the embedding model, and the second
/// one when `second`). With `STEWARD_EMBED_CACHE=file`, embeddings are kept
/// there by model and text, so repeated fits on the same data skip the
/// embedders.
pub async fn samples(tickets: &[Labelled], second: bool) -> anyhow::Result<Vec<Sample>> {
    use std::collections::HashMap;
    use steward_activities::embed::{Role, Slot};
    let cache_path = std::env::var_os("STEWARD_EMBED_CACHE").map(std::path::PathBuf::from);
    let mut cache: HashMap<String, Vec<f32>> = cache_path
        .as_ref()
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    // Both models are loaded (or found missing) here, off the runtime:
    // rows fitted without a model the artefact then names would be noise.
    let names = tokio::task::spawn_blocking(|| {
        let name = |slot| steward_activities::embed::get(slot).map(|e| e.name());
        (name(Slot::Primary), name(Slot::Second))
    })
    .await?;
    let primary = names
        .0
        .context("the embedding model is needed to train (scripts/provision.sh)")?;
    let second_name = match (second, names.1) {
        (true, None) => anyhow::bail!(
            "the second embedding model is needed to train with it (scripts/provision.sh, or STEWARD_FIT_SECOND=0)"
        ),
        (_, name) => name.unwrap_or_default(),
    };
    // MiniLM's entries are keyed by the bare text (older caches stay
    // valid), any other model's by its name and the text.
    let key = |slot: Slot, text: &str| match (slot, primary) {
        (Slot::Primary, name) if name == steward_activities::embed::MINILM_NAME => text.to_owned(),
        (Slot::Primary, name) => format!("\u{1}{name}\u{1}{text}"),
        (Slot::Second, _) => format!("\u{1}{second_name}\u{1}{text}"),
    };
    let slots: &[Slot] = if second {
        &[Slot::Primary, Slot::Second]
    } else {
        &[Slot::Primary]
    };
    let mut out = Vec::with_capacity(tickets.len());
    for t in tickets {
        let subject = t.subject.as_deref().unwrap_or("");
        let texts = steward_activities::triage::texts(subject, &t.body);
        let mut embeddings: Option<Vec<Vec<f32>>> = None;
        for slot in slots {
            let read = match slot {
                Slot::Primary => &texts[..],
                Slot::Second => steward_activities::triage::read_by_second(&texts),
            };
            let missing: Vec<String> = read
                .iter()
                .map(|(text, _)| text.clone())
                .filter(|text| !cache.contains_key(&key(*slot, text)))
                .collect();
            if !missing.is_empty() {
                let vectors = steward_activities::kb::embed_by(*slot, missing.clone(), Role::Query)
                    .await
                    .with_context(|| {
                        format!(
                            "the {slot:?} embedding model is needed to train (scripts/provision.sh)"
                        )
                    })?;
                cache.extend(missing.iter().map(|text| key(*slot, text)).zip(vectors));
            }
            let these: Vec<Vec<f32>> = read
                .iter()
                .map(|(text, _)| cache[&key(*slot, text)].clone())
                .collect();
            embeddings = Some(match embeddings {
                None => these,
                Some(first) => steward_activities::triage::beside_whole(first, &these[0]),
            });
        }
        out.push(Sample {
            rows: steward_activities::triage::assemble(
                &texts,
                &embeddings.unwrap_or_default(),
                !subject.trim().is_empty(),
            ),
            class: t.class(),
        });
    }
    if let Some(path) = cache_path {
        std::fs::write(path, serde_json::to_vec(&cache)?)?;
    }
    Ok(out)
}

/// `--also`: further labelled folders whose tickets join the weights'
/// data, read once, and checked before anything is embedded or started.
#[derive(Debug, Default)]
pub struct Also {
    /// The folders as the report and the artefact name them.
    pub names: Vec<String>,
    tickets: Vec<Labelled>,
    /// Each folder's file behind a marker and its length (for the version:
    /// moving tickets between the dataset and `--also` changes it).
    fingerprint: Vec<u8>,
}

impl Also {
    /// Reads `folders`; refuses one sharing a ticket (by id or body) with
    /// `dataset`, which would put scored tickets into the training data.
    pub fn load(dataset: &Path, folders: &[PathBuf]) -> anyhow::Result<Self> {
        let mut also = Self::default();
        if folders.is_empty() {
            return Ok(also);
        }
        let (scored, _) = read_tickets(dataset)?;
        for folder in folders {
            let (tickets, raw) =
                read_tickets(folder).with_context(|| format!("--also {}", folder.display()))?;
            if let Some(t) = tickets
                .iter()
                .find(|e| scored.iter().any(|t| t.id == e.id || t.body == e.body))
            {
                anyhow::bail!(
                    "--also {}: ticket {} is also in {}; its tickets must be new to the dataset",
                    folder.display(),
                    t.id,
                    dataset.display()
                );
            }
            also.names.push(folder.display().to_string());
            also.tickets.extend(tickets);
            also.fingerprint
                .extend(format!("\u{1}also {}\u{1}", raw.len()).as_bytes());
            also.fingerprint.extend(raw);
        }
        Ok(also)
    }

    /// Feature rows of the folders' tickets.
    pub async fn samples(&self, second: bool) -> anyhow::Result<Vec<Sample>> {
        samples(&self.tickets, second).await
    }
}

/// Per-class recall and precision of cross-validated decisions, and the
/// false-escalation rate (answerable messages sent to a human).
pub fn cv_summary(decided: &[usize], truth: &[usize]) -> Value {
    let mut per_class = serde_json::Map::new();
    for (k, class) in CLASSES.iter().enumerate().skip(1) {
        let n = truth.iter().filter(|t| **t == k).count();
        let predicted = decided.iter().filter(|d| **d == k).count();
        let hit = truth
            .iter()
            .zip(decided)
            .filter(|(t, d)| **t == k && **d == k)
            .count();
        let escalated = truth
            .iter()
            .zip(decided)
            .filter(|(t, d)| **t == k && **d != 0)
            .count();
        per_class.insert(
            class_name(*class).to_owned(),
            json!({"n": n, "right_reason": hit, "escalated_at_all": escalated, "predicted": predicted}),
        );
    }
    let answerable = truth.iter().filter(|t| **t == 0).count();
    let false_esc = truth
        .iter()
        .zip(decided)
        .filter(|(t, d)| **t == 0 && **d != 0)
        .count();
    json!({
        "per_reason": per_class,
        "false_escalation_rate": false_esc as f64 / answerable.max(1) as f64,
        "false_escalations": false_esc,
        "answerable": answerable,
    })
}

/// `a`'s decision where it escalates, else `b`'s.
fn first_of(a: &[usize], b: &[usize]) -> Vec<usize> {
    a.iter()
        .zip(b)
        .map(|(a, b)| if *a != 0 { *a } else { *b })
        .collect()
}

/// The phrase rules' decisions, as class indexes (the baseline).
fn rules_decisions(tickets: &[Labelled]) -> Vec<usize> {
    tickets
        .iter()
        .map(|t| {
            let r = steward_domain::guardrails::triage(t.subject.as_deref().unwrap_or(""), &t.body)
                .escalate;
            CLASSES.iter().position(|c| *c == r).unwrap_or(0)
        })
        .collect()
}

/// Triage alone (no pipeline) of the fitted model and of the phrase rules
/// on another labelled set, for choosing between methods quickly.
async fn triage_report(model: &TriageModel, dataset: &Path) -> anyhow::Result<Value> {
    let (tickets, _) = read_tickets(dataset)?;
    let samples = samples(&tickets, model.second_embedder.is_some()).await?;
    let truth: Vec<usize> = samples.iter().map(|s| s.class).collect();
    let decided: Vec<usize> = samples
        .iter()
        .map(|s| {
            let r = model.decide(&model.message_scores(&s.rows));
            CLASSES.iter().position(|c| *c == r).unwrap_or(0)
        })
        .collect();
    let rules = rules_decisions(&tickets);
    Ok(json!({
        "dataset": dataset.display().to_string(),
        "model": cv_summary(&decided, &truth),
        "rules_then_model": cv_summary(&first_of(&rules, &decided), &truth),
        "phrase_rules": cv_summary(&rules_decisions(&tickets), &truth),
    }))
}

/// `STEWARD_FIT_L2`, `_ITERATIONS`, `_BUDGET`, `_REASON_BUDGET`, `_SECOND`
/// (`1`: the second embedder's vector of the whole message beside
/// MiniLM's): settings to try other fits
/// with (recorded in the artefact's settings and version).
pub fn tuned(mut s: FitSettings) -> FitSettings {
    let var = |name: &str| std::env::var(format!("STEWARD_FIT_{name}")).ok();
    if let Some(v) = var("L2").and_then(|v| v.parse().ok()) {
        s.l2 = v;
    }
    if let Some(v) = var("ITERATIONS").and_then(|v| v.parse().ok()) {
        s.iterations = v;
    }
    if let Some(v) = var("BUDGET").and_then(|v| v.parse().ok()) {
        s.false_escalation_budget = v;
    }
    if let Some(v) = var("REASON_BUDGET").and_then(|v| v.parse().ok()) {
        s.reason_budget = v;
    }
    match var("SECOND").as_deref() {
        Some("1") => s.second_embedder = true,
        Some("0") => s.second_embedder = false,
        Some(other) => eprintln!("STEWARD_FIT_SECOND={other} ignored: 0 or 1"),
        None => {}
    }
    s
}

pub async fn run(
    dataset: &Path,
    out: &Path,
    report_on: Option<&Path>,
    also: &[PathBuf],
) -> anyhow::Result<()> {
    let also = Also::load(dataset, also)?;
    let (tickets, raw) = read_tickets(dataset)?;
    let settings = tuned(FitSettings::default());
    eprintln!("embedding {} tickets and their sentences…", tickets.len());
    let samples = samples(&tickets, settings.second_embedder).await?;
    let extra = also.samples(settings.second_embedder).await?;
    let (mut model, scores) = fit::train_with(&samples, &extra, &settings)?;
    let truth: Vec<usize> = samples.iter().map(|s| s.class).collect();
    let decided = fit::decisions(&scores, &model.thresholds);
    let mut hash = Sha1::new();
    hash.update(&raw);
    hash.update(&also.fingerprint);
    hash.update(format!("{settings:?}").as_bytes());
    hash.update(steward_activities::triage::FEATURES.as_bytes());
    hash.update(steward_domain::guardrails::phrases_fingerprint().as_bytes());
    hash.update(model.embedder.as_bytes());
    hash.update(model.second_embedder.as_deref().unwrap_or("").as_bytes());
    let digest: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    model.version = format!("triage-lr-{}", &digest[..10]);
    model.provenance = json!({
        "dataset": dataset.display().to_string(),
        "tickets": tickets.len(),
        "also": also.names,
        "also_tickets": extra.len(),
        "settings": format!("{settings:?}"),
        "cross_validated": cv_summary(&decided, &truth),
        "phrase_rules_on_the_same_data": cv_summary(&rules_decisions(&tickets), &truth),
        "rules_then_model": cv_summary(&first_of(&rules_decisions(&tickets), &decided), &truth),
    });
    std::fs::write(out, serde_json::to_string(&model)? + "\n")
        .with_context(|| format!("writing {}", out.display()))?;
    let elsewhere = match report_on {
        Some(other) => triage_report(&model, other).await?,
        None => Value::Null,
    };
    let summary = json!({
        "version": model.version,
        "thresholds": model.thresholds,
        "cross_validated": model.provenance["cross_validated"],
        "phrase_rules": model.provenance["phrase_rules_on_the_same_data"],
        "rules_then_model": model.provenance["rules_then_model"],
        "triage_only_elsewhere": elsewhere,
    });
    println!("{}", serde_json::to_string_pretty(&summary)?);
    eprintln!("model written to {}", out.display());
    Ok(())
}
