//! `/ready`: whether this process's dependencies answer right now.
//!
//! Each role registers what it needs (the gateway: Kafka and Postgres; the
//! worker and intake: Temporal too). Checks run concurrently with a timeout,
//! so a hung dependency makes `/ready` say so instead of hanging.

use serde::Serialize;
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::time::Duration;
use steward_bus::producer::InboundProducer;
use temporalio_client::Client;
use temporalio_client::tonic::IntoRequest;
use temporalio_common::protos::grpc::health::v1::HealthCheckRequest;

const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Clone, Default)]
pub struct Readiness {
    pub kafka: Option<InboundProducer>,
    pub postgres: Option<PgPool>,
    pub temporal: Option<Client>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReadinessReport {
    pub ready: bool,
    pub checks: BTreeMap<&'static str, CheckResult>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckResult {
    pub up: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub latency_ms: u64,
}

async fn timed<F>(check: F) -> CheckResult
where
    F: Future<Output = Result<(), String>>,
{
    let started = tokio::time::Instant::now();
    let outcome = tokio::time::timeout(CHECK_TIMEOUT, check)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {CHECK_TIMEOUT:?}")));
    CheckResult {
        up: outcome.is_ok(),
        error: outcome.err(),
        latency_ms: started.elapsed().as_millis() as u64,
    }
}

impl Readiness {
    pub async fn report(&self) -> ReadinessReport {
        let kafka = async {
            match &self.kafka {
                Some(p) => Some(timed(p.check()).await),
                None => None,
            }
        };
        let postgres = async {
            match &self.postgres {
                Some(pool) => Some(
                    timed(async {
                        sqlx::query("SELECT 1")
                            .execute(pool)
                            .await
                            .map(|_| ())
                            .map_err(|e| e.to_string())
                    })
                    .await,
                ),
                None => None,
            }
        };
        let temporal = async {
            match &self.temporal {
                Some(client) => Some(
                    timed(async {
                        let mut health = client.connection().health_service();
                        health
                            .check(HealthCheckRequest::default().into_request())
                            .await
                            .map(|_| ())
                            .map_err(|e| e.to_string())
                    })
                    .await,
                ),
                None => None,
            }
        };
        let (kafka, postgres, temporal) = tokio::join!(kafka, postgres, temporal);
        let checks: BTreeMap<_, _> = [
            ("kafka", kafka),
            ("postgres", postgres),
            ("temporal", temporal),
        ]
        .into_iter()
        .filter_map(|(name, result)| result.map(|r| (name, r)))
        .collect();
        ReadinessReport {
            ready: checks.values().all(|c| c.up),
            checks,
        }
    }
}
