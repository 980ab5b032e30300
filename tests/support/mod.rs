//! Test harness: real Temporal and a real Kafka-compatible broker, started
//! once per test binary by the project's own supervisor, and a fresh app per
//! test (port 0, its own database, topics, consumer group and task queue).

#![allow(dead_code, unreachable_pub)]

pub mod claim_desk;
pub mod fail_loudly;
pub mod google;
pub mod private_postgres;
pub mod standins;
pub mod worker_process;

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;
use steward::app::{self, Roles, RunningApp};
use steward::settings::Settings;
use steward::stack::{self, Supervised};
use steward::webhook_sign::{sign_whatsapp, whatsapp_url};
use steward_workflows::{TicketView, TicketWorkflow};
use temporalio_client::WorkflowQueryOptions;
use uuid::Uuid;

pub const ADMIN_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
pub const TWILIO_TOKEN: &str = "test-twilio-auth-token";

/// The servers shared by every test in this binary. Never dropped: when the
/// test process exits, the supervisors see stdin close and stop them.
pub struct Servers {
    pub temporal_address: String,
    pub kafka_brokers: String,
    _children: Vec<Supervised>,
    _state: PathBuf,
}

static SERVERS: tokio::sync::OnceCell<Servers> = tokio::sync::OnceCell::const_new();

async fn start_servers() -> Servers {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("steward-stack");
    remove_stale_state(&root);
    let state = root.join(Uuid::new_v4().simple().to_string());
    std::fs::create_dir_all(&state).unwrap();
    let (children, temporal_address, kafka_brokers) = stack::start_ephemeral(&state)
        .await
        .expect("Temporal CLI and tansu (run scripts/provision.sh)");
    Servers {
        temporal_address,
        kafka_brokers,
        _children: children,
        _state: state,
    }
}

/// Earlier runs' state folders (their servers stopped with their processes).
fn remove_stale_state(root: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(3600));
        if old {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

pub async fn servers() -> &'static Servers {
    SERVERS.get_or_init(start_servers).await
}

/// One test's own slice of the stack.
pub struct TestApp {
    pub settings: Settings,
    pub running: Option<RunningApp>,
    pub base_url: String,
    pub database_name: String,
    pub pool: sqlx::PgPool,
    pub http: reqwest::Client,
}

/// Settings for a test: its own database, topics, group and task queue.
pub async fn test_settings() -> Settings {
    let servers = servers().await;
    settings_on(&servers.kafka_brokers, &servers.temporal_address)
}

/// [`test_settings`] on a broker and a Temporal server of the test's own.
pub fn settings_on(kafka_brokers: &str, temporal_address: &str) -> Settings {
    let id = Uuid::new_v4().simple().to_string();
    let mut settings = Settings::default();
    settings.database.url = format!("postgres://postgres@127.0.0.1:5432/steward_test_{id}").into();
    settings.database.max_connections = 4;
    settings.kafka.brokers = kafka_brokers.to_owned();
    settings.kafka.inbound_topic = format!("steward.inbound.{id}");
    settings.kafka.dlq_topic = format!("steward.inbound.dlq.{id}");
    settings.kafka.produce_timeout_ms = 5_000;
    settings.gateway.listen = "127.0.0.1:0".into();
    settings.gateway.twilio_auth_token = TWILIO_TOKEN.into();
    settings.intake.group_id = format!("steward-intake-{id}");
    settings.intake.task_queue = format!("steward-test-{id}");
    settings.intake.max_backoff_ms = 1_000;
    settings.temporal.address = Some(temporal_address.to_owned());
    settings
}

/// Creates the database and topics, then starts the roles.
pub async fn spawn_app_with(settings: Settings, roles: Roles) -> TestApp {
    init_logging();
    steward_activities::db::ensure_database(settings.database.url())
        .await
        .unwrap();
    let pool = steward_activities::db::pool(settings.database.url(), 2).unwrap();
    steward_activities::db::migrate(&pool).await.unwrap();
    if roles.intake || roles.worker {
        stack::ensure_steward_topics(&settings.kafka.brokers, &settings.kafka, 3)
            .await
            .unwrap();
        steward::temporal::wait_until_serving(&settings.temporal, Duration::from_secs(90))
            .await
            .unwrap();
    }
    let running = app::start(&settings, roles).await.unwrap();
    let base_url = running.public_base_url.clone().unwrap_or_default();
    let database_name = settings
        .database
        .url()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    TestApp {
        settings,
        running: Some(running),
        base_url,
        database_name,
        pool,
        http: reqwest::Client::new(),
    }
}

/// The gateway alone, with its inbound topic created (no intake consumes it,
/// so what a request enqueued can be counted).
pub async fn spawn_gateway(settings: Settings) -> TestApp {
    let app = spawn_app_with(settings, Roles::GATEWAY).await;
    stack::ensure_topics(
        &app.settings.kafka.brokers,
        &[(&app.settings.kafka.inbound_topic, 3)],
    )
    .await
    .unwrap();
    app
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(test_settings().await, Roles::ALL).await
}

/// A migrated database of its own for one test, and its name.
pub async fn scratch_database(prefix: &str) -> (sqlx::PgPool, String) {
    let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
    steward_activities::db::ensure_database(&url).await.unwrap();
    let pool = steward_activities::db::pool(&url, 2).unwrap();
    steward_activities::db::migrate(&pool).await.unwrap();
    (pool, name)
}

