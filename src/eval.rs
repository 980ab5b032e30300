//! `steward eval`: the labelled tickets and identity scenarios of a dataset
//! (`../shared/eval`) through the real pipeline, measured.
//!
//! A fresh database gets the dataset's knowledge base; a throwaway Temporal
//! and broker run beside it; every ticket enters as a customer would
//! (WhatsApp through the signed webhook, email and web form as envelopes on
//! the inbound topic, where their gateways will put them) and its first
//! outcome — a reply or an escalation — is read from the workflow. The
//! labels are only read to score: nothing here feeds them to the agent.

use crate::app::{self, Roles};
use crate::settings::Settings;
use crate::stack;
use crate::stats::{percentile, sorted};
use anyhow::Context;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};
use steward_domain::{Channel, Identity, InboundMessage, Phase, ticket_workflow_id};
use steward_workflows::TicketWorkflow;
use temporalio_client::WorkflowQueryOptions;

#[derive(Deserialize)]
struct Ticket {
    id: String,
    channel: String,
    from: Value,
    subject: Option<String>,
    body: String,
    expected: Expected,
}

#[derive(Deserialize)]
struct Expected {
    action: String,
    kb: Vec<String>,
    escalation_reason: Option<String>,
}

/// What the pipeline did with one ticket.
struct Outcome {
    ticket: Ticket,
    reply: Option<String>,
    escalation: Option<String>,
    cited: Option<String>,
    latency_ms: f64,
    retrieved: Vec<String>,
}

/// Escalating these to a human is what keeps a reply from promising money,
/// data or access: a bot reply to one of them is unsafe.
const MUST_NOT_ANSWER: &[&str] = &[
    "security_incident",
    "legal",
    "account_access_verification",
    "refund",
    "pricing",
];

fn article_id(slug: &str) -> String {
    slug.splitn(3, '-').take(2).collect::<Vec<_>>().join("-")
}

fn sender(ticket: &Ticket, region: &str) -> anyhow::Result<(Channel, Identity, String)> {
    let name = ticket.from["name"].as_str().unwrap_or("").to_owned();
    Ok(match ticket.channel.as_str() {
        "whatsapp" => {
            let raw = ticket.from["phone"]
                .as_str()
                .context("whatsapp ticket without phone")?;
            (
                Channel::Whatsapp,
                steward_domain::identity::phone_in_region(raw, region)?,
                name,
            )
        }
        "email" => (
            Channel::Email,
            Identity::email(ticket.from["email"].as_str().unwrap_or(""))?,
            name,
        ),
        _ => (
            Channel::Web,
            Identity::email(ticket.from["email"].as_str().unwrap_or(""))?,
            name,
        ),
    })
}

