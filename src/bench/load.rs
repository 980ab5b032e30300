//! Webhook load: posts at a fixed offered rate, open loop (each request is
//! timed from when it was due, not from when it went out, so a slow server
//! cannot hide its queue by slowing the generator), and a burst posted as
//! fast as it is accepted, timed until intake's consumer lag is zero.
//!
//! The mix is the channels' own: four signed WhatsApp webhooks in five, and
//! one web-form submission behind a trusted proxy (a distinct client
//! address each, as a load balancer forwards them).

use super::lag::LagProbe;
use super::stack::BenchStack;
use crate::stats;
use futures::StreamExt;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Requests allowed in flight at once: far above what 500 req/s needs at
/// any sane latency, so the generator does not throttle the server.
const IN_FLIGHT: usize = 1_024;
/// The highest sustained rate: every request answered 200, the rate kept
/// (≥ 95% of offered) and p99 within this bound, so no queue is building.
const SUSTAINED_P99_MS: f64 = 100.0;

const QUESTION: &str = "How do I reset my password? I can't log in since yesterday.";

/// Posts a new ticket (a new customer); whether it was acknowledged.
pub(super) async fn post_ticket(bench: &BenchStack) -> bool {
    let n = bench.next_serial();
    if n % 5 != 4 {
        return post_whatsapp(bench, n, QUESTION).await;
    }
    let form = json!({
        "name": "Bench Customer", "email": format!("bench{n}@example.com"), "phone": "",
        "category": "question", "subject": "Password reset", "message": QUESTION, "website": "",
    });
    let ip = format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255);
    let response = bench
        .http
        .post(format!("{}/api/support/submit", bench.base_url))
        .header("x-forwarded-for", ip)
        .json(&form)
        .send()
        .await;
    let ok = response.is_ok_and(|r| r.status().is_success());
    if ok {
        bench.accepted(false);
    }
    ok
}

/// Ticket `n`'s customer writes on WhatsApp, signed as Twilio signs.
pub(super) async fn post_whatsapp(bench: &BenchStack, n: u64, text: &str) -> bool {
    let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
    let params = crate::webhook_sign::whatsapp_form(
        &BenchStack::phone(n),
        "+14155238886",
        text,
        &sid,
        "Bench Customer",
    );
    let response =
        crate::webhook_sign::sign_whatsapp(bench.twilio_token.as_bytes(), &bench.base_url, &params)
            .post(&bench.http)
            .await;
    let ok = response.is_ok_and(|r| r.status().is_success());
    if ok {
        bench.accepted(true);
    }
    ok
}

/// `rate` requests per second for `duration`, open loop.
pub(super) async fn offered_rate(
    bench: &BenchStack,
    rate: u32,
    duration: Duration,
) -> anyhow::Result<Value> {
    let total = (rate as f64 * duration.as_secs_f64()).round() as u64;
    let start = Instant::now() + Duration::from_millis(50);
    let results: Vec<(bool, f64)> = futures::stream::iter(0..total)
        .map(|i| async move {
            let due = start + Duration::from_secs_f64(i as f64 / rate as f64);
            tokio::time::sleep_until(due.into()).await;
            let ok = post_ticket(bench).await;
            (ok, due.elapsed().as_secs_f64() * 1000.0)
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let elapsed = start.elapsed().as_secs_f64();
    let errors = results.iter().filter(|(ok, _)| !ok).count();
    let latencies = stats::sorted(results.into_iter().map(|(_, ms)| ms).collect());
    let p = |q: f64| round2(stats::percentile(&latencies, q));
    Ok(json!({
        "offered_rate": rate, "secs": duration.as_secs_f64(), "requests": total, "errors": errors,
        "achieved_rate": (total as f64 / elapsed).round(),
        "p50_ms": p(0.5), "p95_ms": p(0.95), "p99_ms": p(0.99), "max_ms": p(1.0),
    }))
}

/// The highest offered rate that was kept up with (see [`SUSTAINED_P99_MS`]).
pub(super) fn highest_sustained(curve: &[Value]) -> Option<u64> {
    curve
        .iter()
        .filter(|s| {
            s["errors"].as_u64() == Some(0)
                && s["achieved_rate"].as_f64().unwrap_or(0.0)
                    >= 0.95 * s["offered_rate"].as_f64().unwrap_or(f64::MAX)
                && s["p99_ms"].as_f64().unwrap_or(f64::MAX) <= SUSTAINED_P99_MS
        })
        .filter_map(|s| s["offered_rate"].as_u64())
        .max()
}

/// `n` webhooks at once (and whatever still waits in Kafka); time until
/// intake has handed every record to Temporal, and every acknowledged
/// webhook's ticket exists. Piled onto a backlog of 13,000 records, the
/// dev broker (tansu 0.6, sqlite) timed out a produce request and then
/// panicked on the producer's bumped epoch: see the README.
pub(super) async fn burst(bench: &BenchStack, n: u64) -> anyhow::Result<Value> {
    let probe = LagProbe::new(bench)?;
    let waiting = probe.lag_when_answered().await?;
    let started = Instant::now();
    let acknowledged = futures::stream::iter(0..n)
        .map(|_| post_ticket(bench))
        .buffer_unordered(64)
        .filter(|ok| futures::future::ready(*ok))
        .count()
        .await;
    let posted_secs = started.elapsed().as_secs_f64();
    let mut peak_lag = waiting;
    loop {
        let lag = probe.lag_when_answered().await?;
        peak_lag = peak_lag.max(lag);
        if lag == 0 {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(1_800),
            "intake lag still {lag} after 30 min"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let drained_secs = started.elapsed().as_secs_f64();
    // Visibility trails the starts by a moment: wait for the count to settle.
    let expected = bench.accepted_count();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut started_tickets = bench.ticket_workflows().await?;
    while started_tickets < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        started_tickets = bench.ticket_workflows().await?;
    }
    Ok(json!({
        "waiting_in_kafka_before": waiting, "webhooks": n, "acknowledged": acknowledged,
        "posted_secs": round2(posted_secs), "lag_zero_after_secs": round2(drained_secs),
        "peak_lag": peak_lag,
        "acknowledged_in_run": expected, "ticket_workflows": started_tickets,
        "lost": expected.saturating_sub(started_tickets),
    }))
}

pub(super) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_sustained_rate_has_no_error_keeps_the_rate_and_a_bounded_p99() {
        let stage = |rate: u64, achieved: f64, errors: u64, p99: f64| json!({"offered_rate": rate, "achieved_rate": achieved, "errors": errors, "p99_ms": p99});
        let curve = [
            stage(100, 100.0, 0, 5.0),
            stage(500, 499.0, 0, 40.0),
            stage(1000, 990.0, 0, 180.0),
            stage(2000, 1500.0, 0, 20.0),
            stage(4000, 4000.0, 3, 20.0),
        ];
        assert_eq!(highest_sustained(&curve), Some(500));
        assert_eq!(highest_sustained(&curve[2..]), None);
    }
}
