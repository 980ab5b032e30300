//! Ticket metrics, recorded where the facts are (ticket events, sends, LLM
//! calls), into the process's default Prometheus registry.

use prometheus::{
    CounterVec, HistogramVec, IntCounterVec, register_counter_vec, register_histogram_vec,
    register_int_counter_vec,
};
use std::sync::LazyLock;

pub static TICKETS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "steward_tickets_total",
        "Ticket transitions by channel and event (opened, escalated, resolved, closed).",
        &["channel", "event"]
    )
    .expect("metric registers once")
});

/// `resolved{autonomous="true"}` over all `resolved` is the autonomous-resolution ratio.
pub static RESOLUTIONS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "steward_resolutions_total",
        "Resolved tickets, by channel and whether no human touched them.",
        &["channel", "autonomous"]
    )
    .expect("metric registers once")
});

pub static SLA: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "steward_sla_total",
        "SLA outcomes by kind (first_response, ack, resolution) and outcome (met, breached).",
        &["kind", "outcome"]
    )
    .expect("metric registers once")
});

pub static REPLY_SECONDS: LazyLock<HistogramVec> = LazyLock::new(|| {
    register_histogram_vec!(
        "steward_reply_latency_seconds",
        "From the customer's latest message to our reply being sent, by channel and author.",
        &["channel", "kind"],
        vec![
            0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0
        ]
    )
    .expect("metric registers once")
});

pub static LLM_TOKENS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "steward_llm_tokens_total",
        "LLM tokens by model and kind.",
        &["model", "kind"]
    )
    .expect("metric registers once")
});

pub static LLM_COST: LazyLock<CounterVec> = LazyLock::new(|| {
    register_counter_vec!(
        "steward_llm_cost_usd_total",
        "Estimated LLM cost: tokens times the configured price per 1k tokens.",
        &["model"]
    )
    .expect("metric registers once")
});

pub static LLM_ERRORS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "steward_llm_errors_total",
        "Failed LLM calls by kind.",
        &["kind"]
    )
    .expect("metric registers once")
});

/// Counts what a ticket event means for the dashboards.
pub fn count_event(
    event: &steward_workflows::contracts::TicketEvent,
    channel: &str,
    first_response: bool,
) {
    match event.event.as_str() {
        "opened" | "escalated" | "resolved" | "closed" | "reopened" => {
            TICKETS.with_label_values(&[channel, &event.event]).inc();
        }
        _ => {}
    }
    if event.event == "resolved" {
        let autonomous = event.resolved_autonomously.unwrap_or(false).to_string();
        RESOLUTIONS.with_label_values(&[channel, &autonomous]).inc();
    }
    if event.event == "escalated" && event.detail == "sla_first_response" {
        SLA.with_label_values(&["first_response", "breached"]).inc();
    }
    if event.event == "acknowledged" && !event.sla_breached {
        SLA.with_label_values(&["ack", "met"]).inc();
    }
    if event.event == "resolved" && event.owner.is_some() && !event.sla_breached {
        SLA.with_label_values(&["resolution", "met"]).inc();
    }
    if event.event == "sla_breached" {
        SLA.with_label_values(&[event.detail.as_str(), "breached"])
            .inc();
    }
    if first_response && !event.sla_breached {
        SLA.with_label_values(&["first_response", "met"]).inc();
    }
}
