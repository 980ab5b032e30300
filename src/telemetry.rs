//! Logging: pretty for a terminal, JSON lines in production, PII masked
//! (phones, emails) unless turned off; optional OpenTelemetry trace export,
//! masked the same way.
//! `RUST_LOG` overrides the filter. The correlation id travels as a span
//! field from the webhook through the Kafka header into the workflow's
//! activities, so one id finds a message's whole path in the logs.

use crate::redact::Redacting;
use crate::settings::{LogFormat, LogSettings};
use opentelemetry::trace::TracerProvider as _;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

pub fn init(settings: &LogSettings) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.filter));
    let writer = if settings.redact_pii {
        BoxMakeWriter::new(Redacting(std::io::stderr))
    } else {
        BoxMakeWriter::new(std::io::stderr)
    };
    let fmt = tracing_subscriber::fmt::layer()
        .with_target(true)
        .with_writer(writer);
    let fmt = match settings.format {
        LogFormat::Json => fmt
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .boxed(),
        LogFormat::Pretty => fmt.compact().boxed(),
    };
    let otel = settings.otlp_endpoint.as_deref().and_then(|endpoint| {
        match otlp_layer(endpoint, settings.redact_pii) {
            Ok(layer) => Some(layer),
            Err(err) => {
                eprintln!("OpenTelemetry export disabled: {err:#}");
                None
            }
        }
    });
    // A second init (tests call the app builder many times) is harmless.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(otel)
        .try_init();
}

fn otlp_layer<S>(endpoint: &str, redact_pii: bool) -> anyhow::Result<impl Layer<S>>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    use opentelemetry_otlp::WithExportConfig;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()?;
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(crate::redact_otlp::RedactingExporter::new(
            exporter, redact_pii,
        ))
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name("steward")
                .build(),
        )
        .build();
    let tracer = provider.tracer("steward");
    Ok(tracing_opentelemetry::layer().with_tracer(tracer))
}
