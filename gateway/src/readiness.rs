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
    /// `unavailable` or `timeout`: the raw error (hosts, users, driver
    /// messages) goes to the log, never into this response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub latency_ms: u64,
}

async fn timed<F>(name: &'static str, check: F) -> CheckResult
where
    F: Future<Output = Result<(), String>>,
{
    let started = tokio::time::Instant::now();
    let error = match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(Ok(())) => None,
        Ok(Err(err)) => {
            tracing::warn!(dependency = name, %err, "readiness check failed");
            Some("unavailable")
        }
        Err(_) => {
            tracing::warn!(dependency = name, timeout = ?CHECK_TIMEOUT, "readiness check timed out");
            Some("timeout")
        }
    };
    CheckResult {
        up: error.is_none(),
        error: error.map(str::to_owned),
        latency_ms: started.elapsed().as_millis() as u64,
    }
}

impl Readiness {
    pub async fn report(&self) -> ReadinessReport {
        let kafka = async {
            match &self.kafka {
                Some(p) => Some(timed("kafka", p.check()).await),
                None => None,
            }
        };
        let postgres = async {
            match &self.postgres {
                Some(pool) => Some(
                    timed("postgres", async {
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
                    timed("temporal", async {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failed_check_names_no_host_user_or_driver_error() {
        // Nothing listens on port 1: the driver's error names host and port.
        let pool = sqlx::postgres::PgPoolOptions::new()
            .acquire_timeout(Duration::from_secs(1))
            .connect_lazy("postgres://steward:hunter2@127.0.0.1:1/steward")
            .unwrap();
        let readiness = Readiness {
            postgres: Some(pool),
            ..Readiness::default()
        };
        let report = readiness.report().await;
        assert!(!report.ready);
        let body = serde_json::to_string(&report).unwrap();
        assert!(
            body.contains(r#""error":"unavailable""#) || body.contains(r#""error":"timeout""#),
            "{body}"
        );
        for leak in ["127.0.0.1", "steward", "refused", "hunter2"] {
            assert!(!body.contains(leak), "{leak} in {body}");
        }
    }
}
