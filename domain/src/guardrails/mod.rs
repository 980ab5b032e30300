//! Triage: which customer messages a bot must not answer on its own.
//!
//! These phrase rules are evidence: the learned triage in
//! `steward_activities::triage` weighs every family's hits ([`rule_hits`])
//! beside the message's sentence embeddings, and falls back to [`triage`]
//! alone when the embedding model is missing.
//!
//! Rules are phrase families, checked in the order a support lead would
//! (security before legal before account access before money before tone),
//! so the most serious reason wins when several apply. Each family exists
//! for a reason written next to it; none is tuned to a particular message.
//! Text is lower-cased and whitespace-collapsed first, so "CHARGED  TWICE"
//! and "charged twice" match the same rule.

use crate::escalation::EscalationReason;
use phrases::*;
use serde::{Deserialize, Serialize};

mod phrases;
#[cfg(test)]
mod tests;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Triage {
    /// `None`: the bot may answer; `Some`: escalate for this reason.
    pub escalate: Option<EscalationReason>,
    /// How sure the rule is (phrase rules are high; "no rule matched" is not
    /// a strong statement, so it is lower).
    pub confidence: f32,
    /// The phrases that matched, for the audit trail.
    pub evidence: Vec<String>,
    /// The message tries to instruct the bot; drafting ignores the
    /// instruction and the reply check watches for leaks.
    pub prompt_injection: bool,
    /// Which learned model decided (`None`: the phrase rules alone, as
    /// before models existed), so a ticket's history names its judge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
}

/// How far before a phrase a disclaimer may start and still govern it
/// ("we don't need a refund", "no need to refund anything"): a few words,
/// so "I don't need the extra seats, can we get a refund?" still asks.
const DISCLAIMER_REACH: usize = 24;

/// Whether every occurrence of `phrase` in `text` directly follows a
/// disclaimer (within [`DISCLAIMER_REACH`] bytes, in its own clause).
fn disclaimed(text: &str, phrase: &str) -> bool {
    occurrences(text, phrase).all(|at| {
        let longest = DISCLAIMERS.iter().map(|d| d.len()).max().unwrap_or(0);
        let mut from = at.saturating_sub(DISCLAIMER_REACH + longest);
        while !text.is_char_boundary(from) {
            from -= 1;
        }
        let before = &text[from..at];
        let clause = before
            .rfind(['.', '!', '?', ',', ';'])
            .map_or(before, |i| &before[i + 1..]);
        DISCLAIMERS.iter().any(|d| {
            clause
                .rfind(d)
                .is_some_and(|i| clause.len() - (i + d.len()) <= DISCLAIMER_REACH)
        })
    })
}

/// Where `phrase` occurs in `text` starting a word: "ring me" is not in
/// "during meetings", nor "any deal" in "many deals". A phrase may end
/// inside a word, since some are stems ("impersonat", "negotiat").
fn occurrences<'a>(text: &'a str, phrase: &'a str) -> impl Iterator<Item = usize> + 'a {
    let first_is_word = phrase.chars().next().is_some_and(char::is_alphanumeric);
    text.match_indices(phrase)
        .map(|(at, _)| at)
        .filter(move |at| {
            !first_is_word
                || text[..*at]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric())
        })
}

/// The `a … b` pairs that occur within one sentence of `text`.
fn pairs_in_a_sentence(text: &str, pairs: &[(&str, &str)]) -> Vec<String> {
    pairs
        .iter()
        .filter(|(a, b)| {
            text.split(['.', '!', '?', '\n']).any(|sentence| {
                occurrences(sentence, a).next().is_some()
                    && occurrences(sentence, b).next().is_some()
            })
        })
        .map(|(a, b)| format!("{a}… {b}"))
        .collect()
}

fn normalise(text: &str) -> String {
    let collapsed: Vec<&str> = text.split_whitespace().collect();
    format!(" {} ", collapsed.join(" ").to_lowercase())
}

fn matches(text: &str, phrases: &[&str]) -> Vec<String> {
    phrases
        .iter()
        .filter(|p| occurrences(text, p).next().is_some())
        .map(|p| p.trim().to_owned())
        .collect()
}

/// Shouting: a run of `!!!`, or several all-caps words that are a good
/// part of the message. The share matters: product names and field labels
/// ("SAML", "OKTA", "ENTITY ID") are capitals in a calm question, while
/// shouting puts whole clauses in capitals.
fn shouting(original: &str) -> bool {
    let words: Vec<&str> = original
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .collect();
    let caps = words
        .iter()
        .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 4)
        .filter(|w| {
            w.chars()
                .filter(|c| c.is_alphabetic())
                .all(|c| c.is_uppercase())
        })
        .count();
    (caps >= 3 && caps * 4 >= words.len()) || original.contains("!!!")
}

