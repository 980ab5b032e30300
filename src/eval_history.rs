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
    /// `--direct` only: the decision at each of [`crate::eval_direct::BARS`],
    /// drafted from the same searches (empty for a run through the stack).
    pub at_bars: Vec<AtBar>,
}

/// What a ticket's draft would have come to at another retrieval bar.
#[derive(Debug, Clone)]
pub struct AtBar {
    pub bar: f32,
    pub replied: bool,
    pub escalation: Option<String>,
    pub cited: Vec<String>,
}

/// The activity type of a local activity's marker (the quick steps since
/// `local-quick-steps`); `None` for any other marker.
pub(crate) fn local_activity_type(marker: &Value) -> Option<String> {
    if marker["marker_name"].as_str()? != "core_local_activity" {
        return None;
    }
    let data = decode(&marker["details"]["data"])?;
    Some(data["activity_type"].as_str()?.to_owned())
}

/// A local activity's marker: its activity type and result.
fn local_activity(marker: &Value) -> Option<(String, Value)> {
    let name = local_activity_type(marker)?;
    Some((name, decode(&marker["details"]["result"])?))
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
        let completed = if let Some(a) = attributes.get("ActivityTaskCompletedEventAttributes") {
            let id = a["scheduled_event_id"].as_i64().unwrap_or(0);
            scheduled.get(&id).cloned().zip(decode(&a["result"]))
        } else {
            attributes
                .get("MarkerRecordedEventAttributes")
                .and_then(local_activity)
        };
        let Some((name, result)) = completed else {
            continue;
        };
        match name.as_str() {
            "triage_message" if ran.triage_model.is_none() => {
                ran.triage_model = result["model_version"].as_str().map(str::to_owned);
            }
            "search_kb" if ran.retrieved.is_none() => {
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
            "draft_reply" if ran.cited.is_empty() => {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(name: &str) -> Ran {
        let path = format!("{}/tests/histories/{name}.json", env!("CARGO_MANIFEST_DIR"));
        read(&std::fs::read(path).unwrap())
    }

    /// The same ticket recorded before and after `local-quick-steps`: the
    /// search and the cited articles (and the triage model) are read from activity results
    /// in one and from local-activity markers in the other.
    #[test]
    fn decisions_are_read_from_activity_results_and_local_markers_alike() {
        let before = recorded("state_machine_answered_resolved_rated");
        let after = recorded("local_steps_answered_resolved_rated");
        // The older recording predates model versions in triage results.
        assert!(after.triage_model.is_some(), "{after:?}");
        for ran in [&before, &after] {
            assert!(!ran.cited.is_empty(), "{ran:?}");
            assert!(
                ran.retrieved.as_ref().is_some_and(|r| !r.is_empty()),
                "{ran:?}"
            );
        }
        assert_eq!(before.cited, after.cited);
    }
}
