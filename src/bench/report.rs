//! The bench's outputs: `report.json` (what was printed), `report.md` (each
//! figure beside its target and its platform ratio) and `latency.png` (the
//! acknowledgement percentiles against offered rate; also as SVG).

use super::plot;
use anyhow::Context;
use serde_json::{Value, json};
use std::fmt::Write;
use std::path::Path;

/// What the numbers were measured on.
pub(super) fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned());
    let memory_gb = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map(|kb| (kb / 1024.0 / 1024.0).round());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    json!({
        "cpu": model,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "memory_gb": memory_gb,
        "kernel": kernel.trim(),
        "build": if cfg!(debug_assertions) { "debug (not for reporting)" } else { "optimised (profile fast or release)" },
        "steward": env!("CARGO_PKG_VERSION"),
        "date_utc": chrono::Utc::now().format("%Y-%m-%d %H:%M").to_string(),
    })
}

/// Writes the three files into `out` (created if needed).
pub(super) fn write(out: &Path, report: &Value) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    std::fs::write(
        out.join("report.json"),
        serde_json::to_string_pretty(report)?,
    )?;
    let curve = report["figures"]["webhook_ack"]["curve"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let svg = plot::latency_svg(&curve);
    std::fs::write(out.join("latency.svg"), &svg)?;
    plot::svg_to_png(&svg, &out.join("latency.png"))?;
    std::fs::write(out.join("report.md"), markdown(report))?;
    Ok(())
}

fn num(v: &Value) -> String {
    match v.as_f64() {
        Some(x) if x.fract() == 0.0 => format!("{x:.0}"),
        Some(x) => format!("{x:.2}"),
        None => "–".into(),
    }
}

/// `met` / `not met` for a figure against a bound (`≤` when `at_most`).
fn verdict(value: &Value, bound: f64, at_most: bool) -> &'static str {
    match value.as_f64() {
        Some(v) if (at_most && v <= bound) || (!at_most && v >= bound) => "met",
        Some(_) => "**not met**",
        None => "not measured",
    }
}

