//! Decision thresholds from cross-validated scores: full recall on the
//! must-escalate reasons where a false-escalation budget allows it, the
//! best F1 elsewhere, and a not-answerable gate lowered as far as the
//! budget allows.

use super::fit::FitSettings;
use super::model::{CLASSES, MUST_ESCALATE, decide};

/// A threshold no probability reaches (JSON has no infinity).
pub const NEVER: f32 = 2.0;

/// The lowest threshold on `scores` that at most `budget` of them reach.
fn budget_threshold(mut scores: Vec<f32>, budget: usize) -> f32 {
    scores.sort_by(|a, b| b.total_cmp(a));
    match scores.get(budget) {
        Some(s) => s + 1e-6,
        None => 0.0,
    }
}

/// Thresholds from cross-validated scores.
/// - A must-escalate reason fires at `margin` × its lowest true case's
///   score (full recall on the data), unless that would send more than
///   `settings.reason_budget` of the answerable messages to a human: then at
///   the budget's threshold (recall as high as the budget allows).
/// - Angry, human and no-answer fire at their best F1 (never when poor).
/// - The not-answerable gate (slot 0) is then lowered as far as the total
///   false-escalation rate stays within `settings.false_escalation_budget`.
pub fn thresholds(scores: &[Vec<f32>], classes: &[usize], settings: &FitSettings) -> Vec<f32> {
    let mut out = vec![NEVER; CLASSES.len()];
    let answerable: Vec<usize> = (0..scores.len()).filter(|i| classes[*i] == 0).collect();
    let per_reason = (settings.reason_budget * answerable.len() as f32) as usize;
    for (k, class) in CLASSES.iter().enumerate().skip(1) {
        let positives: Vec<f32> = (0..scores.len())
            .filter(|i| classes[*i] == k)
            .map(|i| scores[i][k])
            .collect();
        if positives.is_empty() {
            continue;
        }
        if class.is_some_and(|r| MUST_ESCALATE.contains(&r)) {
            let recall =
                positives.iter().copied().fold(f32::MAX, f32::min) * settings.recall_margin;
            let budget = budget_threshold(
                answerable.iter().map(|i| scores[*i][k]).collect(),
                per_reason,
            );
            out[k] = recall.max(budget);
            continue;
        }
        let mut best = (0.0f32, NEVER);
        for t in &positives {
            let tp = positives.iter().filter(|p| *p >= t).count() as f32;
            let fp = (0..scores.len())
                .filter(|i| classes[*i] != k && scores[*i][k] >= *t)
                .count() as f32;
            let f1 = 2.0 * tp / (tp + fp + positives.len() as f32);
            if f1 > best.0 {
                best = (f1, *t);
            }
        }
        out[k] = if best.0 >= 0.4 { best.1 } else { NEVER };
    }
    let allowed = (settings.false_escalation_budget * answerable.len() as f32) as usize;
    let mut gates: Vec<f32> = scores.iter().map(|s| s[0]).collect();
    gates.sort_by(|a, b| b.total_cmp(a));
    for gate in gates {
        let mut trial = out.clone();
        trial[0] = gate;
        let false_escalations = answerable
            .iter()
            .filter(|i| decide(&scores[**i], &trial).is_some())
            .count();
        if false_escalations > allowed {
            break;
        }
        out[0] = gate;
    }
    out
}

/// Cross-validated decisions with the given thresholds (for reports).
pub fn decisions(scores: &[Vec<f32>], thresholds: &[f32]) -> Vec<usize> {
    scores
        .iter()
        .map(|s| {
            let reason = decide(s, thresholds);
            CLASSES.iter().position(|c| *c == reason).unwrap_or(0)
        })
        .collect()
}
