//! Intake's consumer lag: records on the inbound topic that intake has not
//! committed yet, read with one client for the whole stage (a client per
//! poll would be a new broker connection ten times a second).

use super::load::round2;
use super::stack::BenchStack;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(super) struct LagProbe {
    consumer: Arc<BaseConsumer>,
    topic: String,
}

impl LagProbe {
    /// A client of intake's group that never subscribes (so it never joins
    /// the group or moves its offsets): it only reads them.
    pub(super) fn new(bench: &BenchStack) -> anyhow::Result<Self> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &bench.settings.kafka.brokers)
            .set("group.id", &bench.settings.intake.group_id)
            .set("enable.auto.commit", "false")
            .create()?;
        Ok(Self {
            consumer: Arc::new(consumer),
            topic: bench.settings.kafka.inbound_topic.clone(),
        })
    }

    /// The lag now, summed over the topic's partitions.
    pub(super) async fn lag(&self) -> anyhow::Result<i64> {
        let (consumer, topic) = (self.consumer.clone(), self.topic.clone());
        tokio::task::spawn_blocking(move || {
            let timeout = Duration::from_secs(10);
            let metadata = consumer.fetch_metadata(Some(&topic), timeout)?;
            let partitions = metadata
                .topics()
                .first()
                .map_or(0, |t| t.partitions().len()) as i32;
            let mut list = TopicPartitionList::new();
            for p in 0..partitions {
                list.add_partition(&topic, p);
            }
            let committed = consumer.committed_offsets(list, timeout)?;
            let mut lag = 0;
            for element in committed.elements() {
                let (low, high) =
                    consumer.fetch_watermarks(&topic, element.partition(), timeout)?;
                let at = match element.offset() {
                    Offset::Offset(n) => n,
                    _ => low,
                };
                lag += (high - at.max(low)).max(0);
            }
            Ok(lag)
        })
        .await?
    }

    /// [`LagProbe::lag`], asked again while the broker is too busy to
    /// answer (a burst keeps it busy: that is a figure, not a failure).
    pub(super) async fn lag_when_answered(&self) -> anyhow::Result<i64> {
        let mut attempts = 0;
        loop {
            match self.lag().await {
                Ok(lag) => return Ok(lag),
                Err(err) if attempts < 30 => {
                    attempts += 1;
                    eprintln!("[bench] intake lag unknown ({err}); asking again");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(err) => return Err(err),
            }
        }
    }
}

/// Time until intake has handed everything waiting in Kafka to Temporal.
pub(super) async fn drain(bench: &BenchStack) -> anyhow::Result<Value> {
    let probe = LagProbe::new(bench)?;
    let started = Instant::now();
    let waiting = probe.lag_when_answered().await?;
    while probe.lag_when_answered().await? > 0 {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(1_800),
            "intake lag not 0 after 30 min"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    Ok(json!({
        "records": waiting,
        "lag_zero_after_secs": round2(secs),
        "records_per_sec": round2(waiting as f64 / secs),
    }))
}
