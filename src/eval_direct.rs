//! `steward eval --direct`: the workflow's judgement on each ticket —
//! triage, the knowledge-base search, the offline responder's draft and the
//! reply check — called in-process, without Temporal or the broker. It
//! takes seconds instead of minutes, for choosing between methods; the
//! figures to report come from the full run, which this does not replace.
//!
//! With `STEWARD_EVAL_DUMP=file`, one JSON line per ticket records the
//! signals the decisions rested on (for fitting answerability on `train/`).

use crate::eval::{Outcome, Ticket};
use crate::eval_history::{Ran, article_id};
use serde_json::json;
use sqlx::PgPool;
use std::io::Write;
use std::time::Instant;
use steward_activities::kb;
use steward_domain::EscalationReason;
use steward_workflows::contracts::DraftInput;

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
    let draft = kb::answerable::draft(pool, &input).await?;
    ran.cited = draft.cited_articles.iter().map(|s| article_id(s)).collect();
    if std::env::var_os("STEWARD_EVAL_DUMP").is_some() {
        let mut signals = signals(pool, &input, &draft).await?;
        signals["triage_confidence"] = json!(triage.confidence);
        signals["triage_evidence"] = json!(triage.evidence);
        dump(&ticket, signals);
    }
    Ok(match draft.text {
        None => done(ticket, None, Some(EscalationReason::NoAnswerInKb), ran),
        Some(text) if !steward_domain::reply_check::check_reply(channel, &text).is_empty() => {
            done(ticket, None, Some(EscalationReason::DraftRejected), ran)
        }
        Some(text) => done(ticket, Some(text), None, ran),
    })
}

/// What the answerability decision saw.
async fn signals(
    pool: &PgPool,
    input: &DraftInput,
    draft: &steward_workflows::contracts::Draft,
) -> anyhow::Result<serde_json::Value> {
    let questions = kb::answerable::questions(&input.question);
    let parts = kb::answerable::per_question(pool, &questions).await?;
    let unknown = kb::answerable::unknown_products(pool, &input.question).await?;
    let fused: Vec<f32> = input.kb.passages.iter().map(|p| p.score).collect();
    Ok(json!({
        "top": input.kb.top_articles.iter().map(|s| article_id(s)).collect::<Vec<_>>(),
        "passage_articles": input.kb.passages.iter().map(|p| article_id(&p.article_slug)).collect::<Vec<_>>(),
        "fused": fused,
        "confidence": input.kb.confidence,
        "similarity": input.kb.top_similarity,
        "coverage": input.kb.top_coverage,
        "unknown_products": unknown,
        "questions": questions,
        "parts": parts.iter().map(|r| json!({
            "top": r.top_articles.iter().map(|s| article_id(s)).collect::<Vec<_>>(),
            "confidence": r.confidence,
            "similarity": r.top_similarity,
            "coverage": r.top_coverage,
        })).collect::<Vec<_>>(),
        "cited": draft.cited_articles.iter().map(|s| article_id(s)).collect::<Vec<_>>(),
        "declined": draft.decline_reason,
    }))
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
