//! Prometheus metrics of the bus (produce latency, intake throughput and
//! lag), registered in the process's default registry like every role's,
//! so the gateway's and worker's `/metrics` render them.

use prometheus::{
    HistogramVec, IntCounterVec, IntGaugeVec, register_histogram_vec, register_int_counter_vec,
    register_int_gauge_vec,
};
use std::sync::LazyLock;

pub static KAFKA_PRODUCE_SECONDS: LazyLock<HistogramVec> = LazyLock::new(|| {
    register_histogram_vec!(
        "steward_kafka_produce_duration_seconds",
        "Time until Kafka acknowledged an envelope (acks=all), by outcome.",
        &["outcome"],
        vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0]
    )
    .expect("metric registers once")
});

pub static INTAKE_MESSAGES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "steward_intake_messages_total",
        "Envelopes handled by intake: accepted (Temporal took it) or dlq.",
        &["outcome"]
    )
    .expect("metric registers once")
});

pub static INTAKE_LAG: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    register_int_gauge_vec!(
        "steward_intake_lag_messages",
        "Messages behind the partition's high watermark when the last one was received.",
        &["partition"]
    )
    .expect("metric registers once")
});
