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
use crate::eval_history::Ran;
use crate::settings::Settings;
use crate::stack;
use anyhow::Context;
use serde::Deserialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use steward_domain::{Channel, Identity, InboundMessage, Phase, ticket_workflow_id};
use steward_workflows::TicketWorkflow;
use temporalio_client::WorkflowQueryOptions;

#[derive(Deserialize, Clone)]
pub struct Ticket {
    pub id: String,
    pub channel: String,
    pub from: Value,
    pub subject: Option<String>,
    pub body: String,
    pub expected: Expected,
}

#[derive(Deserialize, Clone)]
pub struct Expected {
    pub action: String,
    pub kb: Vec<String>,
    pub escalation_reason: Option<String>,
}

/// What the pipeline did with one ticket.
#[derive(Clone)]
pub struct Outcome {
    pub ticket: Ticket,
    pub reply: Option<String>,
    pub escalation: Option<String>,
    pub latency_ms: f64,
    /// What the workflow's own activities decided (triage model, search, citations).
    pub ran: Ran,
}

pub(crate) fn sender(ticket: &Ticket, region: &str) -> anyhow::Result<(Channel, Identity, String)> {
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

/// Tickets sent in at once: a busy hour's burst for one small worker, not
/// the whole dataset at the same instant (latency includes this queueing).
const WAVE: usize = 16;

/// The stack one evaluation runs on.
struct Bench {
    settings: Settings,
    client: temporalio_client::Client,
    producer: steward_bus::producer::InboundProducer,
    http: reqwest::Client,
    base_url: String,
    region: String,
    id: String,
}

/// The labelled tickets of a dataset folder (`tickets.jsonl`).
pub fn read_tickets(dataset: &Path) -> anyhow::Result<Vec<Ticket>> {
    std::fs::read_to_string(dataset.join("tickets.jsonl"))
        .context("reading tickets.jsonl")?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).context("a line of tickets.jsonl"))
        .collect()
}

