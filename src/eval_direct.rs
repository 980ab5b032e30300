//! `steward eval --direct`: the workflow's judgement on each ticket —
//! triage, the knowledge-base search, the offline responder's draft and the
//! reply check — called in-process, without Temporal or the broker. It
//! takes seconds instead of minutes, for choosing between methods; the
//! figures to report come from the full run, which this does not replace.
//!
//! Each ticket is also drafted, from the same searches, at every retrieval
//! bar of [`BARS`]: the report's `by_bar` shows what the bar trades (false
//! escalations against unsafe and wrong replies) without a run per bar.
//!
//! With `STEWARD_EVAL_DUMP=file`, one JSON line per ticket records the
//! signals the decisions rested on (for fitting answerability on `train/`).

use crate::eval::{Outcome, Ticket};
use crate::eval_history::{AtBar, Ran, article_id};
use serde_json::json;
use sqlx::PgPool;
use std::io::Write;
use std::time::Instant;
use steward_activities::kb;
use steward_domain::Channel;
use steward_domain::EscalationReason;
use steward_workflows::contracts::{Draft, DraftInput};

/// Retrieval bars every ticket is also drafted at (the configured one is
/// `policy.min_kb_confidence`, 0.5 by default).
pub const BARS: [f32; 8] = [0.0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45];

/// The judgement on one ticket, as the workflow would reach it.
pub async fn outcome(
    pool: &PgPool,
    ticket: Ticket,
    region: &str,
    min_confidence: f32,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let subject = ticket.subject.clone().unwrap_or_default();
    let triage = steward_activities::triage::classify(&subject, &ticket.body).await;
    let mut ran = Ran {
        triage_model: triage.model_version.clone(),
        ..Ran::default()
    };
    let done = |ticket, reply, escalation: Option<EscalationReason>, ran| Outcome {
        ticket,
        reply,
        escalation: escalation.map(|r| r.as_str().to_owned()),
        latency_ms: started.elapsed().as_secs_f64() * 1000.0,
        ran,
    };
    if let Some(reason) = triage.escalate {
        dump(&ticket, json!({"triage": reason.as_str()}));
        ran.at_bars = BARS
            .iter()
            .map(|bar| AtBar {
                bar: *bar,
                replied: false,
                escalation: Some(reason.as_str().to_owned()),
                cited: Vec::new(),
            })
            .collect();
        return Ok(done(ticket, None, Some(reason), ran));
    }
    let question = if subject.is_empty() {
        ticket.body.clone()
    } else {
        format!("{subject}\n{}", ticket.body)
    };
    let results = kb::search(pool, &question, 5).await?;
    ran.retrieved = Some(results.top_articles.iter().map(|s| article_id(s)).collect());
    let (channel, _, customer_name) = crate::eval::sender(&ticket, region)?;
    let input = DraftInput {
        ticket_id: ticket.id.clone(),
        channel,
        customer_name,
        question,
        kb: results,
        min_confidence,
    };
    let grounds = kb::answerable::Grounds::search(pool, &input.question).await?;
    let draft = grounds.draft(&input);
    ran.cited = cited(&draft);
    ran.at_bars = BARS
        .iter()
        .map(|bar| {
            let draft = grounds.draft(&DraftInput {
                min_confidence: *bar,
                ..input.clone()
            });
            let (reply, escalation) = fate(channel, &draft);
            AtBar {
                bar: *bar,
                replied: reply.is_some(),
                escalation: escalation.map(|r| r.as_str().to_owned()),
                cited: cited(&draft),
            }
        })
        .collect();
    if std::env::var_os("STEWARD_EVAL_DUMP").is_some() {
        let mut signals = signals(&input, &grounds, &draft);
        signals["triage_confidence"] = json!(triage.confidence);
        signals["triage_evidence"] = json!(triage.evidence);
        dump(&ticket, signals);
    }
    let (reply, escalation) = fate(channel, &draft);
    Ok(done(ticket, reply, escalation, ran))
}

fn cited(draft: &Draft) -> Vec<String> {
    draft.cited_articles.iter().map(|s| article_id(s)).collect()
}

/// What the workflow does with a draft: sends it, escalates a declined
/// one (no answer in the KB) or one the reply check stops.
fn fate(channel: Channel, draft: &Draft) -> (Option<String>, Option<EscalationReason>) {
    match &draft.text {
        None => (None, Some(EscalationReason::NoAnswerInKb)),
        Some(text) if !steward_domain::reply_check::check_reply(channel, text).is_empty() => {
            (None, Some(EscalationReason::DraftRejected))
        }
        Some(text) => (Some(text.clone()), None),
    }
}

/// What the answerability decision saw.
fn signals(
    input: &DraftInput,
    grounds: &kb::answerable::Grounds,
    draft: &Draft,
) -> serde_json::Value {
    let fused: Vec<f32> = input.kb.passages.iter().map(|p| p.score).collect();
    json!({
        "top": input.kb.top_articles.iter().map(|s| article_id(s)).collect::<Vec<_>>(),
        "passage_articles": input.kb.passages.iter().map(|p| article_id(&p.article_slug)).collect::<Vec<_>>(),
        "fused": fused,
        "confidence": input.kb.confidence,
        "similarity": input.kb.top_similarity,
        "coverage": input.kb.top_coverage,
        "unknown_products": grounds.unknown,
        "questions": grounds.parts.iter().map(|(q, _)| q).collect::<Vec<_>>(),
        "parts": grounds.parts.iter().map(|(_, r)| json!({
            "top": r.top_articles.iter().map(|s| article_id(s)).collect::<Vec<_>>(),
            "confidence": r.confidence,
            "similarity": r.top_similarity,
            "coverage": r.top_coverage,
        })).collect::<Vec<_>>(),
        "cited": cited(draft),
        "declined": draft.decline_reason,
    })
}

/// Appends one ticket's signals and labels to `STEWARD_EVAL_DUMP`.
fn dump(ticket: &Ticket, signals: serde_json::Value) {
    let Some(path) = std::env::var_os("STEWARD_EVAL_DUMP") else {
        return;
    };
    let line = json!({
        "id": ticket.id,
        "channel": ticket.channel,
        "expected": {
            "action": ticket.expected.action,
            "kb": ticket.expected.kb,
            "reason": ticket.expected.escalation_reason,
        },
        "signals": signals,
    });
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| writeln!(f, "{line}"));
    if let Err(err) = written {
        tracing::warn!(%err, "STEWARD_EVAL_DUMP not written");
    }
}
