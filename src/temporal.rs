//! The Temporal client, from `[temporal]` settings or the SDK's env config.

use crate::settings::TemporalSettings;
use anyhow::{Context, anyhow};
use temporalio_client::envconfig::LoadClientConfigProfileOptions;
use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions, Url};

const DEFAULT_NAMESPACE: &str = "default";

fn target_url(address: &str) -> anyhow::Result<Url> {
    let with_scheme = if address.contains("://") {
        address.to_owned()
    } else {
        format!("http://{address}")
    };
    Url::parse(&with_scheme).with_context(|| format!("invalid Temporal address {address:?}"))
}

/// Connects to the Temporal frontend.
#[tracing::instrument(skip_all, fields(address = ?settings.address))]
pub async fn connect(settings: &TemporalSettings) -> anyhow::Result<Client> {
    let (connection_options, client_options) = match &settings.address {
        Some(address) => (
            ConnectionOptions::new(target_url(address)?)
                .identity(format!("steward@{}", std::process::id()))
                .build(),
            ClientOptions::new(settings.namespace.as_deref().unwrap_or(DEFAULT_NAMESPACE)).build(),
        ),
        // The SDK's error type is not Send + Sync; keep its message.
        None => ClientOptions::load_from_config(LoadClientConfigProfileOptions::default())
            .map_err(|e| anyhow!("temporal env config: {e}"))?,
    };
    let connection = Connection::connect(connection_options)
        .await
        .context("connecting to Temporal")?;
    Client::new(connection, client_options).context("creating the Temporal client")
}

/// Waits until the frontend answers a health check (a fresh dev server opens
/// its port before it is ready to serve).
pub async fn wait_until_serving(
    settings: &TemporalSettings,
    timeout: std::time::Duration,
) -> anyhow::Result<Client> {
    use temporalio_client::tonic::IntoRequest;
    use temporalio_common::protos::grpc::health::v1::HealthCheckRequest;
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let attempt = async {
            let client = connect(settings).await?;
            let mut health = client.connection().health_service();
            health
                .check(HealthCheckRequest::default().into_request())
                .await
                .context("health check")?;
            anyhow::Ok(client)
        };
        match attempt.await {
            Ok(client) => return Ok(client),
            Err(err) if tokio::time::Instant::now() < deadline => {
                tracing::debug!(error = %err, "Temporal not serving yet");
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
            Err(err) => return Err(err.context(format!("Temporal not serving after {timeout:?}"))),
        }
    }
}
