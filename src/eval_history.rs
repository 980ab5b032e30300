//! What a ticket's workflow history says it did: the triage decision and
//! its model, the knowledge-base search it ran (so retrieval is scored on
//! that search, not on a second call made for the report) and the articles
//! its draft cited. Read from the history's activity results, which are
//! the decisions themselves.

use base64::Engine;
use serde_json::Value;
use std::collections::HashMap;

/// The activity results of one ticket that scoring needs.
#[derive(Debug, Default, Clone)]
pub struct Ran {
    /// The triage model's version (`None`: phrase rules only).
    pub triage_model: Option<String>,
    /// Distinct articles of the first search, best first; `None` when no
    /// search ran (triage escalated first).
    pub retrieved: Option<Vec<String>>,
    /// Articles the draft cited.
    pub cited: Vec<String>,
}

fn decode(payloads: &Value) -> Option<Value> {
    let data = payloads["payloads"].get(0)?["data"].as_str()?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// `kb-012-some-title` → `kb-012`: the dataset's article id.
pub fn article_id(slug: &str) -> String {
    slug.splitn(3, '-').take(2).collect::<Vec<_>>().join("-")
}

/// Reads a history in the SDK's JSON form.
pub fn read(history: &[u8]) -> Ran {
    let mut ran = Ran::default();
    let Ok(history) = serde_json::from_slice::<Value>(history) else {
        return ran;
    };
    let mut scheduled: HashMap<i64, String> = HashMap::new();
    for event in history["events"].as_array().into_iter().flatten() {
        let attributes = &event["attributes"];
        if let Some(a) = attributes.get("ActivityTaskScheduledEventAttributes") {
            let name = a["activity_type"]["name"].as_str().unwrap_or("");
            scheduled.insert(event["event_id"].as_i64().unwrap_or(0), name.to_owned());
        }
        let Some(a) = attributes.get("ActivityTaskCompletedEventAttributes") else {
            continue;
        };
        let id = a["scheduled_event_id"].as_i64().unwrap_or(0);
        let Some(result) = decode(&a["result"]) else {
            continue;
        };
        match scheduled.get(&id).map(String::as_str) {
            Some("triage_message") if ran.triage_model.is_none() => {
                ran.triage_model = result["model_version"].as_str().map(str::to_owned);
            }
            Some("search_kb") if ran.retrieved.is_none() => {
                let mut articles: Vec<String> = result["top_articles"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.as_str().map(article_id))
                    .collect();
                // Histories from before `top_articles`: the passages.
                for p in result["passages"].as_array().into_iter().flatten() {
                    let id = article_id(p["article_slug"].as_str().unwrap_or(""));
                    if !articles.contains(&id) {
                        articles.push(id);
                    }
                }
                ran.retrieved = Some(articles);
            }
            Some("draft_reply") if ran.cited.is_empty() => {
                ran.cited = result["cited_articles"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.as_str().map(article_id))
                    .collect();
            }
            _ => {}
        }
    }
    ran
}
