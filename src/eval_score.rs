//! Scoring `steward eval`'s outcomes, honestly:
//! - an escalation is right only with the labelled reason ("escalated at
//!   all" is reported beside it);
//! - a ticket needing two articles is resolved strictly only when the reply
//!   cites both (lenient: at least one);
//! - retrieval is the search the workflow itself ran (its history), hit@3
//!   over the first three distinct articles;
//! - the report names the search mode, drafting mode and triage model(s).

use crate::eval::Outcome;
use crate::stats::{percentile, sorted};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Escalating these to a human is what keeps a reply from promising money,
/// data or access: a bot reply to one of them is unsafe.
pub const MUST_NOT_ANSWER: &[&str] = &[
    "security_incident",
    "legal",
    "account_access_verification",
    "refund",
    "pricing",
];

fn rate(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// What the label says, as a confusion-matrix row.
fn expected_label(o: &Outcome) -> String {
    o.ticket
        .expected
        .escalation_reason
        .clone()
        .unwrap_or_else(|| "answer".to_owned())
}

/// What happened, as a confusion-matrix column.
fn got_label(o: &Outcome) -> String {
    match (&o.escalation, &o.reply) {
        (Some(r), _) => r.clone(),
        (None, Some(_)) => "answer".to_owned(),
        _ => "no_outcome".to_owned(),
    }
}

/// Replied, citing every labelled article (`strict`) or at least one.
fn resolved(o: &Outcome, strict: bool) -> bool {
    let kb = &o.ticket.expected.kb;
    o.escalation.is_none()
        && o.reply.is_some()
        && if strict {
            kb.iter().all(|a| o.ran.cited.contains(a))
        } else {
            kb.iter().any(|a| o.ran.cited.contains(a))
        }
}

/// Articles cited by replies to resolvable tickets, and how many of them
/// no label asks for: strict resolution does not charge a reply for an
/// extra article, so a responder that pads its replies would look free.
/// (A label can miss an article a side question needed, so `unlabelled`
/// is an upper bound on the padding.)
fn citations(resolvable: &[&Outcome]) -> (usize, usize) {
    let replied = resolvable.iter().filter(|o| o.reply.is_some());
    replied.fold((0, 0), |(n, extra), o| {
        let cited = &o.ran.cited;
        let unlabelled = cited
            .iter()
            .filter(|a| !o.ticket.expected.kb.contains(*a))
            .count();
        (n + cited.len(), extra + unlabelled)
    })
}

/// The figures the retrieval bar moves: resolution (strict and lenient),
/// the right reason, must-escalate recall, unsafe replies and false
/// escalations.
fn decision_figures(outcomes: &[Outcome]) -> serde_json::Map<String, Value> {
    let (resolvable, escalate): (Vec<&Outcome>, Vec<&Outcome>) = outcomes
        .iter()
        .partition(|o| o.ticket.expected.action == "resolve");
    let strict = resolvable.iter().filter(|o| resolved(o, true)).count();
    let lenient = resolvable.iter().filter(|o| resolved(o, false)).count();
    let right = escalate
        .iter()
        .filter(|o| o.escalation == o.ticket.expected.escalation_reason)
        .count();
    let must: Vec<&&Outcome> = escalate
        .iter()
        .filter(|o| MUST_NOT_ANSWER.contains(&expected_label(o).as_str()))
        .collect();
    let false_escalations = resolvable.iter().filter(|o| o.escalation.is_some()).count();
    let figures = json!({
        "resolution_correct_strict": rate(strict, resolvable.len()),
        "resolution_correct_lenient": rate(lenient, resolvable.len()),
        "escalated_right_reason": rate(right, escalate.len()),
        "must_escalate_recall": rate(must.iter().filter(|o| o.escalation.is_some()).count(), must.len()),
        "false_escalation_rate": rate(false_escalations, resolvable.len()),
        "unsafe_replies": must.iter().filter(|o| o.reply.is_some()).count(),
    });
    match figures {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

/// [`decision_figures`] at each bar `--direct` also drafted at (none for
/// a run through the stack, which drafts at the configured bar only).
/// Every `--direct` outcome carries all of `BARS` (a ticket that fails
/// fails the run), so the first outcome's count is everyone's; a bar some
/// outcome lacks is left out rather than scored on part of the tickets.
fn by_bar(outcomes: &[Outcome]) -> Vec<Value> {
    let bars = outcomes.first().map_or(0, |o| o.ran.at_bars.len());
    (0..bars)
        .filter_map(|k| {
            let moved: Vec<Outcome> = outcomes
                .iter()
                .map(|o| {
                    let at = o.ran.at_bars.get(k)?;
                    let mut moved = o.clone();
                    moved.reply = at.replied.then(String::new);
                    moved.escalation.clone_from(&at.escalation);
                    moved.ran.cited.clone_from(&at.cited);
                    Some(moved)
                })
                .collect::<Option<_>>()?;
            let mut figures = decision_figures(&moved);
            // Two decimals: an f32 such as 0.1 would print as 0.10000000149.
            let bar = (f64::from(outcomes[0].ran.at_bars[k].bar) * 100.0).round() / 100.0;
            figures.insert("bar".into(), json!(bar));
            Some(Value::Object(figures))
        })
        .collect()
}

pub fn score(
    outcomes: &[Outcome],
    articles: usize,
    identity: Value,
    wall: Duration,
    setup: Value,
) -> Value {
    let (resolvable, escalate): (Vec<&Outcome>, Vec<&Outcome>) = outcomes
        .iter()
        .partition(|o| o.ticket.expected.action == "resolve");
    let two = resolvable.iter().filter(|o| o.ticket.expected.kb.len() > 1);
    let (two_n, two_strict) = two.fold((0, 0), |(n, k), o| {
        (n + 1, k + usize::from(resolved(o, true)))
    });
    let (cited, unlabelled) = citations(&resolvable);
    let at_all = escalate.iter().filter(|o| o.escalation.is_some()).count();
    let mut per_reason: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for o in &escalate {
        let e = per_reason.entry(expected_label(o)).or_default();
        e.0 += 1;
        e.1 += usize::from(o.escalation.is_some());
        e.2 += usize::from(o.escalation == o.ticket.expected.escalation_reason);
    }
    let searched: Vec<&&Outcome> = resolvable
        .iter()
        .filter(|o| o.ran.retrieved.is_some())
        .collect();
    let hit3 = searched
        .iter()
        .filter(|o| {
            let top = o.ran.retrieved.as_deref().unwrap_or_default();
            top.iter().take(3).any(|r| o.ticket.expected.kb.contains(r))
        })
        .count();
    let models: BTreeSet<String> = outcomes
        .iter()
        .map(|o| {
            o.ran
                .triage_model
                .clone()
                .unwrap_or_else(|| "phrase rules".into())
        })
        .collect();
    let latencies = sorted(outcomes.iter().map(|o| o.latency_ms).collect());
    let mut report = json!({
        "setup": setup,
        "triage_models": models,
        "tickets": outcomes.len(),
        "kb_articles": articles,
        "resolvable": resolvable.len(),
        "to_escalate": escalate.len(),
        "two_article_tickets": {"n": two_n, "strict": two_strict},
        "citations": {"n": cited, "unlabelled": unlabelled, "precision": rate(cited - unlabelled, cited)},
        "escalated_at_all": rate(at_all, escalate.len()),
        "by_reason": per_reason.iter().map(|(r, (n, a, k))| (r.clone(), json!({"n": n, "escalated_at_all": a, "right_reason": k}))).collect::<serde_json::Map<_, _>>(),
        "retrieval_hit_at_3": rate(hit3, searched.len()),
        "retrieval_searched": searched.len(),
        "retrieval_hit_at_3_over_all_resolvable": rate(hit3, resolvable.len()),
        "no_outcome": outcomes.iter().filter(|o| o.reply.is_none() && o.escalation.is_none()).count(),
        "latency_ms": {"p50": percentile(&latencies, 0.5), "p95": percentile(&latencies, 0.95), "max": percentile(&latencies, 1.0)},
        "wall_clock_s": wall.as_secs_f64(),
        "identity": identity,
        "by_bar": by_bar(outcomes),
    });
    if let Value::Object(map) = &mut report {
        map.extend(decision_figures(outcomes));
    }
    report
}

/// Rows: the labelled outcome; columns: what the pipeline did.
fn confusion(outcomes: &[Outcome]) -> String {
    let mut cells: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut rows = BTreeSet::new();
    let mut cols = BTreeSet::new();
    for o in outcomes {
        let (e, g) = (expected_label(o), got_label(o));
        rows.insert(e.clone());
        cols.insert(g.clone());
        *cells.entry((e, g)).or_default() += 1;
    }
    let mut md = format!(
        "| expected \\ got | {} |\n|---|{}\n",
        cols.iter().cloned().collect::<Vec<_>>().join(" | "),
        "---|".repeat(cols.len())
    );
    for r in &rows {
        let line: Vec<String> = cols
            .iter()
            .map(|c| {
                cells
                    .get(&(r.clone(), c.clone()))
                    .map_or(String::new(), |n| n.to_string())
            })
            .collect();
        md.push_str(&format!("| {r} | {} |\n", line.join(" | ")));
    }
    md
}

pub fn markdown(report: &Value, outcomes: &[Outcome]) -> String {
    let mut md = format!(
        "# Steward evaluation\n\n```json\n{}\n```\n\n## Confusion of reasons\n\n{}\n## Misses\n\n",
        serde_json::to_string_pretty(report).unwrap_or_default(),
        confusion(outcomes)
    );
    md.push_str("| ticket | expected | got | searched (top 3) |\n| --- | --- | --- | --- |\n");
    for o in outcomes {
        let e = &o.ticket.expected;
        let expected = match e.action.as_str() {
            "resolve" => format!("resolve with {}", e.kb.join(", ")),
            _ => format!("escalate ({})", expected_label(o)),
        };
        let got = match &o.escalation {
            Some(r) => format!("escalated ({r})"),
            None if o.reply.is_some() && o.ran.cited.is_empty() => {
                "replied without a citation".into()
            }
            None if o.reply.is_some() => format!("replied citing {}", o.ran.cited.join(", ")),
            None => "no outcome".to_owned(),
        };
        let hit = match e.action.as_str() {
            "resolve" => resolved(o, true),
            _ => o.escalation == e.escalation_reason,
        };
        let top = o.ran.retrieved.as_ref().map_or("-".to_owned(), |r| {
            r.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
        });
        if !hit {
            md.push_str(&format!(
                "| {} | {expected} | {got} | {top} |\n",
                o.ticket.id
            ));
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{Expected, Ticket};
    use crate::eval_history::Ran;

    fn replied(kb: &[&str], cited: &[&str]) -> Outcome {
        Outcome {
            ticket: Ticket {
                id: "t1".into(),
                channel: "webform".into(),
                from: json!({"email": "a@example.com"}),
                subject: None,
                body: "How do I reset my password?".into(),
                expected: Expected {
                    action: "resolve".into(),
                    kb: kb.iter().map(|a| (*a).to_owned()).collect(),
                    escalation_reason: None,
                },
            },
            reply: Some("…".into()),
            escalation: None,
            latency_ms: 1.0,
            ran: Ran {
                cited: cited.iter().map(|a| (*a).to_owned()).collect(),
                ..Ran::default()
            },
        }
    }

    #[test]
    fn a_padded_reply_is_strictly_right_but_its_extra_article_is_counted() {
        let padded = replied(&["kb-007"], &["kb-007", "kb-013"]);
        let exact = replied(&["kb-015", "kb-036"], &["kb-036", "kb-015"]);
        assert!(resolved(&padded, true));
        assert_eq!(citations(&[&padded, &exact]), (4, 1));
        let mut declined = replied(&["kb-007"], &[]);
        declined.reply = None;
        assert_eq!(citations(&[&declined]), (0, 0));
    }

    #[test]
    fn each_bar_is_scored_from_its_own_decision() {
        use crate::eval_history::AtBar;
        let at = |bar: f32, replied: bool, cited: &[&str]| AtBar {
            bar,
            replied,
            escalation: (!replied).then(|| "no_answer_in_kb".to_owned()),
            cited: cited.iter().map(|a| (*a).to_owned()).collect(),
        };
        // Declined at the configured bar, right at 0.2, wrong at 0.
        let mut declined = replied(&["kb-007"], &[]);
        declined.reply = None;
        declined.escalation = Some("no_answer_in_kb".into());
        declined.ran.at_bars = vec![at(0.0, true, &["kb-013"]), at(0.2, true, &["kb-007"])];
        let mut refund = replied(&[], &[]);
        refund.ticket.expected.action = "escalate".into();
        refund.ticket.expected.escalation_reason = Some("refund".into());
        refund.reply = None;
        refund.escalation = Some("no_answer_in_kb".into());
        refund.ran.at_bars = vec![at(0.0, true, &["kb-016"]), at(0.2, false, &[])];
        let report = score(
            &[declined, refund],
            1,
            Value::Null,
            Duration::ZERO,
            Value::Null,
        );
        assert_eq!(report["false_escalation_rate"], json!(1.0));
        assert_eq!(report["unsafe_replies"], json!(0));
        let bars = report["by_bar"].as_array().unwrap();
        assert_eq!(bars.len(), 2);
        assert_eq!(bars[0]["unsafe_replies"], json!(1));
        assert_eq!(bars[0]["resolution_correct_strict"], json!(0.0));
        assert_eq!(bars[1]["resolution_correct_strict"], json!(1.0));
        assert_eq!(bars[1]["false_escalation_rate"], json!(0.0));
        assert_eq!(bars[1]["must_escalate_recall"], json!(1.0));
    }
}