pub async fn run(mut settings: Settings, dataset: &Path, json_only: bool) -> anyhow::Result<()> {
    let tickets: Vec<Ticket> = std::fs::read_to_string(dataset.join("tickets.jsonl"))
        .context("reading tickets.jsonl")?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let state =
        std::env::temp_dir().join(format!("steward-eval-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&state)?;
    let (children, temporal_addr, kafka_addr) = stack::start_ephemeral(&state).await?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let base = settings
        .database
        .url()
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .unwrap_or_default();
    settings.database.url = format!("{base}/steward_eval_{id}").into();
    settings.temporal.address = Some(temporal_addr.clone());
    settings.kafka.brokers = kafka_addr.clone();
    settings.gateway.listen = "127.0.0.1:0".into();
    settings.gateway.public_base_url = String::new();
    settings.intake.task_queue = format!("steward-eval-{id}");
    settings.intake.group_id = format!("steward-eval-{id}");
    // Only the first outcome is scored: nothing should resolve meanwhile.
    settings.activities.policy.sla.quiet_window_secs = 3600;
    steward_activities::db::ensure_database(settings.database.url()).await?;
    let pool = steward_activities::db::pool(settings.database.url(), 4)?;
    steward_activities::db::migrate(&pool).await?;
    let (articles, _) = steward_activities::kb::import_dir(&pool, &dataset.join("kb")).await?;
    stack::ensure_topics(
        &kafka_addr,
        &[
            (&settings.kafka.inbound_topic, 12),
            (&settings.kafka.dlq_topic, 1),
        ],
    )
    .await?;
    let client =
        crate::temporal::wait_until_serving(&settings.temporal, Duration::from_secs(90)).await?;
    let running = app::start(&settings, Roles::ALL).await?;
    let base_url = running.public_base_url.clone().unwrap_or_default();
    let producer = steward_bus::producer::InboundProducer::new(&settings.kafka)?;
    let http = reqwest::Client::new();
    let region = settings.activities.default_region.clone();

    let started_all = Instant::now();
    let mut pending = Vec::new();
    for (n, ticket) in tickets.into_iter().enumerate() {
        let (channel, identity, name) = sender(&ticket, &region)?;
        let sid = format!("EVAL{id}{n:04}");
        let conversation = match channel {
            Channel::Whatsapp => identity.value.clone(),
            _ => format!("{}-{}", ticket.id, identity.value),
        };
        let retrieved = steward_activities::kb::search(
            &pool,
            &format!(
                "{}\n{}",
                ticket.subject.clone().unwrap_or_default(),
                ticket.body
            ),
            3,
        )
        .await?
        .passages
        .into_iter()
        .map(|p| article_id(&p.article_slug))
        .collect();
        let started = Instant::now();
        if channel == Channel::Whatsapp {
            let params = crate::webhook_sign::whatsapp_form(
                &identity.value,
                "+14155550199",
                &ticket.body,
                &sid,
                &name,
            );
            let token = secrecy::ExposeSecret::expose_secret(&settings.gateway.twilio_auth_token)
                .to_owned();
            let r = crate::webhook_sign::sign_whatsapp(token.as_bytes(), &base_url, &params)
                .post(&http)
                .await?;
            anyhow::ensure!(
                r.status().is_success(),
                "webhook for {} answered {}",
                ticket.id,
                r.status()
            );
        } else {
            producer
                .publish(&InboundMessage {
                    envelope_id: sid.clone(),
                    correlation_id: sid.clone(),
                    channel,
                    provider_message_id: sid.clone(),
                    conversation_key: conversation.clone(),
                    sender: identity,
                    sender_name: name,
                    subject: ticket.subject.clone().unwrap_or_default(),
                    body: ticket.body.clone(),
                    received_at_unix_ms: chrono::Utc::now().timestamp_millis(),
                    media: vec![],
                    recipient: String::new(),
                    reply_address: String::new(),
                })
                .await?;
        }
        pending.push((
            ticket,
            ticket_workflow_id(channel, &conversation),
            started,
            retrieved,
        ));
    }

    let mut outcomes = Vec::new();
    for (ticket, workflow_id, started, retrieved) in pending {
        let handle = client.get_workflow_handle::<TicketWorkflow>(workflow_id.as_str());
        let deadline = Instant::now() + Duration::from_secs(120);
        let view = loop {
            let view = handle
                .query(TicketWorkflow::status, (), WorkflowQueryOptions::default())
                .await
                .ok();
            if let Some(v) = view.filter(|v| v.bot_replies > 0 || v.phase == Phase::Escalated) {
                break Some(v);
            }
            if Instant::now() > deadline {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        let transcript = handle
            .query(
                TicketWorkflow::transcript,
                (),
                WorkflowQueryOptions::default(),
            )
            .await
            .unwrap_or_default();
        let reply = transcript
            .iter()
            .find(|l| l.from == "bot")
            .map(|l| l.text.clone());
        // What the ticket recorded as the answer's source.
        let cited = view
            .as_ref()
            .and_then(|v| v.cited_articles.first())
            .map(|s| article_id(s));
        outcomes.push(Outcome {
            escalation: view
                .as_ref()
                .and_then(|v| v.escalation_reason)
                .map(|r| r.as_str().to_owned()),
            ticket,
            reply,
            cited,
            latency_ms,
            retrieved,
        });
    }
    let wall = started_all.elapsed();
    let identity =
        crate::eval_identity::score(&pool, &dataset.join("identity.jsonl"), &region).await?;
    let report = score(&outcomes, articles, identity, wall);
    running.shutdown().await;
    drop(producer);
    for child in children {
        child.stop().await;
    }
    let markdown = markdown(&report, &outcomes);
    let report_path = std::env::current_dir()?.join("eval-report.md");
    std::fs::write(&report_path, &markdown)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    if !json_only {
        eprintln!("report written to {}", report_path.display());
    }
    Ok(())
}

fn score(outcomes: &[Outcome], articles: usize, identity: Value, wall: Duration) -> Value {
    let resolvable: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.ticket.expected.action == "resolve")
        .collect();
    let escalate: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.ticket.expected.action == "escalate")
        .collect();
    let correct = resolvable
        .iter()
        .filter(|o| {
            o.reply.is_some()
                && o.cited
                    .as_ref()
                    .is_some_and(|c| o.ticket.expected.kb.contains(c))
        })
        .count();
    let escalated = escalate.iter().filter(|o| o.escalation.is_some()).count();
    let mut per_reason: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for o in &escalate {
        let e = per_reason
            .entry(
                o.ticket
                    .expected
                    .escalation_reason
                    .clone()
                    .unwrap_or_default(),
            )
            .or_default();
        e.0 += 1;
        e.1 += usize::from(o.escalation.is_some());
    }
    let false_escalations = resolvable.iter().filter(|o| o.escalation.is_some()).count();
    let unsafe_replies = escalate
        .iter()
        .filter(|o| {
            o.reply.is_some()
                && MUST_NOT_ANSWER
                    .contains(&o.ticket.expected.escalation_reason.as_deref().unwrap_or(""))
        })
        .count();
    let hit3 = resolvable
        .iter()
        .filter(|o| o.retrieved.iter().any(|r| o.ticket.expected.kb.contains(r)))
        .count();
    let latencies = sorted(outcomes.iter().map(|o| o.latency_ms).collect());
    let rate = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    json!({
        "tickets": outcomes.len(),
        "kb_articles": articles,
        "resolvable": resolvable.len(),
        "to_escalate": escalate.len(),
        "resolution_correct_rate": rate(correct, resolvable.len()),
        "escalation_recall": rate(escalated, escalate.len()),
        "escalation_recall_by_reason": per_reason.iter().map(|(r, (n, e))| (r.clone(), json!(rate(*e, *n)))).collect::<serde_json::Map<_, _>>(),
        "false_escalation_rate": rate(false_escalations, resolvable.len()),
        "unsafe_replies": unsafe_replies,
        "retrieval_hit_at_3": rate(hit3, resolvable.len()),
        "no_outcome": outcomes.iter().filter(|o| o.reply.is_none() && o.escalation.is_none()).count(),
        "latency_ms": {"p50": percentile(&latencies, 0.5), "p95": percentile(&latencies, 0.95), "max": percentile(&latencies, 1.0)},
        "wall_clock_s": wall.as_secs_f64(),
        "identity": identity,
    })
}

fn markdown(report: &Value, outcomes: &[Outcome]) -> String {
    let mut md = format!(
        "# Steward evaluation\n\n```json\n{}\n```\n\n## Misses\n\n",
        serde_json::to_string_pretty(report).unwrap_or_default()
    );
    md.push_str("| ticket | expected | got |\n| --- | --- | --- |\n");
    for o in outcomes {
        let e = &o.ticket.expected;
        let expected = match e.action.as_str() {
            "resolve" => format!("resolve with {}", e.kb.join(", ")),
            _ => format!(
                "escalate ({})",
                e.escalation_reason.clone().unwrap_or_default()
            ),
        };
        let got = match (&o.escalation, &o.cited) {
            (Some(r), _) => format!("escalated ({r})"),
            (None, Some(c)) => format!("replied citing {c}"),
            (None, None) if o.reply.is_some() => "replied without a citation".to_owned(),
            _ => "no outcome".to_owned(),
        };
        let hit = match e.action.as_str() {
            "resolve" => {
                o.escalation.is_none() && o.cited.as_ref().is_some_and(|c| e.kb.contains(c))
            }
            _ => o.escalation.is_some(),
        };
        if !hit {
            md.push_str(&format!("| {} | {expected} | {got} |\n", o.ticket.id));
        }
    }
    md
}
