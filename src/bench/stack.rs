//! The bench's throwaway stack: a Temporal dev server and tansu on free
//! ports, its own database with the demo knowledge base, a Twilio stand-in,
//! and the three roles as separate `steward` processes configured the way
//! production configures them (`STEWARD_*` variables), so each role's RSS
//! is its own and the gateway's latency crosses a real process boundary.

use super::BenchOptions;
use super::profile::TicketProfile;
use super::scratch::ScratchDatabase;
use super::standin::TwilioStandIn;
use crate::settings::Settings;
use crate::stack::{self, Supervised};
use anyhow::Context;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use temporalio_client::{Client, WorkflowCountOptions};
use tokio::sync::Mutex;

pub(super) struct BenchStack {
    pub(super) settings: Settings,
    pub(super) base_url: String,
    pub(super) http: reqwest::Client,
    /// The webhook signing token of this run (fresh secrets each run: the
    /// roles refuse development ones, as in production).
    pub(super) twilio_token: String,
    pub(super) client: Client,
    pub(super) twilio: TwilioStandIn,
    database: ScratchDatabase,
    state: PathBuf,
    env: Vec<(String, String)>,
    servers: Vec<Supervised>,
    gateway: Supervised,
    worker: Supervised,
    intake: Mutex<Option<Supervised>>,
    /// Serial numbers of the run's tickets (each a new customer).
    serials: AtomicU64,
    /// Webhooks and forms the gateway acknowledged with a 2xx, and of
    /// those the WhatsApp ones (answered at the Twilio stand-in).
    acknowledged: AtomicU64,
    acknowledged_whatsapp: AtomicU64,
}

impl BenchStack {
    pub(super) async fn start(mut settings: Settings, opts: &BenchOptions) -> anyhow::Result<Self> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let state = std::env::temp_dir().join(format!("steward-bench-{id}"));
        std::fs::create_dir_all(&state)?;
        let (servers, temporal_addr, kafka_addr) = stack::start_ephemeral(&state).await?;
        let database = ScratchDatabase::create(settings.database.url(), "steward_bench").await?;
        let database_url = database.url.clone();
        settings.database.url = database_url.clone().into();
        settings.temporal.address = Some(temporal_addr.clone());
        settings.kafka.brokers = kafka_addr.clone();
        settings.intake.task_queue = format!("steward-bench-{id}");
        settings.intake.group_id = format!("steward-bench-{id}");
        steward_activities::kb::import_dir(&database.pool, &opts.kb_dir)
            .await
            .with_context(|| format!("importing {}", opts.kb_dir.display()))?;
        stack::ensure_steward_topics(&kafka_addr, &settings.kafka, stack::INBOUND_PARTITIONS)
            .await?;
        let client =
            crate::temporal::wait_until_serving(&settings.temporal, Duration::from_secs(90))
                .await?;
        let twilio = TwilioStandIn::start().await?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let base_url = format!("http://127.0.0.1:{port}");
        let twilio_token = uuid::Uuid::new_v4().simple().to_string();
        let mut env = role_env(&settings, &database_url, &base_url, &twilio.base_url);
        env.extend([
            (
                "STEWARD_GATEWAY__TWILIO_AUTH_TOKEN".into(),
                twilio_token.clone(),
            ),
            (
                "STEWARD_GATEWAY__TICKET_LINK_SECRET".into(),
                uuid::Uuid::new_v4().simple().to_string(),
            ),
            (
                "STEWARD_GATEWAY__GMAIL_PUSH_AUDIENCE".into(),
                format!("{base_url}/webhooks/gmail/pubsub"),
            ),
        ]);
        let exe = std::env::current_exe()?;
        let role = |name: &'static str| {
            Supervised::spawn_with_env(
                name,
                &exe,
                &[name.into()],
                &env,
                &state,
                &state.join(format!("{name}.log")),
            )
        };
        let (gateway, worker, intake) = (role("gateway")?, role("worker")?, role("intake")?);
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()?;
        let ready = format!("{base_url}/ready");
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while !http
            .get(&ready)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            anyhow::ensure!(
                std::time::Instant::now() < deadline,
                "the gateway never got ready (logs in {})",
                state.display()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(Self {
            settings,
            base_url,
            http,
            twilio_token,
            client,
            twilio,
            database,
            state,
            env,
            servers,
            gateway,
            worker,
            intake: Mutex::new(Some(intake)),
            serials: AtomicU64::new(0),
            acknowledged: AtomicU64::new(0),
            acknowledged_whatsapp: AtomicU64::new(0),
        })
    }

    pub(super) fn database_url(&self) -> &str {
        self.settings.database.url()
    }

    /// A serial number no earlier ticket of this run had.
    pub(super) fn next_serial(&self) -> u64 {
        self.serials.fetch_add(1, Ordering::Relaxed)
    }

    /// Ticket `n`'s customer's phone.
    pub(super) fn phone(n: u64) -> String {
        format!("+1555{n:07}")
    }

    pub(super) fn accepted(&self, whatsapp: bool) {
        self.acknowledged.fetch_add(1, Ordering::Relaxed);
        if whatsapp {
            self.acknowledged_whatsapp.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(super) fn accepted_whatsapp(&self) -> usize {
        self.acknowledged_whatsapp.load(Ordering::Relaxed) as usize
    }

    pub(super) fn accepted_count(&self) -> usize {
        self.acknowledged.load(Ordering::Relaxed) as usize
    }

    /// Stops intake gracefully (it drains what it holds); records wait in Kafka.
    pub(super) async fn pause_intake(&self) -> anyhow::Result<()> {
        if let Some(intake) = self.intake.lock().await.take() {
            intake.stop().await;
        }
        Ok(())
    }

    pub(super) async fn resume_intake(&self) -> anyhow::Result<()> {
        let exe = std::env::current_exe()?;
        let intake = Supervised::spawn_with_env(
            "intake",
            &exe,
            &["intake".into()],
            &self.env,
            &self.state,
            &self.state.join("intake.log"),
        )?;
        *self.intake.lock().await = Some(intake);
        Ok(())
    }

    /// Running ticket workflows (the server's visibility count).
    pub(super) async fn running_tickets(&self) -> anyhow::Result<usize> {
        self.count_tickets("AND ExecutionStatus = 'Running'").await
    }

    /// Ticket workflows ever started in this run.
    pub(super) async fn ticket_workflows(&self) -> anyhow::Result<usize> {
        self.count_tickets("").await
    }

    async fn count_tickets(&self, and: &str) -> anyhow::Result<usize> {
        let query = format!(
            "WorkflowType = 'TicketWorkflow' AND TaskQueue = '{}' {and}",
            self.settings.intake.task_queue
        );
        let count = self
            .client
            .count_workflows(query, WorkflowCountOptions::default())
            .await?;
        Ok(count.count())
    }

    /// A ticket's history: how many activity tasks went through the server
    /// (its round trips), how many steps ran locally, and where its time
    /// went (each activity task, each workflow task with the local steps
    /// it ran, ms; and when the workflow started, Unix ms).
    pub(super) async fn ticket_profile(&self, workflow_id: &str) -> anyhow::Result<TicketProfile> {
        let history = self
            .client
            .get_workflow_handle::<steward_workflows::TicketWorkflow>(workflow_id)
            .fetch_history(Default::default())
            .to_json()
            .await?;
        let history: Value = serde_json::from_slice(&history)?;
        Ok(TicketProfile::read(&history))
    }

    /// Resident and peak memory of each role, MB, read from `/proc`.
    pub(super) fn rss(&self) -> Value {
        let read = |s: &Supervised| {
            let status = s
                .program_pid()
                .and_then(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
                .unwrap_or_default();
            let kb = |key: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(key))
                    .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
                    .map(|kb| (kb / 1024.0 * 10.0).round() / 10.0)
            };
            json!({"rss": kb("VmRSS:"), "peak": kb("VmHWM:")})
        };
        let intake = self
            .intake
            .try_lock()
            .ok()
            .and_then(|i| i.as_ref().map(read));
        json!({"gateway": read(&self.gateway), "intake": intake, "worker": read(&self.worker)})
    }

    /// Stops everything and drops the database; the state folder (logs)
    /// is removed unless `keep_logs`.
    pub(super) async fn stop(self, keep_logs: bool) {
        if let Some(intake) = self.intake.into_inner() {
            intake.stop().await;
        }
        self.gateway.stop().await;
        self.worker.stop().await;
        for server in self.servers {
            server.stop().await;
        }
        if let Err(err) = self.database.drop_database().await {
            eprintln!("[bench] could not drop the bench database: {err:#}");
        }
        if keep_logs {
            eprintln!("[bench] logs kept in {}", self.state.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.state);
        }
    }
}

