//! Replay safety: histories recorded from real runs (tests/histories/, made
//! with `STEWARD_RECORD_HISTORIES=tests/histories cargo test --test lifecycle`)
//! must replay through the current `TicketWorkflow` without nondeterminism.
//! A change that breaks one needs a patch marker (`ctx.patched(...)`), and
//! the old history stays here to prove the old path still replays.

use steward_workflows::TicketWorkflow;
use temporalio_client::WorkflowHistory;
use temporalio_sdk::workflow_replayer::{WorkflowReplayer, WorkflowReplayerOptions};

#[tokio::test]
async fn recorded_ticket_histories_replay_on_the_current_code() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/histories");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 3,
        "expected recorded histories in {}",
        dir.display()
    );
    let replayer = WorkflowReplayer::new(
        WorkflowReplayerOptions::new()
            .register_workflow::<TicketWorkflow>()
            .unwrap()
            .build(),
    )
    .unwrap();
    for file in files {
        let history = WorkflowHistory::from_json(&std::fs::read(&file).unwrap()).unwrap();
        if let Err(err) = replayer.replay_workflow(history).await {
            panic!("{} no longer replays: {err}", file.display());
        }
    }
}