pub async fn run(
    mut settings: Settings,
    dataset: &Path,
    json_only: bool,
    cv: Option<usize>,
    also: &[PathBuf],
    direct: bool,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        also.is_empty() || cv.is_some(),
        "--also needs --cv: without it nothing is fitted, and the committed model is evaluated"
    );
    let also = &crate::train::Also::load(dataset, also)?;
    let tickets = read_tickets(dataset)?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let base = settings
        .database
        .url()
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .unwrap_or_default();
    settings.database.url = format!("{base}/steward_eval_{id}").into();
    if direct {
        return run_direct(settings, dataset, tickets, json_only, cv, also).await;
    }
    let state =
        std::env::temp_dir().join(format!("steward-eval-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&state)?;
    let (children, temporal_addr, kafka_addr) = stack::start_ephemeral(&state).await?;
    settings.temporal.address = Some(temporal_addr.clone());
    settings.kafka.brokers = kafka_addr.clone();
    settings.gateway.listen = "127.0.0.1:0".into();
    settings.gateway.public_base_url = String::new();
    settings.intake.task_queue = format!("steward-eval-{id}");
    settings.intake.group_id = format!("steward-eval-{id}");
    // Only the first outcome is scored: nothing should resolve meanwhile.
    settings.activities.policy.sla.quiet_window_secs = 3600;
    // Every ticket arrives at once, so queueing would turn slow answers into
    // first-response escalations: judgement is scored without that race,
    // and the latency figures report how long answers took.
    let sla = &mut settings.activities.policy.sla;
    sla.first_response_whatsapp_secs = 900;
    sla.first_response_email_secs = 900;
    sla.first_response_web_secs = 900;
    steward_activities::db::ensure_database(settings.database.url()).await?;
    let pool = steward_activities::db::pool(settings.database.url(), 4)?;
    steward_activities::db::migrate(&pool).await?;
    let (articles, _) = steward_activities::kb::import_dir(&pool, &dataset.join("kb")).await?;
    stack::ensure_steward_topics(&kafka_addr, &settings.kafka, stack::INBOUND_PARTITIONS).await?;
    let client =
        crate::temporal::wait_until_serving(&settings.temporal, Duration::from_secs(90)).await?;
    let running = app::start(&settings, Roles::ALL).await?;
    let bench = Bench {
        base_url: running.public_base_url.clone().unwrap_or_default(),
        producer: steward_bus::producer::InboundProducer::new(&settings.kafka)?,
        http: reqwest::Client::new(),
        region: settings.activities.default_region.clone(),
        settings,
        client,
        id,
    };

    let started_all = Instant::now();
    let runner = Runner::Stack(&bench);
    let outcomes = match cv {
        None => runner.run(tickets, 0).await?,
        Some(k) => cross_validated(&runner, dataset, tickets, k, also).await?,
    };
    let wall = started_all.elapsed();
    let identity =
        crate::eval_identity::score(&pool, &dataset.join("identity.jsonl"), &bench.region).await?;
    let setup = json!({
        "search_mode": search_mode(),
        "drafting": serde_json::to_value(bench.settings.activities.policy.drafting)?,
        "cross_validation_folds": cv,
        "cross_validation_also": also.names,
    });
    let report = crate::eval_score::score(&outcomes, articles, identity, wall, setup);
    running.shutdown().await;
    drop(bench);
    for child in children {
        child.stop().await;
    }
    write_report(&report, &outcomes, json_only)
}

fn write_report(report: &Value, outcomes: &[Outcome], json_only: bool) -> anyhow::Result<()> {
    let markdown = crate::eval_score::markdown(report, outcomes);
    let report_path = std::env::current_dir()?.join("eval-report.md");
    std::fs::write(&report_path, &markdown)?;
    println!("{}", serde_json::to_string_pretty(report)?);
    if !json_only {
        eprintln!("report written to {}", report_path.display());
    }
    Ok(())
}

/// Which retrieval the workflow's searches used.
fn search_mode() -> String {
    if let Some(remote) = steward_activities::kb::remote::configured() {
        format!("hybrid: full text + {} (remote)", remote.model())
    } else if let Some(name) = steward_activities::embed::shared_name() {
        use steward_activities::embed::{Slot, get};
        match get(Slot::Second) {
            Some(second) => format!(
                "hybrid: full text + {name}, {} for non-English questions (in-process)",
                second.name()
            ),
            None => format!("hybrid: full text + {name} (in-process)"),
        }
    } else {
        "full text only (no embedding model)".to_owned()
    }
}

/// `--cv k`: every ticket is triaged by a model fitted (thresholds chosen
/// by cross-validation inside its own training part) without the ticket's
/// fold; folds run one after another, each with its model swapped in.
/// `also`'s tickets join every fold's weights, never its thresholds.
async fn cross_validated(
    runner: &Runner<'_>,
    dataset: &Path,
    tickets: Vec<Ticket>,
    k: usize,
    also: &crate::train::Also,
) -> anyhow::Result<Vec<Outcome>> {
    use steward_activities::triage::{self, fit};
    let (labelled, _) = crate::train::read_tickets(dataset)?;
    let settings = crate::train::tuned(fit::FitSettings::default());
    let samples = crate::train::samples(&labelled, settings.second_embedder).await?;
    let classes: Vec<usize> = samples.iter().map(|s| s.class).collect();
    let fold = fit::folds(&classes, k, settings.seed);
    let extra = also.samples(settings.second_embedder).await?;
    let mut outcomes = Vec::new();
    for f in 0..k {
        let part: Vec<fit::Sample> = (0..samples.len())
            .filter(|i| fold[*i] != f)
            .map(|i| samples[i].clone())
            .collect();
        let (mut model, _) = fit::train_with(&part, &extra, &settings)?;
        model.version = format!("cv-fold-{}-of-{k}", f + 1);
        triage::set_current(Some(std::sync::Arc::new(model)));
        let held_out: Vec<Ticket> = (0..tickets.len())
            .filter(|i| fold[*i] == f)
            .map(|i| tickets[i].clone())
            .collect();
        outcomes.extend(runner.run(held_out, f * 10_000).await?);
    }
    triage::set_current(None);
    Ok(outcomes)
}

/// `steward eval --direct`: the same database setup and scoring, the
/// judgement called in-process ([`crate::eval_direct`]).
async fn run_direct(
    settings: Settings,
    dataset: &Path,
    tickets: Vec<Ticket>,
    json_only: bool,
    cv: Option<usize>,
    also: &crate::train::Also,
) -> anyhow::Result<()> {
    steward_activities::db::ensure_database(settings.database.url()).await?;
    let pool = steward_activities::db::pool(settings.database.url(), 4)?;
    steward_activities::db::migrate(&pool).await?;
    let (articles, _) = steward_activities::kb::import_dir(&pool, &dataset.join("kb")).await?;
    let region = settings.activities.default_region.clone();
    let runner = Runner::Direct {
        pool: &pool,
        region: &region,
        min_confidence: settings.activities.policy.min_kb_confidence,
    };
    let started_all = Instant::now();
    let outcomes = match cv {
        None => runner.run(tickets, 0).await?,
        Some(k) => cross_validated(&runner, dataset, tickets, k, also).await?,
    };
    let wall = started_all.elapsed();
    let identity =
        crate::eval_identity::score(&pool, &dataset.join("identity.jsonl"), &region).await?;
    let setup = json!({
        "search_mode": search_mode(),
        "drafting": "offline, in-process (--direct: no workflow)",
        "cross_validation_folds": cv,
        "cross_validation_also": also.names,
    });
    let report = crate::eval_score::score(&outcomes, articles, identity, wall, setup);
    write_report(&report, &outcomes, json_only)
}

/// How tickets are run: through the stack, or judged in-process.
enum Runner<'a> {
    Stack(&'a Bench),
    Direct {
        pool: &'a sqlx::PgPool,
        region: &'a str,
        min_confidence: f32,
    },
}

impl Runner<'_> {
    async fn run(&self, tickets: Vec<Ticket>, offset: usize) -> anyhow::Result<Vec<Outcome>> {
        match self {
            Runner::Stack(bench) => bench.run_tickets(tickets, offset).await,
            Runner::Direct {
                pool,
                region,
                min_confidence,
            } => {
                let mut out = Vec::with_capacity(tickets.len());
                for ticket in tickets {
                    out.push(
                        crate::eval_direct::outcome(pool, ticket, region, *min_confidence).await?,
                    );
                }
                Ok(out)
            }
        }
    }
}

