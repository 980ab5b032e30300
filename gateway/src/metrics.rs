//! Prometheus metrics of the edge (webhooks; Kafka's are `steward_bus::metrics`) and the text
//! exposition behind `/metrics`. Every role registers into the process's
//! default registry, so one scrape shows all of them.

use prometheus::{
    Encoder, HistogramVec, IntCounterVec, TextEncoder, register_histogram_vec,
    register_int_counter_vec,
};
use std::sync::LazyLock;

pub static WEBHOOK_REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "steward_webhook_requests_total",
        "Webhook requests by channel and HTTP status.",
        &["channel", "status"]
    )
    .expect("metric registers once")
});

pub static WEBHOOK_SECONDS: LazyLock<HistogramVec> = LazyLock::new(|| {
    register_histogram_vec!(
        "steward_webhook_duration_seconds",
        "Webhook handling time, including the acks=all produce.",
        &["channel"],
        vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]
    )
    .expect("metric registers once")
});

/// Counts a webhook by its final HTTP status and times it (the 5xx-rate
/// alert reads the status label).
pub(crate) fn observe_webhook(
    channel: &str,
    started: std::time::Instant,
    response: &axum::response::Response,
) {
    WEBHOOK_REQUESTS
        .with_label_values(&[channel, response.status().as_str()])
        .inc();
    WEBHOOK_SECONDS
        .with_label_values(&[channel])
        .observe(started.elapsed().as_secs_f64());
}

/// The default registry in Prometheus text format.
pub fn render() -> String {
    let mut buffer = Vec::new();
    let encoder = TextEncoder::new();
    let _ = encoder.encode(&prometheus::gather(), &mut buffer);
    String::from_utf8(buffer).unwrap_or_default()
}
