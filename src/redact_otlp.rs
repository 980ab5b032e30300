//! Trace export through the same PII redaction as log lines: span names,
//! string attributes, event names and attributes, and error descriptions
//! are masked before spans leave for the OTLP collector (which is another
//! system, often another team's, with its own retention).

use crate::redact::redact;
use opentelemetry::trace::Status;
use opentelemetry::{Array, KeyValue, StringValue, Value};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use std::time::Duration;

/// Wraps an exporter; with `enabled` off (`log.redact_pii = false`) spans
/// pass unchanged, as log lines do.
#[derive(Debug)]
pub struct RedactingExporter<E> {
    inner: E,
    enabled: bool,
}

impl<E> RedactingExporter<E> {
    pub fn new(inner: E, enabled: bool) -> Self {
        Self { inner, enabled }
    }
}

fn text(s: &str) -> String {
    redact(s)
}

fn value(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(StringValue::from(text(s.as_str()))),
        Value::Array(Array::String(list)) => Value::Array(Array::String(
            list.iter()
                .map(|s| StringValue::from(text(s.as_str())))
                .collect(),
        )),
        other => other,
    }
}

fn attributes(list: Vec<KeyValue>) -> Vec<KeyValue> {
    list.into_iter()
        .map(|kv| KeyValue::new(kv.key, value(kv.value)))
        .collect()
}

/// One span with every free-text field masked.
pub fn redact_span(mut span: SpanData) -> SpanData {
    span.name = text(&span.name).into();
    span.attributes = attributes(std::mem::take(&mut span.attributes));
    for event in span.events.events.iter_mut() {
        event.name = text(&event.name).into();
        event.attributes = attributes(std::mem::take(&mut event.attributes));
    }
    if let Status::Error { description } = &span.status {
        span.status = Status::error(text(description));
    }
    span
}

impl<E: SpanExporter> SpanExporter for RedactingExporter<E> {
    fn export(
        &self,
        batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        let batch = if self.enabled {
            batch.into_iter().map(redact_span).collect()
        } else {
            batch
        };
        self.inner.export(batch)
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

#[cfg(test)]
#[path = "redact_otlp_tests.rs"]
mod tests;
