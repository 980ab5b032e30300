//! `steward dev`: the whole stack on one machine with the embedded defaults.
//!
//! Starts the Temporal dev server (persistent database, custom search
//! attributes registered, Web UI) and the tansu broker (sqlite storage, so a
//! restart keeps messages) under the project-local state folder, creates the
//! database, migrates, creates the topics, runs gateway + intake + worker in
//! this process, and stops everything it started on Ctrl-C or SIGTERM. A lock
//! on the state folder stops a second `steward dev` from sharing its files.

use crate::app::{self, Roles};
use crate::settings::Settings;
use crate::stack::{self, Supervised};
use crate::webhook_sign;
use anyhow::{Context, anyhow, bail};
use std::fs::File;
use std::time::Duration;

pub async fn run(mut settings: Settings) -> anyhow::Result<()> {
    let dev = settings.dev.clone();
    std::fs::create_dir_all(dev.state_dir.join("logs"))
        .with_context(|| format!("creating {}", dev.state_dir.display()))?;
    let state_dir = std::fs::canonicalize(&dev.state_dir)?;
    let lock = File::create(state_dir.join("dev.lock"))?;
    lock.try_lock().map_err(|_| {
        anyhow!(
            "another `steward dev` is already using {}",
            state_dir.display()
        )
    })?;
    for (port, what) in [
        (dev.temporal_port, "Temporal"),
        (dev.temporal_ui_port, "the Temporal UI"),
        (dev.kafka_port, "Kafka"),
    ] {
        if stack::port_in_use(port) {
            bail!(
                "port {port} for {what} is already taken; stop whatever uses it or set STEWARD_DEV__*_PORT"
            );
        }
    }

    let temporal_addr = format!("127.0.0.1:{}", dev.temporal_port);
    let kafka_addr = format!("127.0.0.1:{}", dev.kafka_port);
    let mut temporal_args = stack::temporal_args(
        &[
            ("--port", dev.temporal_port),
            ("--ui-port", dev.temporal_ui_port),
        ],
        "warn",
    );
    // Persistent (a restart keeps every ticket), with the Web UI, which
    // must not try to reach the internet for its news feed.
    temporal_args.extend([
        "--db-filename".into(),
        state_dir.join("temporal.db").into_os_string(),
        "--ui-disable-news-fetch".into(),
    ]);
    let temporal = Supervised::spawn(
        "temporal",
        &stack::temporal_binary(dev.temporal_bin.as_deref())?,
        &temporal_args,
        &state_dir,
        &state_dir.join("logs/temporal.log"),
    )?;
    let tansu_args = stack::tansu_args(&kafka_addr);
    let tansu = Supervised::spawn(
        "tansu",
        &stack::tansu_binary(dev.tansu_bin.as_deref())?,
        &tansu_args,
        &state_dir,
        &state_dir.join("logs/tansu.log"),
    )?;
    let children = vec![tansu, temporal];

    let outcome = run_with_children(&mut settings, &temporal_addr, &kafka_addr).await;
    for child in children {
        child.stop().await;
    }
    drop(lock);
    outcome
}

async fn run_with_children(
    settings: &mut Settings,
    temporal_addr: &str,
    kafka_addr: &str,
) -> anyhow::Result<()> {
    stack::wait_for_port(kafka_addr, Duration::from_secs(60)).await?;
    stack::wait_for_port(temporal_addr, Duration::from_secs(90)).await?;
    settings.temporal.address = Some(temporal_addr.to_owned());
    settings.kafka.brokers = kafka_addr.to_owned();

    steward_activities::db::ensure_database(settings.database.url())
        .await
        .context("creating the database (is Postgres running? scripts/provision.sh starts it)")?;
    let pool = steward_activities::db::pool(settings.database.url(), 2)?;
    steward_activities::db::migrate(&pool)
        .await
        .context("migrating")?;
    // The repository's demo knowledge base, so the offline responder can
    // answer at once (re-importing unchanged articles does nothing).
    let demo_kb = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-kb");
    if demo_kb.is_dir() {
        let (changed, _) = steward_activities::kb::import_dir(&pool, &demo_kb).await?;
        if changed > 0 {
            tracing::info!(changed, "demo knowledge base imported");
        }
    }
    stack::ensure_steward_topics(kafka_addr, &settings.kafka, stack::INBOUND_PARTITIONS).await?;
    crate::temporal::wait_until_serving(&settings.temporal, Duration::from_secs(90)).await?;

    let running = app::start(settings, Roles::ALL).await?;
    print_banner(
        settings,
        running.public_base_url.as_deref().unwrap_or_default(),
    );
    running.run_until_stopped().await
}

fn print_banner(settings: &Settings, base_url: &str) {
    let example = webhook_sign::curl_command(
        &settings.gateway,
        base_url,
        &webhook_sign::whatsapp_form(
            "+14155550100",
            "+14155550199",
            "Hi, I was charged twice for my subscription this month.",
            &format!("SM{}", uuid::Uuid::new_v4().simple()),
            "Ana Customer",
        ),
    );
    println!(
        "\n  Steward is running.\n\n  \
         Gateway        {base_url}\n  \
         Readiness      {base_url}/ready\n  \
         Web form       {base_url}/support\n  \
         WhatsApp hook  {base_url}{}\n  \
         Gmail push     {base_url}/webhooks/gmail/pubsub (configure Gmail: README)\n  \
         Temporal UI    http://127.0.0.1:{}/namespaces/default/workflows\n  \
         Kafka          {}\n\n  \
         Send a signed test WhatsApp message:\n\n{example}\n\n  \
         (or: steward sign-whatsapp --body '...' prints a fresh one)\n  \
         Ctrl-C stops everything.\n",
        webhook_sign::WHATSAPP_PATH,
        settings.dev.temporal_ui_port,
        settings.kafka.brokers,
    );
}