impl Bench {
    /// Sends the tickets in as their customers would, a wave at a time,
    /// waits for each one's first outcome and reads what its workflow did.
    async fn run_tickets(
        &self,
        tickets: Vec<Ticket>,
        offset: usize,
    ) -> anyhow::Result<Vec<Outcome>> {
        let mut outcomes = Vec::new();
        let mut n = offset;
        for wave in tickets.chunks(WAVE) {
            let mut pending = Vec::new();
            for ticket in wave {
                let (workflow_id, started) = self.submit(ticket, n).await?;
                pending.push((ticket.clone(), workflow_id, started));
                n += 1;
            }
            for (ticket, workflow_id, started) in pending {
                outcomes.push(self.outcome(ticket, &workflow_id, started).await);
            }
        }
        Ok(outcomes)
    }

    async fn submit(&self, ticket: &Ticket, n: usize) -> anyhow::Result<(String, Instant)> {
        let (channel, identity, name) = sender(ticket, &self.region)?;
        let sid = format!("EVAL{}{n:05}", self.id);
        let conversation = match channel {
            Channel::Whatsapp => identity.value.clone(),
            _ => format!("{}-{}", ticket.id, identity.value),
        };
        let started = Instant::now();
        if channel == Channel::Whatsapp {
            let params = crate::webhook_sign::whatsapp_form(
                &identity.value,
                "+14155550199",
                &ticket.body,
                &sid,
                &name,
            );
            let token =
                secrecy::ExposeSecret::expose_secret(&self.settings.gateway.twilio_auth_token)
                    .to_owned();
            let r = crate::webhook_sign::sign_whatsapp(token.as_bytes(), &self.base_url, &params)
                .post(&self.http)
                .await?;
            anyhow::ensure!(
                r.status().is_success(),
                "webhook for {} answered {}",
                ticket.id,
                r.status()
            );
        } else {
            self.producer
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
        Ok((ticket_workflow_id(channel, &conversation), started))
    }

    async fn outcome(&self, ticket: Ticket, workflow_id: &str, started: Instant) -> Outcome {
        let handle = self
            .client
            .get_workflow_handle::<TicketWorkflow>(workflow_id);
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
        let history = handle
            .fetch_history(Default::default())
            .to_json()
            .await
            .unwrap_or_default();
        Outcome {
            escalation: view
                .as_ref()
                .and_then(|v| v.escalation_reason)
                .map(|r| r.as_str().to_owned()),
            ticket,
            reply,
            latency_ms,
            ran: crate::eval_history::read(&history),
        }
    }
}