/// Every phrase the rules match, in one string: a model fitted on the
/// rules' hits is another model when they change (`steward train` puts
/// this into the model's version).
pub fn phrases_fingerprint() -> String {
    let mut out: Vec<String> = RULE_FAMILIES
        .iter()
        .map(|reason| {
            let (phrases, pairs) = family(*reason);
            let pairs: Vec<String> = pairs.iter().map(|(a, b)| format!("{a}&{b}")).collect();
            format!("{}|{}", phrases.join("|"), pairs.join("|"))
        })
        .collect();
    out.push(INJECTION.join("|"));
    let demanded: Vec<String> = SECRETS_DEMANDED
        .iter()
        .map(|(a, b)| format!("{a}&{b}"))
        .collect();
    out.push(demanded.join("|"));
    out.push(DISCLAIMERS.join("|"));
    out.join("\n")
}

/// A family's phrases, and the word pairs that count within one sentence.
fn family(
    reason: EscalationReason,
) -> (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
) {
    match reason {
        EscalationReason::SecurityIncident => (SECURITY, SECURITY_PAIRS),
        EscalationReason::Legal => (LEGAL, &[]),
        EscalationReason::AccountAccessVerification => (ACCOUNT_ACCESS, &[]),
        EscalationReason::Refund => (REFUND, REFUND_PAIRS),
        EscalationReason::Pricing => (PRICING, &[]),
        EscalationReason::AngryCustomer => (ANGRY, &[]),
        _ => (HUMAN, &[]),
    }
}

/// The rule families in the order a support lead checks them.
pub const RULE_FAMILIES: [EscalationReason; 7] = [
    EscalationReason::SecurityIncident,
    EscalationReason::Legal,
    EscalationReason::AccountAccessVerification,
    EscalationReason::Refund,
    EscalationReason::Pricing,
    EscalationReason::AngryCustomer,
    EscalationReason::HumanRequested,
];

/// Every family's matched phrases (empty when it did not fire), in
/// [`RULE_FAMILIES`] order, and whether the text tries to instruct the bot.
/// The learned triage uses all of them as evidence, not only the first.
pub fn rule_hits(subject: &str, body: &str) -> (Vec<Vec<String>>, bool) {
    let text = normalise(&format!("{subject} {body}"));
    let prompt_injection = !matches(&text, INJECTION).is_empty();
    let hits = RULE_FAMILIES
        .iter()
        .map(|reason| {
            let (phrases, pairs) = family(*reason);
            let mut evidence = matches(&text, phrases);
            evidence.extend(pairs_in_a_sentence(&text, pairs));
            if matches!(reason, EscalationReason::Refund | EscalationReason::Pricing) {
                evidence.retain(|hit| {
                    let first = hit.split('…').next().unwrap_or(hit);
                    !disclaimed(&text, first)
                });
            }
            if *reason == EscalationReason::SecurityIncident && prompt_injection {
                evidence.extend(pairs_in_a_sentence(&text, SECRETS_DEMANDED));
            }
            if *reason == EscalationReason::AngryCustomer && shouting(body) {
                evidence.push("shouting".into());
            }
            evidence
        })
        .collect();
    (hits, prompt_injection)
}

/// The phrase rules alone: the first family that fires decides.
pub fn triage(subject: &str, body: &str) -> Triage {
    let (hits, prompt_injection) = rule_hits(subject, body);
    triage_from_hits(hits, prompt_injection)
}

/// The first family that fired, in [`RULE_FAMILIES`] order, among the hits
/// of [`rule_hits`].
pub fn first_fired(hits: &[Vec<String>]) -> Option<EscalationReason> {
    RULE_FAMILIES
        .iter()
        .zip(hits)
        .find(|(_, e)| !e.is_empty())
        .map(|(reason, _)| *reason)
}

/// [`triage`] from hits already computed by [`rule_hits`].
pub fn triage_from_hits(hits: Vec<Vec<String>>, prompt_injection: bool) -> Triage {
    match RULE_FAMILIES.iter().zip(hits).find(|(_, e)| !e.is_empty()) {
        Some((reason, evidence)) => Triage {
            escalate: Some(*reason),
            confidence: 0.9,
            evidence,
            prompt_injection,
            model_version: None,
        },
        None => Triage {
            escalate: None,
            confidence: 0.6,
            evidence: vec![],
            prompt_injection,
            model_version: None,
        },
    }
}
