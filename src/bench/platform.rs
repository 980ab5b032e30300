//! The platform's own limits, measured in the same run as Steward's
//! figures so that each of ours is a ratio to what the parts can do:
//! raw produce latency to the same broker with the gateway's producer
//! settings, and the Temporal server's rate for workflows that make only
//! the activity round trips a ticket makes.

use super::load::round2;
use super::stack::BenchStack;
use anyhow::{Context, anyhow};
use futures::StreamExt;
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use steward_activities::bench::BenchActivities;
use steward_workflows::RoundTripsWorkflow;
use temporalio_client::WorkflowStartOptions;
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

/// `n` records of an envelope's size, one after another, each awaited
/// (acks=all, idempotent, as the gateway produces).
pub(super) async fn raw_produce(bench: &BenchStack, n: usize) -> anyhow::Result<Value> {
    let topic = "steward-bench-raw";
    crate::stack::ensure_topics(&bench.settings.kafka.brokers, &[(topic, 12)]).await?;
    let producer: FutureProducer = steward_bus::producer::durable_producer_config(
        &bench.settings.kafka.brokers,
        Duration::from_secs(10),
    )
    .create()?;
    let payload = "x".repeat(1_024);
    let mut sample = Vec::with_capacity(n);
    for i in 0..n {
        let key = format!("+1555{i:07}");
        let started = Instant::now();
        producer
            .send(
                FutureRecord::to(topic).key(&key).payload(&payload),
                Duration::from_secs(10),
            )
            .await
            .map_err(|(e, _)| anyhow!("raw produce: {e}"))?;
        sample.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let sorted = crate::stats::sorted(sample);
    let p = |q: f64| round2(crate::stats::percentile(&sorted, q));
    Ok(json!({"records": n, "p50": p(0.5), "p95": p(0.95), "p99": p(0.99)}))
}

/// Workflows per second for `n` [`RoundTripsWorkflow`]s of `round_trips`
/// activities, 64 in flight, on a worker with default options (as ours).
pub(super) async fn empty_workflows(
    bench: &BenchStack,
    n: usize,
    round_trips: u32,
) -> anyhow::Result<f64> {
    let task_queue = format!("{}-baseline", bench.settings.intake.task_queue);
    let temporal = bench.settings.temporal.clone();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let queue = task_queue.clone();
    // The SDK's worker future is not Send: its own thread and runtime.
    let worker = std::thread::spawn(move || -> anyhow::Result<()> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        rt.block_on(async move {
            let client = crate::temporal::connect(&temporal).await?;
            let runtime =
                Runtime::from_current_tokio(Default::default()).context("worker runtime")?;
            let options = WorkerOptions::new(queue.as_str())
                .register_workflow::<RoundTripsWorkflow>()?
                .register_activities(BenchActivities)
                .build();
            let mut worker = Worker::new(&runtime, client, options)?;
            let stop = worker.shutdown_handle();
            tokio::spawn(async move {
                let _ = stop_rx.await;
                stop();
            });
            worker.run().await.context("baseline worker")
        })
    });
    let started = Instant::now();
    let finished = futures::stream::iter(0..n)
        .map(|i| {
            let options =
                WorkflowStartOptions::new(task_queue.clone(), format!("baseline-{i}")).build();
            async move {
                let handle = bench
                    .client
                    .start_workflow(RoundTripsWorkflow::run, round_trips, options)
                    .await?;
                handle
                    .get_result(Default::default())
                    .await
                    .map_err(|e| anyhow!("{e}"))
            }
        })
        .buffer_unordered(64)
        .collect::<Vec<anyhow::Result<u32>>>()
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    let _ = stop_tx.send(());
    let _ = tokio::task::spawn_blocking(move || worker.join()).await;
    let failed = finished.iter().filter(|r| r.is_err()).count();
    anyhow::ensure!(
        failed == 0,
        "{failed} baseline workflows failed: {:?}",
        finished.iter().find(|r| r.is_err())
    );
    Ok(round2(n as f64 / elapsed))
}
