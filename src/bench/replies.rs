//! Inbound → reply: from posting a customer's WhatsApp message to the
//! reply arriving at the Twilio stand-in (webhook, Kafka, intake, the
//! ticket's workflow and its activities, the send), offline responder.

use super::load::{post_whatsapp, round2};
use super::stack::BenchStack;
use crate::stats;
use futures::StreamExt;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use steward_domain::{Channel, ticket_workflow_id};

const QUESTION: &str = "Hi! How do I reset my password? I forgot it.";

/// Sorted latencies (ms) of one stage, and the last ticket's workflow.
pub(super) struct Latencies {
    sorted: Vec<f64>,
    pub(super) last_workflow: String,
    /// When the last ticket was posted (Unix ms), to line up with its history.
    pub(super) last_posted_unix_ms: f64,
    pub(super) per_sec: f64,
}

impl Latencies {
    pub(super) fn p(&self, q: f64) -> f64 {
        stats::percentile(&self.sorted, q)
    }

    pub(super) fn figures(&self) -> Value {
        json!({
            "tickets": self.sorted.len(),
            "p50": round2(self.p(0.5)), "p95": round2(self.p(0.95)),
            "p99": round2(self.p(0.99)), "max": round2(self.p(1.0)),
        })
    }
}

/// `n` tickets, each posted when the previous one's reply arrived.
pub(super) async fn one_at_a_time(bench: &BenchStack, n: usize) -> anyhow::Result<Latencies> {
    let mut sorted = Vec::with_capacity(n);
    let mut last_workflow = String::new();
    let mut last_posted_unix_ms = 0.0;
    let started = Instant::now();
    for _ in 0..n {
        let serial = bench.next_serial();
        let phone = BenchStack::phone(serial);
        let posted = Instant::now();
        last_posted_unix_ms = chrono::Utc::now().timestamp_micros() as f64 / 1000.0;
        anyhow::ensure!(
            post_whatsapp(bench, serial, QUESTION).await,
            "the gateway refused a webhook"
        );
        let arrived = wait_for_replies(
            bench,
            std::slice::from_ref(&phone),
            Duration::from_secs(120),
        )
        .await?;
        sorted.push(ms(arrived[&phone], posted));
        last_workflow = ticket_workflow_id(Channel::Whatsapp, &phone);
    }
    let per_sec = n as f64 / started.elapsed().as_secs_f64();
    Ok(Latencies {
        sorted: stats::sorted(sorted),
        last_workflow,
        last_posted_unix_ms,
        per_sec,
    })
}

/// `n` tickets offered at `rate` per second (open loop); tickets/s is `n`
/// over the time from the first post to the last reply.
pub(super) async fn offered(bench: &BenchStack, n: usize, rate: u32) -> anyhow::Result<Latencies> {
    let start = Instant::now() + Duration::from_millis(50);
    let posted: Vec<(String, Instant)> = futures::stream::iter(0..n)
        .map(|i| async move {
            let due = start + Duration::from_secs_f64(i as f64 / rate as f64);
            tokio::time::sleep_until(due.into()).await;
            let serial = bench.next_serial();
            let ok = post_whatsapp(bench, serial, QUESTION).await;
            ok.then(|| (BenchStack::phone(serial), due))
        })
        .buffer_unordered(1_024)
        .filter_map(futures::future::ready)
        .collect()
        .await;
    anyhow::ensure!(
        posted.len() == n,
        "the gateway refused {} of {n} webhooks",
        n - posted.len()
    );
    let phones: Vec<String> = posted.iter().map(|(p, _)| p.clone()).collect();
    let arrived = wait_for_replies(bench, &phones, Duration::from_secs(1_800)).await?;
    let last = arrived.values().max().copied().unwrap_or(start);
    let sorted = posted
        .iter()
        .map(|(phone, due)| ms(arrived[phone], *due))
        .collect();
    Ok(Latencies {
        sorted: stats::sorted(sorted),
        last_workflow: ticket_workflow_id(Channel::Whatsapp, &phones[n - 1]),
        last_posted_unix_ms: 0.0,
        per_sec: n as f64 / last.duration_since(start).as_secs_f64(),
    })
}

/// Waits until every acknowledged WhatsApp ticket of the run was answered;
/// then counts the ticket workflows still open (each holding live timers).
pub(super) async fn until_all_answered(
    bench: &BenchStack,
    timeout: Duration,
) -> anyhow::Result<Value> {
    let started = Instant::now();
    let expected = bench.accepted_whatsapp();
    while bench.twilio.recipients() < expected {
        anyhow::ensure!(
            started.elapsed() < timeout,
            "{} of {expected} WhatsApp tickets answered after {timeout:?}",
            bench.twilio.recipients()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let waited_secs = round2(started.elapsed().as_secs_f64());
    let refused = bench.twilio.refused.lock().map(|r| *r).unwrap_or_default();
    Ok(json!({
        "waited_secs": waited_secs,
        "whatsapp_tickets_answered": bench.twilio.recipients(),
        "messages_at_twilio": bench.twilio.count(),
        "refused_by_twilio": refused,
        "acknowledged_tickets": bench.accepted_count(),
        "open_ticket_workflows": bench.running_tickets().await?,
    }))
}

async fn wait_for_replies(
    bench: &BenchStack,
    phones: &[String],
    timeout: Duration,
) -> anyhow::Result<HashMap<String, Instant>> {
    let deadline = Instant::now() + timeout;
    let mut arrived = HashMap::with_capacity(phones.len());
    // A single ticket is polled tightly (its latency is the figure); many
    // are polled less often, as their spread is far wider than the poll.
    let poll = Duration::from_millis(if phones.len() == 1 { 1 } else { 20 });
    loop {
        for phone in phones
            .iter()
            .filter(|p| !arrived.contains_key(*p))
            .collect::<Vec<_>>()
        {
            if let Some(at) = bench.twilio.arrival(phone) {
                arrived.insert(phone.clone(), at);
            }
        }
        let missing = phones.len() - arrived.len();
        if missing == 0 {
            return Ok(arrived);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{missing} tickets had no reply after {timeout:?}"
        );
        tokio::time::sleep(poll).await;
    }
}

fn ms(later: Instant, earlier: Instant) -> f64 {
    later.saturating_duration_since(earlier).as_secs_f64() * 1000.0
}
