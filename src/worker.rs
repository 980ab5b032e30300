//! The Temporal worker: ticket workflows and their activities on one task queue.
//!
//! The SDK's `Worker::run` future is not `Send`, so the worker gets its own
//! thread and Tokio runtime; it opens its own Temporal connection and
//! database pool there, so no I/O resource crosses runtimes.

use crate::settings::Settings;
use crate::temporal;
use anyhow::{Context, anyhow};
use std::sync::{Arc, OnceLock};
use steward_activities::TicketActivities;
use steward_activities::claims::ClaimActivities;
use steward_activities::config::StatusLinks;
use steward_activities::identity::expiry::CodeExpiryTimers;
use steward_activities::mailbox::{EnvelopeSink, MailboxActivities};
use steward_bus::KafkaConfig;
use steward_bus::producer::InboundProducer;
use steward_domain::InboundMessage;
use steward_domain::ticket_io::ClaimCodeWatch;
use steward_workflows::{
    ClaimCodeWorkflow, MailboxStart, MailboxWorkflow, TicketWorkflow, mailbox_workflow_id,
};
use temporalio_client::{WorkflowIdConflictPolicy, WorkflowStartOptions};
use temporalio_sdk::{Runtime, Worker, WorkerOptions};
use tokio_util::sync::CancellationToken;

/// Starts the worker on its own thread; the future resolves when it stops
/// (after `shutdown` is cancelled and in-flight tasks are done, or on error).
pub fn spawn(
    settings: Settings,
    shutdown: CancellationToken,
) -> impl Future<Output = anyhow::Result<()>> + Send + 'static {
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("temporal-worker".into())
        .spawn(move || {
            let result = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("temporal-worker-rt")
                .enable_all()
                .build()
                .context("building the worker runtime")
                .and_then(|rt| rt.block_on(run(settings, shutdown)));
            let _ = done_tx.send(result);
        });
    async move {
        spawned.context("spawning the worker thread")?;
        done_rx
            .await
            .unwrap_or_else(|_| Err(anyhow!("the worker thread panicked")))
    }
}

async fn run(settings: Settings, shutdown: CancellationToken) -> anyhow::Result<()> {
    let client = temporal::connect(&settings.temporal).await?;
    let pool =
        steward_activities::db::pool(settings.database.url(), settings.database.max_connections)?;
    let runtime = Runtime::from_current_tokio(runtime_options(&settings)?)
        .context("creating the Temporal worker runtime")?;
    let task_queue = settings.intake.task_queue.clone();
    let sink = Arc::new(KafkaSink {
        kafka: settings.kafka.clone(),
        producer: OnceLock::new(),
    });
    let gmail = &settings.activities.gmail;
    // The gateway's link secret and address: status links the worker sends
    // must open on the gateway.
    let mut activity_settings = settings.activities.clone();
    activity_settings.status_links = Some(StatusLinks {
        secret: settings.gateway.ticket_link_secret.clone(),
        base_url: settings.gateway.public_url(),
    });
    let code_timers = Arc::new(ClaimCodeTimers {
        client: client.clone(),
        task_queue: task_queue.clone(),
    });
    let options = WorkerOptions::new(task_queue.as_str())
        .register_workflow::<TicketWorkflow>()?
        .register_workflow::<MailboxWorkflow>()?
        .register_workflow::<ClaimCodeWorkflow>()?
        .register_activities(
            TicketActivities::new(pool.clone(), activity_settings).with_code_timers(code_timers),
        )
        .register_activities(ClaimActivities::new(pool.clone()))
        .register_activities(MailboxActivities::new(pool, gmail, sink))
        .build();
    if gmail.configured() {
        start_mailbox(&client, &task_queue, &gmail.mailbox).await?;
    }
    let mut worker = Worker::new(&runtime, client, options).context("creating the worker")?;
    let stop = worker.shutdown_handle();
    tokio::spawn(async move {
        shutdown.cancelled().await;
        tracing::info!("worker shutting down");
        stop();
    });
    tracing::info!(%task_queue, "worker polling");
    worker.run().await.context("worker stopped with an error")
}

