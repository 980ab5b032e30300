//! Messages handed to a partition lane but not yet stored, per partition,
//! so that a rebalance can wait for them before partitions are given away.

use rdkafka::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use std::collections::HashMap;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long a revoke waits for in-flight messages (Temporal retries are
/// bounded by shutdown, so this is only reached when Temporal is down).
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Default)]
pub(crate) struct InFlight {
    counts: Mutex<HashMap<i32, usize>>,
    changed: Condvar,
}

impl InFlight {
    pub(crate) fn started(&self, partition: i32) {
        *self.counts.lock().unwrap().entry(partition).or_default() += 1;
    }

    pub(crate) fn finished(&self, partition: i32) {
        let mut counts = self.counts.lock().unwrap();
        if let Some(n) = counts.get_mut(&partition) {
            *n = n.saturating_sub(1);
        }
        self.changed.notify_all();
    }

    /// Blocks until none of `partitions` has work in flight (or the timeout).
    pub(crate) fn wait_idle(&self, partitions: &[i32]) -> bool {
        let deadline = Instant::now() + DRAIN_TIMEOUT;
        let mut counts = self.counts.lock().unwrap();
        loop {
            if partitions
                .iter()
                .all(|p| counts.get(p).copied().unwrap_or(0) == 0)
            {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            counts = self.changed.wait_timeout(counts, left).unwrap().0;
        }
    }
}

/// Drains the revoked partitions' lanes, then commits what they stored, so
/// the next owner starts exactly after the last message Temporal accepted.
pub(crate) struct IntakeContext {
    pub(crate) in_flight: std::sync::Arc<InFlight>,
}

impl ClientContext for IntakeContext {}

impl ConsumerContext for IntakeContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(list) = rebalance {
            let partitions: Vec<i32> = list.elements().iter().map(|e| e.partition()).collect();
            let drained = self.in_flight.wait_idle(&partitions);
            tracing::info!(
                count = partitions.len(),
                drained,
                "partitions revoked; committing stored offsets"
            );
            if let Err(err) = consumer.commit_consumer_state(CommitMode::Sync) {
                // NoOffset just means nothing was stored since the last commit.
                tracing::debug!(%err, "commit on revoke");
            }
        }
    }
}
