//! The fitting and decision rules on small synthetic data, where the right
//! answer is known.

use super::fit::{FitSettings, Sample, fit_weights, folds, thresholds};
use super::model::{CLASSES, decide};
use steward_domain::EscalationReason;

/// Two features that separate answerable (0) from refund (4) messages.
fn samples() -> Vec<Sample> {
    (0..40)
        .map(|i| {
            let refund = i % 4 == 0;
            let x = if refund { 1.0 } else { -1.0 } + (i as f32 * 0.37).sin() * 0.3;
            Sample {
                rows: vec![vec![x, (i as f32 * 0.11).cos()]],
                class: if refund { 4 } else { 0 },
            }
        })
        .collect()
}

#[test]
fn a_separable_reason_is_learned_and_the_fit_is_reproducible() {
    let settings = FitSettings::default();
    let a = fit_weights(&samples(), &settings).unwrap();
    let b = fit_weights(&samples(), &settings).unwrap();
    assert_eq!(a.weights, b.weights, "same data, same weights");
    let refund = a.probabilities(&[1.0, 0.0]);
    let answerable = a.probabilities(&[-1.0, 0.0]);
    assert!(
        refund[4] > 0.5 && answerable[0] > 0.5,
        "{refund:?} {answerable:?}"
    );
}

#[test]
fn folds_are_stratified_and_seeded() {
    let classes: Vec<usize> = samples().iter().map(|s| s.class).collect();
    let f = folds(&classes, 5, 13);
    assert_eq!(f, folds(&classes, 5, 13));
    for fold in 0..5 {
        let refunds = (0..classes.len())
            .filter(|i| f[*i] == fold && classes[*i] == 4)
            .count();
        assert_eq!(refunds, 2, "each fold holds its share of the reason");
    }
}

/// Scores with the refund slot set, the rest low.
fn scored(refund: f32) -> Vec<f32> {
    let mut s = vec![0.0; CLASSES.len()];
    s[4] = refund;
    s[0] = refund;
    s
}

#[test]
fn must_escalate_thresholds_reach_full_recall_within_the_budget() {
    let settings = FitSettings::default();
    // 50 answerable at 0.05, refunds at 0.6 and 0.3: full recall is cheap.
    let mut scores: Vec<Vec<f32>> = (0..50).map(|_| scored(0.05)).collect();
    let mut classes = vec![0; 50];
    scores.extend([scored(0.6), scored(0.3)]);
    classes.extend([4, 4]);
    let t = thresholds(&scores, &classes, &settings);
    assert!((t[4] - 0.3 * settings.recall_margin).abs() < 1e-6, "{t:?}");
    assert_eq!(decide(&scored(0.3), &t), Some(EscalationReason::Refund));
    assert_eq!(decide(&scored(0.05), &t), None);
    // Now ten answerable messages score like the weak refund: recall is
    // capped so that at most 2% of them escalate for this reason.
    for s in scores.iter_mut().take(10) {
        *s = scored(0.3);
    }
    let t = thresholds(&scores, &classes, &settings);
    assert!(t[4] > 0.3, "{t:?}");
    assert_eq!(decide(&scored(0.6), &t), Some(EscalationReason::Refund));
}

#[test]
fn reasons_are_checked_in_priority_order() {
    let t = vec![0.9, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];
    let mut s = vec![0.0; CLASSES.len()];
    s[2] = 0.6; // legal
    s[4] = 0.9; // refund, more likely but less serious
    assert_eq!(decide(&s, &t), Some(EscalationReason::Legal));
    let mut gate = vec![0.0; CLASSES.len()];
    gate[0] = 0.95;
    gate[6] = 0.3; // angry, under its own threshold
    assert_eq!(
        decide(&gate, &t),
        Some(EscalationReason::AngryCustomer),
        "the gate picks the likeliest"
    );
}

#[test]
fn rules_override_answerable_and_must_escalate_rules_override_lesser_reasons() {
    use super::model::with_rules;
    use EscalationReason::*;
    assert_eq!(with_rules(None, Some(Legal)), Some(Legal));
    assert_eq!(with_rules(Some(HumanRequested), Some(Refund)), Some(Refund));
    assert_eq!(
        with_rules(Some(SecurityIncident), Some(Refund)),
        Some(SecurityIncident)
    );
    assert_eq!(
        with_rules(Some(Pricing), Some(SecurityIncident)),
        Some(SecurityIncident),
        "the graver of two must-escalate reasons wins"
    );
    assert_eq!(
        with_rules(None, Some(HumanRequested)),
        Some(HumanRequested),
        "asking for a person is never answered by the bot"
    );
    assert_eq!(
        with_rules(Some(AngryCustomer), Some(HumanRequested)),
        Some(AngryCustomer),
        "a lesser rule never replaces the model's reason"
    );
    assert_eq!(with_rules(Some(AngryCustomer), None), Some(AngryCustomer));
}

#[test]
fn every_row_holds_its_own_vector_then_the_whole_messages_second() {
    let rows = super::beside_whole(vec![vec![1.0, 2.0], vec![3.0, 4.0]], &[5.0]);
    assert_eq!(rows, vec![vec![1.0, 2.0, 5.0], vec![3.0, 4.0, 5.0]]);
}

/// The committed artefact's rows are as wide as the features the worker
/// builds for it: a change of features without `steward train` fails here.
#[test]
fn the_committed_model_matches_the_features_it_is_given() {
    let model: super::model::TriageModel =
        serde_json::from_str(include_str!("../../models/triage.json")).unwrap();
    let vectors = if model.second_embedder.is_some() {
        2
    } else {
        1
    };
    let width = vectors * crate::embed::DIMENSIONS + super::features::EXTRA.len();
    assert_eq!(model.mean.len(), width);
    assert!(model.weights.iter().all(|w| w.len() == width));
}

#[test]
fn an_artefact_from_before_the_second_model_reads_as_first_model_only() {
    let old = r#"{"version":"v","embedder":"all-MiniLM-L6-v2","classes":[],"extra_features":[],
        "mean":[],"scale":[],"weights":[],"bias":[],"thresholds":[]}"#;
    let model: super::model::TriageModel = serde_json::from_str(old).unwrap();
    assert_eq!(model.second_embedder, None);
}

#[test]
fn extra_samples_join_the_weights_but_never_the_thresholds() {
    use super::fit::{cross_validated_scores, cross_validated_scores_with, train_with};
    let settings = FitSettings::default();
    let data = samples();
    // Refunds worded further out than the dataset's, as a hand-written
    // set would be: they move the weights.
    let extra: Vec<Sample> = (0..8)
        .map(|i| Sample {
            rows: vec![vec![2.0 + i as f32 * 0.1, -0.5]],
            class: 4,
        })
        .collect();
    let (model, scores) = train_with(&data, &extra, &settings).unwrap();
    assert_eq!(scores.len(), data.len(), "only the dataset is scored");
    assert_ne!(
        scores,
        cross_validated_scores(&data, &settings).unwrap(),
        "every fold's weights saw the extra samples"
    );
    let all: Vec<Sample> = data.iter().chain(&extra).cloned().collect();
    assert_eq!(model.weights, fit_weights(&all, &settings).unwrap().weights);
    assert_ne!(
        model.weights,
        fit_weights(&data, &settings).unwrap().weights
    );
    let classes: Vec<usize> = data.iter().map(|s| s.class).collect();
    assert_eq!(model.thresholds, thresholds(&scores, &classes, &settings));
    assert_eq!(
        scores,
        cross_validated_scores_with(&data, &extra, &settings).unwrap(),
        "deterministic"
    );
}
