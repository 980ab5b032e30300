//! The triage model artefact: a multinomial logistic regression over the
//! features of [`super::features`], with one decision threshold per
//! escalation reason. Serialised as a small JSON file (`steward train`).

use serde::{Deserialize, Serialize};
use steward_domain::EscalationReason;

/// The classes, "answerable" first, then the reasons in the order the
/// labelling rules rank them (the first reason over its threshold wins).
pub const CLASSES: [Option<EscalationReason>; 9] = [
    None,
    Some(EscalationReason::SecurityIncident),
    Some(EscalationReason::Legal),
    Some(EscalationReason::AccountAccessVerification),
    Some(EscalationReason::Refund),
    Some(EscalationReason::Pricing),
    Some(EscalationReason::AngryCustomer),
    Some(EscalationReason::HumanRequested),
    Some(EscalationReason::NoAnswerInKb),
];

/// Reasons a bot reply could promise money, data or access for: their
/// thresholds aim at full recall, whatever it costs in false escalations.
pub const MUST_ESCALATE: [EscalationReason; 5] = [
    EscalationReason::SecurityIncident,
    EscalationReason::Legal,
    EscalationReason::AccountAccessVerification,
    EscalationReason::Refund,
    EscalationReason::Pricing,
];

pub fn class_name(class: Option<EscalationReason>) -> &'static str {
    class.map_or("answerable", EscalationReason::as_str)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TriageModel {
    /// `triage-lr-<hash of data and settings>`: recorded with each decision.
    pub version: String,
    /// The sentence embedder the features were computed with.
    pub embedder: String,
    /// The second embedder whose vectors follow the first's in each row,
    /// if the model was fitted with one.
    #[serde(default)]
    pub second_embedder: Option<String>,
    pub classes: Vec<String>,
    pub extra_features: Vec<String>,
    /// Standardisation: features are `(x - mean) / scale` before the weights.
    pub mean: Vec<f32>,
    pub scale: Vec<f32>,
    /// One row per class.
    pub weights: Vec<Vec<f32>>,
    pub bias: Vec<f32>,
    /// Per class (index as `classes`): escalate when the message's score is
    /// at least this; values above 1 never fire.
    pub thresholds: Vec<f32>,
    /// What it was fitted on and how it did in cross-validation, for the
    /// reader of the artefact.
    #[serde(default)]
    pub provenance: serde_json::Value,
}

impl TriageModel {
    /// Class probabilities (softmax) for one feature vector.
    pub fn probabilities(&self, features: &[f32]) -> Vec<f32> {
        let x: Vec<f32> = features
            .iter()
            .zip(self.mean.iter().zip(&self.scale))
            .map(|(v, (m, s))| (v - m) / s)
            .collect();
        let logits: Vec<f32> = self
            .weights
            .iter()
            .zip(&self.bias)
            .map(|(w, b)| b + w.iter().zip(&x).map(|(a, b)| a * b).sum::<f32>())
            .collect();
        softmax(&logits)
    }

    /// A message's scores: per reason, its highest probability over the
    /// whole message and each sentence; first (in the "answerable" slot)
    /// the highest probability that some part is *not* answerable.
    pub fn message_scores(&self, rows: &[Vec<f32>]) -> Vec<f32> {
        let mut best = vec![0.0f32; self.classes.len()];
        for row in rows {
            let p = self.probabilities(row);
            best[0] = best[0].max(1.0 - p[0]);
            for (b, p) in best.iter_mut().zip(p).skip(1) {
                *b = b.max(p);
            }
        }
        best
    }

    /// See [`decide`].
    pub fn decide(&self, scores: &[f32]) -> Option<EscalationReason> {
        decide(scores, &self.thresholds)
    }
}

/// The first reason, in priority order, whose score reaches its own
/// threshold; else, when the not-answerable score reaches its threshold
/// (slot 0), the most likely reason; else `None`: answerable.
pub fn decide(scores: &[f32], thresholds: &[f32]) -> Option<EscalationReason> {
    if let Some((_, reason)) = CLASSES
        .iter()
        .enumerate()
        .skip(1)
        .find(|(i, _)| scores[*i] >= thresholds[*i])
    {
        return *reason;
    }
    if scores[0] >= thresholds[0] {
        let best = (1..CLASSES.len()).max_by(|a, b| scores[*a].total_cmp(&scores[*b]))?;
        return CLASSES[best];
    }
    None
}

/// The model's decision, overridden by a phrase family that fired when the
/// model found nothing as serious: a must-escalate family over any lesser
/// reason, and any family (tone, asking for a person) over "answerable".
/// The phrases are precise ("charged twice", "erase everything you hold
/// about me", "call me": every hit on `train/` and the development set is
/// a ticket of that reason or a graver one), and a missed refund, or a bot
/// reply to someone who asked for a person, costs more than a needless
/// hand-over.
pub fn with_rules(
    model: Option<EscalationReason>,
    rules: Option<EscalationReason>,
) -> Option<EscalationReason> {
    let rank = |r: &EscalationReason| MUST_ESCALATE.iter().position(|m| m == r);
    match (model, rules) {
        (Some(m), Some(r)) => match (rank(&m), rank(&r)) {
            // Both must escalate: the graver one (security before legal …).
            (Some(a), Some(b)) => Some(if b < a { r } else { m }),
            (None, Some(_)) => Some(r),
            _ => Some(m),
        },
        (decided, None) => decided,
        (None, r) => r,
    }
}

pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::MIN, f32::max);
    let exp: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.iter().map(|e| e / sum).collect()
}
