//! Spans leave for the collector with phones and emails masked.

use super::*;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::sync::{Arc, Mutex};
use tracing_subscriber::layer::SubscriberExt;

/// The collector's side: keeps what it is sent.
#[derive(Debug, Clone, Default)]
struct Collector(Arc<Mutex<Vec<SpanData>>>);

impl SpanExporter for Collector {
    fn export(
        &self,
        batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        self.0.lock().unwrap().extend(batch);
        std::future::ready(Ok(()))
    }
}

#[test]
fn exported_spans_carry_no_phone_or_email() {
    let collector = Collector::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(RedactingExporter::new(collector.clone(), true))
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!(
            "send",
            workflow_id = "ticket-whatsapp-+14155550100",
            to = "+44 7700 900123"
        );
        let _entered = span.enter();
        tracing::warn!(
            from = "ana.lopez@example.com",
            "bounced for ana.lopez@example.com"
        );
    });
    provider.force_flush().unwrap();
    let spans = collector.0.lock().unwrap();
    assert_eq!(spans.len(), 1);
    let exported = format!("{:?}", spans[0]);
    for pii in ["4155550", "7700 900", "lopez"] {
        assert!(!exported.contains(pii), "{pii} exported: {exported}");
    }
    assert!(exported.contains("+14•••••••00"), "{exported}");
}