/// Closes `pool` and drops its database.
pub async fn drop_database(pool: sqlx::PgPool, name: &str) {
    pool.close().await;
    let admin = sqlx::PgPool::connect(ADMIN_DATABASE_URL).await.unwrap();
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&admin)
        .await;
}

impl TestApp {
    /// Stops the app and drops its database.
    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
        drop_database(self.pool.clone(), &self.database_name).await;
    }

    /// Total messages ever written to the inbound topic (sum of high watermarks).
    pub fn inbound_message_count(&self) -> i64 {
        let topic = self.settings.kafka.inbound_topic.as_str();
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.settings.kafka.brokers)
            .set("group.id", format!("watermarks-{}", Uuid::new_v4()))
            .create()
            .unwrap();
        let metadata = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(5))
            .unwrap();
        let partitions = metadata.topics()[0].partitions().len() as i32;
        (0..partitions)
            .map(|p| {
                let (low, high) = consumer
                    .fetch_watermarks(topic, p, Duration::from_secs(5))
                    .unwrap();
                high - low.min(high)
            })
            .sum()
    }
}

/// A phone number no other test uses (so workflow ids never collide).
pub fn unique_phone() -> String {
    let n = Uuid::new_v4().as_u128() % 10_000_000;
    format!("+1555{n:07}")
}

pub fn init_logging() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| "warn,librdkafka=off,rdkafka=off".into()),
            )
            .with_test_writer()
            .try_init();
    });
}

/// Polls `check` until it returns `Some`, or panics after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub use steward::webhook_sign::form_body;

/// Posting webhooks and reading a ticket, as every end-to-end test does.
impl TestApp {
    pub fn webhook_url(&self) -> String {
        whatsapp_url(&self.base_url)
    }

    pub async fn post_whatsapp(
        &self,
        params: &[(String, String)],
        signature: &str,
    ) -> reqwest::Response {
        self.http
            .post(self.webhook_url())
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", signature)
            .body(form_body(params))
            .send()
            .await
            .unwrap()
    }

    pub async fn post_signed_whatsapp(&self, params: &[(String, String)]) -> reqwest::Response {
        sign_whatsapp(TWILIO_TOKEN.as_bytes(), &self.base_url, params)
            .post(&self.http)
            .await
            .unwrap()
    }

    pub async fn ticket_status(&self, workflow_id: &str) -> Option<TicketView> {
        let client = steward::temporal::connect(&self.settings.temporal)
            .await
            .ok()?;
        client
            .get_workflow_handle::<TicketWorkflow>(workflow_id)
            .query(TicketWorkflow::status, (), WorkflowQueryOptions::default())
            .await
            .ok()
    }

    /// Posts the web support form as JSON; its JSON answer (must be 200).
    pub async fn submit_web_form(&self, form: &serde_json::Value) -> serde_json::Value {
        let response = self
            .http
            .post(format!("{}/api/support/submit", self.base_url))
            .json(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// Ana writes on WhatsApp asking for a refund (a must-escalate reason);
    /// answers her ticket's workflow id and number once it is escalated.
    pub async fn escalated_refund_ticket(&self) -> (String, String) {
        let phone = unique_phone();
        let sid = format!("SM{}", Uuid::new_v4().simple());
        let params = steward::webhook_sign::whatsapp_form(
            &phone,
            "+14155550199",
            "I was charged twice this month, please refund one of them.",
            &sid,
            "Ana Lopez",
        );
        assert_eq!(self.post_signed_whatsapp(&params).await.status(), 200);
        let workflow_id =
            steward_domain::ticket_workflow_id(steward_domain::Channel::Whatsapp, &phone);
        let view = eventually("the escalation", Duration::from_secs(60), || async {
            self.ticket_status(&workflow_id)
                .await
                .filter(|v| v.phase == steward_domain::Phase::Escalated)
        })
        .await;
        (workflow_id, view.ticket_id.expect("a ticket number"))
    }

    /// Every summary written on a workflow's history events (named timers
    /// and activities, the start summary), in order.
    pub async fn event_summaries(&self, workflow_id: &str) -> Vec<String> {
        let client = steward::temporal::connect(&self.settings.temporal)
            .await
            .unwrap();
        let events = client
            .get_workflow_handle::<TicketWorkflow>(workflow_id)
            .fetch_history(Default::default())
            .into_events()
            .await
            .unwrap();
        events
            .iter()
            .filter_map(|e| e.user_metadata.as_ref()?.summary.as_ref())
            .filter_map(|p| serde_json::from_slice::<String>(&p.data).ok())
            .collect()
    }

    /// With `STEWARD_RECORD_HISTORIES=dir`, saves the ticket's history there
    /// (how `tests/histories/` for the replay test was produced).
    pub async fn record_history(&self, workflow_id: &str, name: &str) {
        if let Some(dir) = std::env::var_os("STEWARD_RECORD_HISTORIES") {
            let client = steward::temporal::connect(&self.settings.temporal)
                .await
                .unwrap();
            let json = client
                .get_workflow_handle::<TicketWorkflow>(workflow_id)
                .fetch_history(Default::default())
                .to_json()
                .await
                .unwrap();
            std::fs::write(
                std::path::Path::new(&dir).join(format!("{name}.json")),
                json,
            )
            .unwrap();
        }
    }
}
