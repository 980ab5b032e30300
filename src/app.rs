//! Builds and runs Steward's roles (gateway, intake, worker) in this process.
//!
//! `steward dev` runs all three; `steward gateway|intake|worker` one each;
//! tests call [`start`] with `gateway.listen = "127.0.0.1:0"` and a throwaway
//! database, so they exercise exactly what production runs.

use crate::settings::Settings;
use crate::{temporal, worker};
use anyhow::Context;
use std::net::SocketAddr;
use std::time::Duration;
use steward_bus::intake::Intake;
use steward_bus::producer::InboundProducer;
use steward_gateway::readiness::Readiness;
use steward_gateway::{AppState, router};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Copy)]
pub struct Roles {
    pub gateway: bool,
    pub intake: bool,
    pub worker: bool,
}

impl Roles {
    pub const ALL: Roles = Roles {
        gateway: true,
        intake: true,
        worker: true,
    };
    pub const GATEWAY: Roles = Roles {
        gateway: true,
        intake: false,
        worker: false,
    };
    pub const INTAKE: Roles = Roles {
        gateway: false,
        intake: true,
        worker: false,
    };
    pub const WORKER: Roles = Roles {
        gateway: false,
        intake: false,
        worker: true,
    };
}

pub struct RunningApp {
    /// Where the gateway listens (the real port when configured with port 0).
    pub gateway_addr: Option<SocketAddr>,
    /// The base URL webhooks must be signed for.
    pub public_base_url: Option<String>,
    shutdown: CancellationToken,
    tasks: JoinSet<(&'static str, anyhow::Result<()>)>,
    producer: Option<InboundProducer>,
}

/// Starts the requested roles and returns once they are running.
pub async fn start(settings: &Settings, roles: Roles) -> anyhow::Result<RunningApp> {
    steward_activities::kb::remote::configure(&settings.activities.embeddings);
    // The gateway binds first: with port 0 (tests) its address is known
    // only then, and the worker links status pages on the same public URL.
    let mut settings = settings.clone();
    let gateway_listener = if roles.gateway {
        let listener = tokio::net::TcpListener::bind(&settings.gateway.listen)
            .await
            .with_context(|| format!("binding the gateway to {}", settings.gateway.listen))?;
        if settings.gateway.public_base_url.is_empty() {
            settings.gateway.public_base_url = format!("http://{}", listener.local_addr()?);
        }
        Some(listener)
    } else {
        None
    };
    let settings = &settings;
    let shutdown = CancellationToken::new();
    let mut tasks = JoinSet::new();
    let pool =
        steward_activities::db::pool(settings.database.url(), settings.database.max_connections)
            .context("database settings")?;
    // Intake needs Temporal to start. The gateway alone does not (Kafka
    // buffers while Temporal is down): it connects if it can, for the ticket
    // API and `/ready`, and starts anyway if not.
    let client = if roles.intake {
        Some(temporal::connect(&settings.temporal).await?)
    } else if roles.gateway {
        match temporal::connect(&settings.temporal).await {
            Ok(client) => Some(client),
            Err(err) => {
                tracing::warn!(error = %err, "Temporal unreachable; the ticket API answers 503 until restart");
                None
            }
        }
    } else {
        None
    };

    if roles.worker {
        let running = worker::spawn(settings.clone(), shutdown.clone());
        tasks.spawn(async move { ("worker", running.await) });
    }
    if roles.intake {
        let intake = Intake::new(
            &settings.kafka,
            settings.intake.clone(),
            client.clone().unwrap(),
        )
        .context("creating the intake consumer")?;
        let token = shutdown.clone();
        tasks.spawn(async move { ("intake", intake.run(token).await) });
    }

    if let (Some(listen), false) = (&settings.admin.listen, roles.gateway) {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding the admin endpoint to {listen}"))?;
        let readiness = Readiness {
            kafka: if roles.intake {
                Some(InboundProducer::new(&settings.kafka).context("creating the Kafka check")?)
            } else {
                None
            },
            postgres: roles.worker.then(|| pool.clone()),
            temporal: match &client {
                Some(c) => Some(c.clone()),
                None => temporal::connect(&settings.temporal).await.ok(),
            },
        };
        let token = shutdown.clone();
        tasks.spawn(async move {
            let served = axum::serve(listener, steward_gateway::app::admin_router(readiness))
                .with_graceful_shutdown(token.cancelled_owned())
                .await
                .context("admin endpoint");
            ("admin", served)
        });
    }

    let (mut gateway_addr, mut public_base_url, mut producer) = (None, None, None);
    if let Some(listener) = gateway_listener {
        let addr = listener.local_addr()?;
        let config = settings.gateway.clone();
        let inbound =
            InboundProducer::new(&settings.kafka).context("creating the Kafka producer")?;
        let readiness = Readiness {
            kafka: Some(inbound.clone()),
            postgres: Some(pool.clone()),
            temporal: client.clone(),
        };
        let state = AppState::new(config.clone(), inbound.clone(), readiness);
        let token = shutdown.clone();
        tasks.spawn(async move {
            // Peer addresses reach the handlers (the web form's per-IP limit).
            let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(token.cancelled_owned())
                .await
                .context("gateway server");
            ("gateway", served)
        });
        tracing::info!(%addr, public_base_url = %config.public_base_url, "gateway listening");
        gateway_addr = Some(addr);
        public_base_url = Some(config.public_base_url);
        producer = Some(inbound);
    }
    Ok(RunningApp {
        gateway_addr,
        public_base_url,
        shutdown,
        tasks,
        producer,
    })
}

impl RunningApp {
    /// Runs until Ctrl-C, SIGTERM, or a role failing; then shuts down.
    pub async fn run_until_stopped(mut self) -> anyhow::Result<()> {
        let failure = tokio::select! {
            _ = shutdown_signal() => None,
            Some(joined) = self.tasks.join_next() => Some(joined),
        };
        let result = match failure {
            Some(Ok((role, Err(err)))) => Err(err.context(format!("{role} failed"))),
            Some(Ok((role, Ok(())))) => Err(anyhow::anyhow!("{role} stopped unexpectedly")),
            Some(Err(join_err)) => Err(anyhow::anyhow!("a role panicked: {join_err}")),
            None => Ok(()),
        };
        self.shutdown().await;
        result
    }

    /// Stops accepting webhooks, lets intake finish its in-flight message and
    /// commit, lets the worker finish its tasks, flushes the producer.
    pub async fn shutdown(mut self) {
        self.shutdown.cancel();
        let drain = async {
            while let Some(joined) = self.tasks.join_next().await {
                match joined {
                    Ok((role, Ok(()))) => tracing::info!(role, "stopped"),
                    Ok((role, Err(err))) => {
                        tracing::warn!(role, error = ?err, "stopped with an error")
                    }
                    Err(err) => tracing::warn!(%err, "role task failed"),
                }
            }
        };
        if tokio::time::timeout(Duration::from_secs(30), drain)
            .await
            .is_err()
        {
            tracing::warn!("roles did not stop within 30 s; aborting them");
            self.tasks.abort_all();
        }
        if let Some(producer) = self.producer.take() {
            producer.flush(Duration::from_secs(5));
        }
    }
}

/// Ctrl-C or SIGTERM (what Kubernetes and `kill` send).
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing the SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C received; shutting down"),
        _ = term.recv() => tracing::info!("SIGTERM received; shutting down"),
    }
}