/// Each role's settings as production passes them: `STEWARD_*` variables.
/// Long SLAs and quiet window: every ticket arrives within minutes, and the
/// bench measures latency rather than escalating the queue it builds; each
/// open ticket keeps its timers live the whole run.
fn role_env(
    settings: &Settings,
    database_url: &str,
    base_url: &str,
    twilio: &str,
) -> Vec<(String, String)> {
    let addr = base_url.trim_start_matches("http://");
    [
        ("DATABASE__URL", database_url),
        (
            "TEMPORAL__ADDRESS",
            settings.temporal.address.as_deref().unwrap_or_default(),
        ),
        ("KAFKA__BROKERS", settings.kafka.brokers.as_str()),
        ("INTAKE__TASK_QUEUE", settings.intake.task_queue.as_str()),
        ("INTAKE__GROUP_ID", settings.intake.group_id.as_str()),
        ("GATEWAY__LISTEN", addr),
        ("GATEWAY__PUBLIC_BASE_URL", base_url),
        ("GATEWAY__TRUST_FORWARDED_FOR", "true"),
        ("GATEWAY__TRUSTED_PROXIES", "127.0.0.1/32"),
        ("ACTIVITIES__TWILIO__API_BASE", twilio),
        (
            "ACTIVITIES__TWILIO__ACCOUNT_SID",
            super::standin::ACCOUNT_SID,
        ),
        ("ACTIVITIES__TWILIO__AUTH_TOKEN", super::standin::AUTH_TOKEN),
        (
            "ACTIVITIES__POLICY__SLA__FIRST_RESPONSE_WHATSAPP_SECS",
            "3600",
        ),
        ("ACTIVITIES__POLICY__SLA__FIRST_RESPONSE_EMAIL_SECS", "3600"),
        ("ACTIVITIES__POLICY__SLA__FIRST_RESPONSE_WEB_SECS", "3600"),
        ("ACTIVITIES__POLICY__SLA__QUIET_WINDOW_SECS", "3600"),
        // tansu 0.6 panics (and then answers nothing) when librdkafka's
        // idempotent producer bumps its epoch after a message timed out:
        // past the broker's rate, a long timeout keeps the overload a
        // latency the curve shows, instead of a dead broker.
        ("KAFKA__PRODUCE_TIMEOUT_MS", "60000"),
        ("LOG__FILTER", "warn"),
    ]
    .into_iter()
    .map(|(k, v)| (format!("STEWARD_{k}"), v.to_owned()))
    .collect()
}
