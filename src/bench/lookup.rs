//! Customer lookup at scale: a scratch database with `customers` customers
//! (an email and a phone each), then, through the record activity's own
//! functions, the lookup by identity (`crm::customer_for_identity`) and the
//! whole resolution it is part of (`identity::resolve_customer`: claims,
//! people sharing a number, references), each in its own transaction.

use super::load::round2;
use serde_json::{Value, json};
use std::time::Instant;
use steward_activities::crm;
use steward_activities::identity::{Said, resolve_customer};
use steward_domain::Identity;

pub(super) async fn at_scale(
    database_url: &str,
    customers: usize,
    lookups: u32,
) -> anyhow::Result<Value> {
    let scratch = super::scratch::ScratchDatabase::create(database_url, "steward_lookup").await?;
    let pool = scratch.pool.clone();
    let started = Instant::now();
    // In slices of 100,000: one statement per slice keeps memory flat.
    for from in (1..=customers).step_by(100_000) {
        let to = (from + 99_999).min(customers);
        sqlx::query(
            "WITH c AS (
                 INSERT INTO customers (id, display_name)
                 SELECT gen_random_uuid(), 'customer ' || n FROM generate_series($1::int, $2::int) n
                 RETURNING id, display_name)
             INSERT INTO customer_identities (customer_id, kind, value)
             SELECT id, 'email', 'user' || substr(display_name, 10) || '@example.com' FROM c
             UNION ALL
             SELECT id, 'phone', '+1555' || lpad(substr(display_name, 10), 7, '0') FROM c",
        )
        .bind(from as i32)
        .bind(to as i32)
        .execute(&pool)
        .await?;
    }
    sqlx::query("ANALYZE").execute(&pool).await?;
    let loaded_secs = started.elapsed().as_secs_f64();
    let (mut lookup, mut resolution) = (Vec::new(), Vec::new());
    for i in 0..lookups {
        // Spread over the whole table, alternating the kinds of identity.
        let n = (i as usize * 7_919) % customers + 1;
        let identity = if i % 2 == 0 {
            Identity::email(&format!("User{n}@Example.com"))?
        } else {
            Identity::phone(&format!("+1555{n:07}"))?
        };
        let t = Instant::now();
        let mut tx = pool.begin().await?;
        crm::customer_for_identity(&mut tx, &identity, "").await?;
        tx.commit().await?;
        lookup.push(t.elapsed().as_secs_f64() * 1000.0);
        let said = Said {
            sender: &identity,
            display_name: "",
            subject: "",
            body: "hello",
            source_message_id: "SM",
        };
        let t = Instant::now();
        let mut tx = pool.begin().await?;
        resolve_customer(&mut tx, said, "US").await?;
        tx.commit().await?;
        resolution.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    scratch.drop_database().await?;
    let figures = |sample: Vec<f64>| {
        let sorted = crate::stats::sorted(sample);
        let p = |q: f64| round2(crate::stats::percentile(&sorted, q));
        json!({"p50": p(0.5), "p95": p(0.95), "p99": p(0.99)})
    };
    Ok(json!({
        "customers": customers, "lookups": lookups, "load_secs": round2(loaded_secs),
        "by_identity_ms": figures(lookup), "whole_resolution_ms": figures(resolution),
    }))
}
