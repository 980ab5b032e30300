//! The identity scenarios of `steward eval`: each scenario's messages go
//! through the same resolution the ticket activity uses, in a transaction
//! that is rolled back, and the customers it produced are compared with the
//! labelled partition.

use anyhow::Context;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use steward_domain::Identity;

#[derive(Deserialize)]
struct Scenario {
    id: String,
    messages: Vec<Message>,
    expected_same_customer: Vec<Vec<usize>>,
}

#[derive(Deserialize)]
struct Message {
    from: Value,
    body: String,
}

fn identity(from: &Value, region: &str) -> anyhow::Result<Identity> {
    if let Some(phone) = from["phone"].as_str() {
        return Ok(steward_domain::identity::phone_in_region(phone, region)?);
    }
    Ok(Identity::email(
        from["email"]
            .as_str()
            .context("a sender without phone or email")?,
    )?)
}

pub async fn score(pool: &sqlx::PgPool, path: &Path, region: &str) -> anyhow::Result<Value> {
    let scenarios: Vec<Scenario> = std::fs::read_to_string(path)
        .context("reading identity.jsonl")?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let (mut correct, mut false_merges, mut missed_merges) = (0, 0, 0);
    let mut misses = Vec::new();
    let mut merged_wrongly = Vec::new();
    for scenario in &scenarios {
        let mut tx = pool.begin().await?;
        let mut customers = Vec::new();
        for (n, m) in scenario.messages.iter().enumerate() {
            let who = identity(&m.from, region)?;
            let name = m.from["name"].as_str().unwrap_or("");
            customers.push(
                steward_activities::identity::resolve_customer(
                    &mut tx,
                    steward_activities::identity::Said {
                        sender: &who,
                        display_name: name,
                        subject: "",
                        body: &m.body,
                        source_message_id: &format!("{}-{n}", scenario.id),
                    },
                    region,
                )
                .await?,
            );
        }
        tx.rollback().await?;
        let group: BTreeMap<usize, usize> = scenario
            .expected_same_customer
            .iter()
            .enumerate()
            .flat_map(|(g, members)| members.iter().map(move |m| (*m, g)))
            .collect();
        let mut ok = true;
        for i in 0..customers.len() {
            for j in i + 1..customers.len() {
                let same_expected = group.get(&i) == group.get(&j);
                let same_got = customers[i] == customers[j];
                if same_got && !same_expected {
                    false_merges += 1;
                    ok = false;
                    if merged_wrongly.last() != Some(&scenario.id) {
                        merged_wrongly.push(scenario.id.clone());
                    }
                }
                if !same_got && same_expected {
                    missed_merges += 1;
                    ok = false;
                }
            }
        }
        if ok {
            correct += 1;
        } else {
            misses.push(scenario.id.clone());
        }
    }
    Ok(json!({
        "scenarios": scenarios.len(),
        "identity_accuracy": correct as f64 / scenarios.len().max(1) as f64,
        "false_merges": false_merges,
        "missed_merges": missed_merges,
        "missed_scenarios": misses,
        "false_merge_scenarios": merged_wrongly,
    }))
}
