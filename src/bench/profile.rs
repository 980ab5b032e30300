//! Where one ticket's time went, read from its workflow history's event
//! times: each activity task (scheduled → completed) and each workflow task
//! (started → completed; local steps run inside these), so the report
//! shows which step to make faster before anything is changed.

use serde_json::{Value, json};
use std::collections::HashMap;

#[derive(Debug, Default)]
pub(super) struct TicketProfile {
    /// Activity tasks scheduled through the server.
    pub(super) round_trips: u32,
    /// Steps run as local activities (markers).
    pub(super) local_steps: u32,
    /// When the workflow started (Unix ms, the server's clock).
    pub(super) started_unix_ms: Option<f64>,
    /// (step, ms) in history order, up to the first reply sent.
    pub(super) steps: Vec<(String, f64)>,
}

fn unix_ms(event: &Value) -> Option<f64> {
    let at = chrono::DateTime::parse_from_rfc3339(event["event_time"].as_str()?).ok()?;
    Some(at.timestamp_micros() as f64 / 1000.0)
}

impl TicketProfile {
    pub(super) fn read(history: &Value) -> Self {
        let mut profile = Self::default();
        let mut scheduled: HashMap<i64, (String, f64)> = HashMap::new();
        let mut task_started = None;
        for event in history["events"].as_array().into_iter().flatten() {
            let (id, at) = (
                event["event_id"].as_i64().unwrap_or(0),
                unix_ms(event).unwrap_or(0.0),
            );
            let Some((kind, a)) = event["attributes"]
                .as_object()
                .and_then(|o| o.iter().next())
            else {
                continue;
            };
            match kind.as_str() {
                "WorkflowExecutionStartedEventAttributes" => profile.started_unix_ms = Some(at),
                "ActivityTaskScheduledEventAttributes" => {
                    profile.round_trips += 1;
                    let name = a["activity_type"]["name"]
                        .as_str()
                        .unwrap_or("?")
                        .to_owned();
                    scheduled.insert(id, (name, at));
                }
                "ActivityTaskCompletedEventAttributes" => {
                    let key = a["scheduled_event_id"].as_i64().unwrap_or(0);
                    if let Some((name, from)) = scheduled.remove(&key) {
                        let sent = name == "send_reply";
                        profile.steps.push((format!("activity {name}"), at - from));
                        if sent {
                            break;
                        }
                    }
                }
                "WorkflowTaskStartedEventAttributes" => task_started = Some(at),
                "WorkflowTaskCompletedEventAttributes" => {
                    if let Some(from) = task_started.take() {
                        profile.steps.push(("workflow task".into(), at - from));
                    }
                }
                // A local step's marker follows the completion of the
                // workflow task it ran in: name it on that task.
                "MarkerRecordedEventAttributes" if a["marker_name"] == "core_local_activity" => {
                    profile.local_steps += 1;
                    let name = crate::eval_history::local_activity_type(a)
                        .unwrap_or_else(|| "a local step".into());
                    if let Some((step, _)) = profile.steps.last_mut() {
                        step.push_str(if step.contains(" running ") {
                            ", "
                        } else {
                            " running "
                        });
                        step.push_str(&name);
                    }
                }
                _ => {}
            }
        }
        profile
    }

    pub(super) fn figures(&self, posted_unix_ms: f64) -> Value {
        let steps: Vec<Value> = self
            .steps
            .iter()
            .map(|(step, ms)| json!({"step": step, "ms": super::load::round2(*ms)}))
            .collect();
        json!({
            "webhook_to_workflow_start_ms": self.started_unix_ms.map(|s| super::load::round2(s - posted_unix_ms)),
            "steps": steps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A recorded answered ticket (since `local-quick-steps`): up to its
    /// first reply, five tasks went through the server and four quick
    /// steps ran locally, each named on the workflow task it ran in.
    #[test]
    fn reads_round_trips_local_steps_and_step_times_up_to_the_first_reply() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/histories/local_steps_answered_resolved_rated.json"
        );
        let history: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let profile = TicketProfile::read(&history);
        assert_eq!((profile.round_trips, profile.local_steps), (5, 4));
        let steps: Vec<&str> = profile.steps.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(steps.last(), Some(&"activity send_reply"), "{steps:?}");
        assert!(
            steps.contains(&"workflow task running triage_message"),
            "{steps:?}"
        );
        assert!(
            steps.contains(&"workflow task running draft_reply, check_reply"),
            "{steps:?}"
        );
        assert!(profile.steps.iter().all(|(_, ms)| *ms >= 0.0));
        assert!(profile.started_unix_ms.is_some());
    }
}
