//! The identity scenarios of `steward eval`: each scenario's messages go
//! through the same resolution the ticket activity uses, in a transaction
//! that is rolled back, and who the system *believes* is who is compared
//! with the labelled partition: the customers it produced, joined by the
//! claims messages made (a stated phone, email or ticket number). Claims
//! are counted apart from verified links (a claim proven with a code);
//! `linked_accuracy` scores what customers can see: verified links only.

use anyhow::Context;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use steward_domain::Identity;
use uuid::Uuid;

#[derive(Deserialize)]
struct Scenario {
    id: String,
    messages: Vec<Message>,
    expected_same_customer: Vec<Vec<usize>>,
}

#[derive(Deserialize)]
struct Message {
    /// `webform` only types its address; the other channels prove theirs.
    #[serde(default)]
    channel: String,
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
    let (mut correct, mut linked_correct, mut false_merges, mut missed_merges) = (0, 0, 0, 0);
    let (mut claims, mut verified_links) = (0, 0);
    let mut misses = Vec::new();
    let mut merged_wrongly = Vec::new();
    for scenario in &scenarios {
        let mut tx = pool.begin().await?;
        let mut customers = Vec::new();
        for (n, m) in scenario.messages.iter().enumerate() {
            let who = identity(&m.from, region)?;
            let name = m.from["name"].as_str().unwrap_or("");
            customers.push(
                steward_activities::identity::resolve_customer_on(
                    &mut tx,
                    steward_activities::identity::Said {
                        sender: &who,
                        display_name: name,
                        subject: "",
                        body: &m.body,
                        source_message_id: &format!("{}-{n}", scenario.id),
                    },
                    region,
                    m.channel != "webform",
                )
                .await?,
            );
        }
        let links = steward_activities::identity::believed_links(&mut tx).await?;
        tx.rollback().await?;
        claims += links.iter().filter(|l| !l.2).count();
        verified_links += links.iter().filter(|l| l.2).count();
        let group: BTreeMap<usize, usize> = scenario
            .expected_same_customer
            .iter()
            .enumerate()
            .flat_map(|(g, members)| members.iter().map(move |m| (*m, g)))
            .collect();
        let verified: Vec<_> = links.iter().filter(|l| l.2).copied().collect();
        if compare(&joined(&customers, &verified), &group) == (0, 0) {
            linked_correct += 1;
        }
        let (wrong, missed) = compare(&joined(&customers, &links), &group);
        false_merges += wrong;
        missed_merges += missed;
        if wrong > 0 {
            merged_wrongly.push(scenario.id.clone());
        }
        if (wrong, missed) == (0, 0) {
            correct += 1;
        } else {
            misses.push(scenario.id.clone());
        }
    }
    let total = scenarios.len().max(1) as f64;
    Ok(json!({
        "scenarios": scenarios.len(),
        "identity_accuracy": correct as f64 / total,
        "linked_accuracy": linked_correct as f64 / total,
        "claims": claims,
        "verified_links": verified_links,
        "false_merges": false_merges,
        "missed_merges": missed_merges,
        "missed_scenarios": misses,
        "false_merge_scenarios": merged_wrongly,
    }))
}

/// Each message's customer after joining the customers `links` connect
/// (claimant with holder), as the smallest id of its group.
fn joined(customers: &[Uuid], links: &[(Uuid, Uuid, bool)]) -> Vec<Uuid> {
    let mut root: BTreeMap<Uuid, Uuid> = BTreeMap::new();
    fn find(root: &BTreeMap<Uuid, Uuid>, mut c: Uuid) -> Uuid {
        while let Some(&parent) = root.get(&c).filter(|p| **p != c) {
            c = parent;
        }
        c
    }
    for &(a, b, _) in links {
        let (ra, rb) = (find(&root, a), find(&root, b));
        if ra != rb {
            root.insert(ra.max(rb), ra.min(rb));
        }
    }
    customers.iter().map(|c| find(&root, *c)).collect()
}

/// (pairs wrongly joined, pairs wrongly apart) against the labels.
fn compare(customers: &[Uuid], group: &BTreeMap<usize, usize>) -> (usize, usize) {
    let (mut wrong, mut missed) = (0, 0);
    for i in 0..customers.len() {
        for j in i + 1..customers.len() {
            let same_expected = group.get(&i) == group.get(&j);
            let same_got = customers[i] == customers[j];
            wrong += usize::from(same_got && !same_expected);
            missed += usize::from(!same_got && same_expected);
        }
    }
    (wrong, missed)
}