/// Synced mails go where webhooks put messages: the inbound topic. The
/// producer opens with the first mail, so a worker without a mailbox holds
/// no idle Kafka connection.
struct KafkaSink {
    kafka: KafkaConfig,
    producer: OnceLock<InboundProducer>,
}

impl KafkaSink {
    fn producer(&self) -> Result<&InboundProducer, String> {
        if let Some(producer) = self.producer.get() {
            return Ok(producer);
        }
        let opened = InboundProducer::new(&self.kafka).map_err(|e| e.to_string())?;
        Ok(self.producer.get_or_init(|| opened))
    }
}

impl EnvelopeSink for KafkaSink {
    fn publish<'a>(
        &'a self,
        message: &'a InboundMessage,
    ) -> futures::future::BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let producer = self.producer()?;
            producer.publish(message).await.map_err(|e| e.to_string())
        })
    }
}

/// Starts the mailbox's sync workflow unless it runs already, so the poll
/// fallback works before (and without) any push.
async fn start_mailbox(
    client: &temporalio_client::Client,
    task_queue: &str,
    mailbox: &str,
) -> anyhow::Result<()> {
    let options = WorkflowStartOptions::new(task_queue.to_owned(), mailbox_workflow_id(mailbox))
        .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
        .build();
    let start = MailboxStart {
        mailbox: mailbox.trim().to_ascii_lowercase(),
        watch_expires_unix_ms: None,
    };
    client
        .start_workflow(MailboxWorkflow::run, start, options)
        .await
        .context("starting the mailbox sync workflow")?;
    tracing::info!(%mailbox, "mailbox sync running");
    Ok(())
}

/// With `admin.sdk_metrics_listen`, the SDK's own worker metrics (task
/// latencies, slots, sticky cache, polls) are served there for Prometheus.
fn runtime_options(settings: &Settings) -> anyhow::Result<temporalio_sdk::runtime::RuntimeOptions> {
    use temporalio_common::telemetry::{
        PrometheusExporterOptions, TelemetryOptions, start_prometheus_metric_exporter,
    };
    let Some(listen) = &settings.admin.sdk_metrics_listen else {
        return Ok(Default::default());
    };
    let exporter = start_prometheus_metric_exporter(
        PrometheusExporterOptions::builder()
            .socket_addr(listen.parse().context("admin.sdk_metrics_listen")?)
            .counters_total_suffix(true)
            .use_seconds_for_durations(true)
            .build(),
    )?;
    tracing::info!(addr = %exporter.bound_addr, "Temporal SDK metrics exported");
    temporalio_sdk::runtime::RuntimeOptions::builder()
        .telemetry_options(
            TelemetryOptions::builder()
                .metrics(
                    exporter.meter
                        as std::sync::Arc<dyn temporalio_common::telemetry::metrics::CoreMeter>,
                )
                .build(),
        )
        .build()
        .map_err(|e| anyhow::anyhow!("runtime options: {e}"))
}

/// Starts a claim code's expiry workflow on the worker's task queue; a
/// second start for the same code (a retried activity) is a no-op.
struct ClaimCodeTimers {
    client: temporalio_client::Client,
    task_queue: String,
}

impl CodeExpiryTimers for ClaimCodeTimers {
    fn start<'a>(
        &'a self,
        watch: &'a ClaimCodeWatch,
    ) -> futures::future::BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let options = WorkflowStartOptions::new(self.task_queue.clone(), watch.workflow_id())
                .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
                .static_summary(watch.summary())
                .build();
            self.client
                .start_workflow(ClaimCodeWorkflow::run, watch.clone(), options)
                .await
                .map(|_| ())
                .map_err(|err| err.to_string())
        })
    }
}
