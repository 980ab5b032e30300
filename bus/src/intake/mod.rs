//! Intake: `steward.inbound` → Temporal.
//!
//! Each partition gets a lane: a task that handles its messages strictly in
//! order (one conversation's messages share a partition, so they stay in
//! order) while partitions proceed in parallel. A lane decodes the envelope,
//! signal-with-starts the conversation's `TicketWorkflow`, and only then
//! stores the offset (`enable.auto.offset.store=false`); stored offsets are
//! committed periodically, on revoke (after the revoked lanes drained) and on
//! shutdown (after every lane drained). A crash therefore redelivers, and the
//! workflow drops the duplicate by provider message id. Undecodable bytes go
//! to the DLQ with the reason in a header, and the partition moves on.
//!
//! - `inflight`: per-partition in-flight counts; the rebalance hook.
//! - `delivery`: signal-with-start with back-off, and the dead-letter path.

mod delivery;
mod inflight;

use crate::config::{IntakeConfig, KafkaConfig};
use crate::producer::durable_producer_config;
use delivery::Outcome;
use inflight::{InFlight, IntakeContext};
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::OwnedMessage;
use rdkafka::producer::FutureProducer;
use rdkafka::{ClientConfig, Message};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use temporalio_client::Client;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Messages buffered per lane before the consumer waits (back-pressure).
const LANE_DEPTH: usize = 64;

pub struct Intake {
    consumer: Arc<StreamConsumer<IntakeContext>>,
    in_flight: Arc<InFlight>,
    dlq: FutureProducer,
    dlq_topic: String,
    client: Client,
    config: IntakeConfig,
}

impl Intake {
    pub fn new(kafka: &KafkaConfig, config: IntakeConfig, client: Client) -> anyhow::Result<Self> {
        let in_flight = Arc::new(InFlight::default());
        let consumer: StreamConsumer<IntakeContext> = ClientConfig::new()
            .set("bootstrap.servers", &kafka.brokers)
            .set("group.id", &config.group_id)
            .set("enable.auto.commit", "true")
            .set("auto.commit.interval.ms", "1000")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("session.timeout.ms", "10000")
            // Bounds how long a commit or close can block when the broker is down.
            .set("socket.timeout.ms", "10000")
            .set("client.id", "steward-intake")
            .set("fetch.wait.max.ms", config.fetch_wait_max_ms.to_string())
            .create_with_context(IntakeContext {
                in_flight: in_flight.clone(),
            })?;
        consumer.subscribe(&[&kafka.inbound_topic])?;
        let dlq = durable_producer_config(
            &kafka.brokers,
            Duration::from_millis(kafka.produce_timeout_ms),
        )
        .create()?;
        Ok(Self {
            consumer: Arc::new(consumer),
            in_flight,
            dlq,
            dlq_topic: kafka.dlq_topic.clone(),
            client,
            config,
        })
    }

    /// Runs until `shutdown` is cancelled; then lets every lane finish its
    /// in-flight message, commits, and returns.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        tracing::info!(group = %self.config.group_id, "intake consuming");
        let intake = Arc::new(self);
        let lag = tokio::spawn(report_lag(intake.consumer.clone(), shutdown.clone()));
        let mut lanes: HashMap<i32, mpsc::Sender<OwnedMessage>> = HashMap::new();
        let mut tasks = JoinSet::new();
        loop {
            let received = tokio::select! {
                _ = shutdown.cancelled() => break,
                received = intake.consumer.recv() => received,
            };
            let message = match received {
                Ok(m) => m.detach(),
                Err(err) => {
                    tracing::warn!(%err, "kafka receive error");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
            let partition = message.partition();
            let lane = lanes.entry(partition).or_insert_with(|| {
                let (tx, rx) = mpsc::channel(LANE_DEPTH);
                tasks.spawn(intake.clone().lane(rx, shutdown.clone()));
                tx
            });
            intake.in_flight.started(partition);
            if lane.send(message).await.is_err() {
                intake.in_flight.finished(partition);
                break;
            }
        }
        drop(lanes);
        while tasks.join_next().await.is_some() {}
        lag.abort();
        match intake.consumer.commit_consumer_state(CommitMode::Sync) {
            Ok(()) => tracing::info!("intake stopped; offsets committed"),
            Err(err) => tracing::debug!(%err, "final commit"),
        }
        Ok(())
    }

    /// One partition's messages, in order.
    async fn lane(
        self: Arc<Self>,
        mut rx: mpsc::Receiver<OwnedMessage>,
        shutdown: CancellationToken,
    ) {
        while let Some(message) = rx.recv().await {
            let partition = message.partition();
            let outcome = self.handle(&message, &shutdown).await;
            let stored = match outcome {
                Outcome::Done => {
                    self.consumer
                        .store_offset(message.topic(), partition, message.offset())
                }
                Outcome::Interrupted => Ok(()),
            };
            if let Err(err) = stored {
                // The partition was revoked meanwhile: the next owner
                // redelivers, and the workflow drops the duplicate.
                tracing::warn!(%err, partition, "could not store offset");
            }
            self.in_flight.finished(partition);
            if matches!(outcome, Outcome::Interrupted) {
                // Drop the rest: none of it was accepted, none is stored.
                while let Ok(rest) = rx.try_recv() {
                    self.in_flight.finished(rest.partition());
                }
                return;
            }
        }
    }
}

/// Every 15 s: how far each assigned partition is behind its high
/// watermark (what KEDA's kafka scaler acts on, seen from inside).
async fn report_lag(consumer: Arc<StreamConsumer<IntakeContext>>, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(15)) => {}
        }
        let consumer = consumer.clone();
        let lags = tokio::task::spawn_blocking(move || {
            let Ok(positions) = consumer.position() else {
                return Vec::new();
            };
            positions
                .elements()
                .iter()
                .filter_map(|e| {
                    let (_, high) = consumer
                        .fetch_watermarks(e.topic(), e.partition(), Duration::from_secs(2))
                        .ok()?;
                    let position = e.offset().to_raw().filter(|o| *o >= 0).unwrap_or(0);
                    Some((e.partition(), (high - position).max(0)))
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        for (partition, lag) in lags {
            crate::metrics::INTAKE_LAG
                .with_label_values(&[&partition.to_string()])
                .set(lag);
        }
    }
}
