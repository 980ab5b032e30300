//! Intake: `steward.inbound` → Temporal.
//!
//! For each envelope, in partition order: decode it, signal-with-start the
//! conversation's `TicketWorkflow`, and only then store the offset. Offsets
//! are stored by hand (`enable.auto.offset.store=false`) and committed by the
//! client's periodic commit and synchronously on revoke and shutdown; a crash
//! therefore redelivers, and the workflow drops the duplicate by provider
//! message id. Undecodable bytes go to the DLQ with the reason in a header.
//! Messages are handled one at a time, so when a rebalance or SIGTERM comes
//! there is at most one in flight, and it is finished first.

use crate::config::{IntakeConfig, KafkaConfig};
use crate::producer::{durable_producer_config, headers};
use rdkafka::consumer::{CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Header, Headers, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use rdkafka::{ClientConfig, ClientContext, Message};
use std::time::Duration;
use steward_domain::{InboundMessage, ticket_workflow_id};
use steward_workflows::{TicketStart, TicketWorkflow};
use temporalio_client::errors::WorkflowStartError;
use temporalio_client::{Client, WorkflowIdConflictPolicy, WorkflowStartOptions};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// Commits what was stored before partitions are taken away, so the next
/// owner starts exactly after the last message Temporal accepted.
struct IntakeContext;

impl ClientContext for IntakeContext {}

impl ConsumerContext for IntakeContext {
    fn pre_rebalance(
        &self,
        consumer: &rdkafka::consumer::BaseConsumer<Self>,
        rebalance: &Rebalance<'_>,
    ) {
        if let Rebalance::Revoke(partitions) = rebalance {
            tracing::info!(
                count = partitions.count(),
                "partitions revoked; committing stored offsets"
            );
            // Async: this runs on the poll path and must not block it when the
            // broker is gone (librdkafka also commits stored offsets itself on
            // revoke when auto-commit is on; this only makes it prompt).
            if let Err(err) = consumer.commit_consumer_state(CommitMode::Async) {
                // NoOffset just means nothing was stored since the last commit.
                tracing::debug!(%err, "commit on revoke");
            }
        }
    }
}

/// Why one message could not be handed to Temporal.
enum Outcome {
    Accepted,
    DeadLetter(String),
    /// Shutting down before Temporal accepted it: leave the offset alone.
    Interrupted,
}

pub struct Intake {
    consumer: StreamConsumer<IntakeContext>,
    dlq: FutureProducer,
    dlq_topic: String,
    client: Client,
    config: IntakeConfig,
}

impl Intake {
    pub fn new(kafka: &KafkaConfig, config: IntakeConfig, client: Client) -> anyhow::Result<Self> {
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
            .create_with_context(IntakeContext)?;
        consumer.subscribe(&[&kafka.inbound_topic])?;
        let dlq = durable_producer_config(
            &kafka.brokers,
            Duration::from_millis(kafka.produce_timeout_ms),
        )
        .create()?;
        Ok(Self {
            consumer,
            dlq,
            dlq_topic: kafka.dlq_topic.clone(),
            client,
            config,
        })
    }

    /// Runs until `shutdown` is cancelled, then commits and returns.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        tracing::info!(group = %self.config.group_id, "intake consuming");
        loop {
            let message = tokio::select! {
                _ = shutdown.cancelled() => break,
                received = self.consumer.recv() => received,
            };
            let message = match message {
                Ok(m) => m,
                Err(err) => {
                    tracing::warn!(%err, "kafka receive error");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
            match self.handle(&message, &shutdown).await {
                Outcome::Accepted => {}
                Outcome::DeadLetter(reason) => {
                    if !self.dead_letter(&message, &reason, &shutdown).await {
                        break;
                    }
                }
                Outcome::Interrupted => break,
            }
            self.consumer.store_offset_from_message(&message)?;
        }
        match self.consumer.commit_consumer_state(CommitMode::Sync) {
            Ok(()) => tracing::info!("intake stopped; offsets committed"),
            Err(err) => tracing::debug!(%err, "final commit"),
        }
        Ok(())
    }

    async fn handle(&self, message: &BorrowedMessage<'_>, shutdown: &CancellationToken) -> Outcome {
        let inbound = match InboundMessage::decode_envelope(message.payload().unwrap_or_default()) {
            Ok(m) => m,
            Err(err) => return Outcome::DeadLetter(err.to_string()),
        };
        let workflow_id = ticket_workflow_id(inbound.channel, &inbound.conversation_key);
        let span =
            tracing::info_span!("intake", correlation_id = %inbound.correlation_id, %workflow_id);
        self.deliver(&workflow_id, &inbound, shutdown)
            .instrument(span)
            .await
    }

    /// Signal-with-start, retried with back-off while Temporal is unavailable.
    async fn deliver(
        &self,
        workflow_id: &str,
        inbound: &InboundMessage,
        shutdown: &CancellationToken,
    ) -> Outcome {
        let mut backoff = Duration::from_millis(100);
        loop {
            match self.signal_with_start(workflow_id, inbound).await {
                Ok(()) => {
                    tracing::info!(provider_message_id = %inbound.provider_message_id, "ticket signalled");
                    return Outcome::Accepted;
                }
                Err(err) if is_permanent(&err) => return Outcome::DeadLetter(err.to_string()),
                Err(err) => {
                    tracing::warn!(%err, ?backoff, "temporal unavailable; retrying");
                    tokio::select! {
                        _ = shutdown.cancelled() => return Outcome::Interrupted,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_millis(self.config.max_backoff_ms));
                }
            }
        }
    }

    async fn signal_with_start(
        &self,
        workflow_id: &str,
        inbound: &InboundMessage,
    ) -> Result<(), WorkflowStartError> {
        let options =
            WorkflowStartOptions::new(self.config.task_queue.clone(), workflow_id.to_owned())
                .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
                .build();
        self.client
            .signal_with_start_workflow(
                TicketWorkflow::run,
                TicketStart::default(),
                TicketWorkflow::customer_message,
                inbound.clone(),
                options,
            )
            .await
            .map(|_| ())
    }

    /// Copies the message to the DLQ with the reason; false if shutting down
    /// before the DLQ acknowledged it (the offset is then not stored).
    async fn dead_letter(
        &self,
        message: &BorrowedMessage<'_>,
        reason: &str,
        shutdown: &CancellationToken,
    ) -> bool {
        let source = format!(
            "{}/{}/{}",
            message.topic(),
            message.partition(),
            message.offset()
        );
        tracing::error!(%reason, %source, "message sent to the dead-letter topic");
        let mut dlq_headers = OwnedHeaders::new();
        if let Some(original) = message.headers() {
            for h in original.iter() {
                dlq_headers = dlq_headers.insert(Header {
                    key: h.key,
                    value: h.value,
                });
            }
        }
        let dlq_headers = dlq_headers
            .insert(Header {
                key: headers::DLQ_REASON,
                value: Some(reason),
            })
            .insert(Header {
                key: headers::DLQ_SOURCE,
                value: Some(source.as_str()),
            });
        loop {
            let mut record = FutureRecord::to(&self.dlq_topic)
                .payload(message.payload().unwrap_or_default())
                .headers(dlq_headers.clone());
            if let Some(key) = message.key() {
                record = record.key(key);
            }
            match self.dlq.send(record, Timeout::Never).await {
                Ok(_) => return true,
                Err((err, _)) => {
                    tracing::warn!(%err, "dead-letter produce failed; retrying");
                    tokio::select! {
                        _ = shutdown.cancelled() => return false,
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        }
    }
}

/// Errors that a retry cannot fix: the payload itself is unacceptable.
fn is_permanent(err: &WorkflowStartError) -> bool {
    use temporalio_client::tonic::Code;
    match err {
        WorkflowStartError::PayloadConversion(_) => true,
        WorkflowStartError::Rpc(status) => matches!(status.code(), Code::InvalidArgument),
        _ => false,
    }
}