fn markdown(r: &Value) -> String {
    let f = &r["figures"];
    let m = &r["machine"];
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# `steward bench` — {}\n",
        m["date_utc"].as_str().unwrap_or("")
    );
    let _ = writeln!(
        s,
        "Machine: {} × {} cores, {} GB, Linux {}; build: {}. One run, {} s wall; everything on this one machine over loopback (load generator included).\n",
        m["cpu"].as_str().unwrap_or("?"),
        m["cores"],
        m["memory_gb"],
        m["kernel"].as_str().unwrap_or("?"),
        m["build"].as_str().unwrap_or("?"),
        r["wall_secs"]
    );
    let ack500 = f["webhook_ack"]["curve"]
        .as_array()
        .and_then(|c| {
            c.iter()
                .find(|s| s["offered_rate"] == r["options"]["rate"])
                .cloned()
        })
        .unwrap_or(Value::Null);
    let t = &f["tickets"];
    let produce = &f["raw_produce_ms"];
    let _ = writeln!(
        s,
        "## Against the targets\n\n| figure | measured | target | | platform figure | ratio |\n|---|---|---|---|---|---|"
    );
    let ratio = |a: &Value, b: &Value| match (a.as_f64(), b.as_f64()) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "–".into(),
    };
    let rows = [
        (
            "webhook ack p99 at the fixed rate (ms)",
            &ack500["p99_ms"],
            15.0,
            true,
            "raw produce p99",
            &produce["p99"],
        ),
        (
            "inbound → reply p95 at the offered rate (ms)",
            &t["inbound_to_reply_ms"]["p95"],
            300.0,
            true,
            "",
            &Value::Null,
        ),
        (
            "tickets/s",
            &t["tickets_per_sec"],
            30.0,
            false,
            "empty workflows/s",
            &t["empty_workflows_per_sec"],
        ),
        (
            "ratio to empty workflows",
            &t["ratio_to_empty_workflows"],
            0.5,
            false,
            "",
            &Value::Null,
        ),
        (
            "KB search p95, query embedding included (ms)",
            &f["kb_search"]["hybrid_with_query_embedding_ms"]["p95"],
            20.0,
            true,
            "raw pgvector top-5 p95",
            &f["kb_search"]["raw_pgvector_top5_ms"]["p95"],
        ),
        (
            "customer lookup by identity p95 (ms)",
            &f["customer_lookup"]["by_identity_ms"]["p95"],
            1.0,
            true,
            "",
            &Value::Null,
        ),
        (
            "worker RSS at the end (MB)",
            &f["rss_mb"]["worker"]["rss"],
            200.0,
            true,
            "",
            &Value::Null,
        ),
    ];
    for (name, value, bound, at_most, platform, base) in rows {
        let op = if at_most { "≤" } else { "≥" };
        let _ = writeln!(
            s,
            "| {name} | {} | {op} {bound} | {} | {platform} {} | {} |",
            num(value),
            verdict(value, bound, at_most),
            num(base),
            ratio(value, base)
        );
    }
    let _ = writeln!(
        s,
        "\n## Webhook acknowledgement (intake paused; open loop, timed from when each request was due)\n\n![latency against offered rate](latency.png)\n\n| offered req/s | achieved | requests | errors | p50 ms | p95 ms | p99 ms | max ms |\n|---|---|---|---|---|---|---|---|"
    );
    for st in f["webhook_ack"]["curve"].as_array().into_iter().flatten() {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            st["offered_rate"],
            num(&st["achieved_rate"]),
            st["requests"],
            st["errors"],
            num(&st["p50_ms"]),
            num(&st["p95_ms"]),
            num(&st["p99_ms"]),
            num(&st["max_ms"])
        );
    }
    let _ = writeln!(
        s,
        "\nHighest sustained rate (no error, ≥ 95% of offered, p99 ≤ 100 ms): **{}** req/s. Raw produce to the same broker with the gateway's settings: p50 {} / p95 {} / p99 {} ms.",
        num(&f["webhook_ack"]["highest_sustained_rate"]),
        num(&produce["p50"]),
        num(&produce["p95"]),
        num(&produce["p99"])
    );
    let pct = |v: &Value| {
        format!(
            "{} / {} / {} ms (max {})",
            num(&v["p50"]),
            num(&v["p95"]),
            num(&v["p99"]),
            num(&v["max"])
        )
    };
    let _ = writeln!(
        s,
        "\n## Inbound → reply (WhatsApp webhook to the reply at Twilio), p50 / p95 / p99\n"
    );
    let _ = writeln!(
        s,
        "- idle, one ticket at a time ({}): {}",
        f["inbound_to_reply_idle_ms"]["tickets"],
        pct(&f["inbound_to_reply_idle_ms"])
    );
    let _ = writeln!(
        s,
        "- {} tickets offered at {}/s: {}; **{} tickets/s** sustained",
        t["inbound_to_reply_ms"]["tickets"],
        r["options"]["ticket_rate"],
        pct(&t["inbound_to_reply_ms"]),
        num(&t["tickets_per_sec"])
    );
    let _ = writeln!(
        s,
        "- the platform: {} empty workflows/s, each making the {} activity round trips a ticket made through the server (the ticket also ran {} quick steps as local activities); ratio {}",
        num(&t["empty_workflows_per_sec"]),
        t["activity_round_trips_per_ticket"],
        t["local_steps_per_ticket"],
        num(&t["ratio_to_empty_workflows"])
    );
    let prof = &f["idle_ticket_profile"];
    let _ = writeln!(
        s,
        "\nWhere the last idle ticket's time went (from its history): webhook → workflow started {} ms (gateway, Kafka, intake), then:\n\n| step | ms |\n|---|---|",
        num(&prof["webhook_to_workflow_start_ms"])
    );
    for step in prof["steps"].as_array().into_iter().flatten() {
        let _ = writeln!(
            s,
            "| {} | {} |",
            step["step"].as_str().unwrap_or(""),
            num(&step["ms"])
        );
    }
    let o = &f["open_tickets"];
    let _ = writeln!(
        s,
        "- with {} ticket workflows open (live SLA and quiet-window timers), one at a time: {} — p95 {}× idle",
        o["held"]["open_ticket_workflows"],
        pct(&o["inbound_to_reply_under_load_ms"]),
        num(&o["p95_ratio_loaded_to_idle"])
    );
    let d = &f["ack_backlog"];
    let _ = writeln!(
        s,
        "\n## Intake\n\nThe acknowledgement stages' {} records, waiting in Kafka while intake was paused, were handed to Temporal in {} s ({} records/s) once it resumed.",
        d["records"],
        num(&d["lag_zero_after_secs"]),
        num(&d["records_per_sec"])
    );
    let b = &f["burst"];
    let _ = writeln!(
        s,
        "\nThen the burst: {} records waiting in Kafka plus {} webhooks at once ({} acknowledged, posted in {} s): intake lag zero after **{} s** (peak lag {}). Acknowledged in the whole run: {}; ticket workflows: {}; **lost: {}**.",
        b["waiting_in_kafka_before"],
        b["webhooks"],
        b["acknowledged"],
        num(&b["posted_secs"]),
        num(&b["lag_zero_after_secs"]),
        b["peak_lag"],
        b["acknowledged_in_run"],
        b["ticket_workflows"],
        b["lost"]
    );
    let h = &o["held"];
    let _ = writeln!(
        s,
        "\nEvery WhatsApp ticket answered {} s after the burst: {} answered, {} messages at Twilio, {} refused by it.",
        num(&h["waited_secs"]),
        h["whatsapp_tickets_answered"],
        h["messages_at_twilio"],
        h["refused_by_twilio"]
    );
    let k = &f["kb_search"];
    let _ = writeln!(
        s,
        "\n## KB search and lookup\n\n- {} passages ({} embedded/s), {} queries: hybrid search including the query embedding p50 {} / p95 {} / p99 {} ms; raw pgvector top-5 alone p50 {} / p95 {} / p99 {} ms",
        k["passages"],
        num(&k["passages_embedded_per_sec"]),
        k["queries"],
        num(&k["hybrid_with_query_embedding_ms"]["p50"]),
        num(&k["hybrid_with_query_embedding_ms"]["p95"]),
        num(&k["hybrid_with_query_embedding_ms"]["p99"]),
        num(&k["raw_pgvector_top5_ms"]["p50"]),
        num(&k["raw_pgvector_top5_ms"]["p95"]),
        num(&k["raw_pgvector_top5_ms"]["p99"])
    );
    let l = &f["customer_lookup"];
    let (by, whole) = (&l["by_identity_ms"], &l["whole_resolution_ms"]);
    let _ = writeln!(
        s,
        "- customers: {} ({} lookups each way, transaction included; loaded in {} s): lookup by identity p50 {} / p95 {} / p99 {} ms; the whole resolution (claims, shared numbers, references) p50 {} / p95 {} / p99 {} ms",
        l["customers"],
        l["lookups"],
        num(&l["load_secs"]),
        num(&by["p50"]),
        num(&by["p95"]),
        num(&by["p99"]),
        num(&whole["p50"]),
        num(&whole["p95"]),
        num(&whole["p99"])
    );
    let rss = &f["rss_mb"];
    let _ = writeln!(
        s,
        "\n## Memory at the end (MB, resident / peak)\n\n| role | RSS | peak |\n|---|---|---|"
    );
    for role in ["gateway", "intake", "worker"] {
        let _ = writeln!(
            s,
            "| {role} | {} | {} |",
            num(&rss[role]["rss"]),
            num(&rss[role]["peak"])
        );
    }
    s
}
