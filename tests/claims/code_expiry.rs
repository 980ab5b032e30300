//! Every code sent for a claim has a workflow of its own whose timer is the
//! code's expiry, visible in the Temporal UI; when it fires, the code is
//! dead in the database (not only past a stored timestamp).

use super::{WAIT, submit_form, uk_phone};
use crate::support::standins::{Twilio, twilio_settings};
use crate::support::*;
use steward::app::Roles;
use steward_domain::ticket_io::{ClaimCodeFate, ClaimCodeWatch};
use steward_workflows::ClaimCodeWorkflow;
use temporalio_client::{
    WorkflowDescribeOptions, WorkflowGetResultOptions, WorkflowIdConflictPolicy,
    WorkflowStartOptions, WorkflowTerminateOptions,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_code_sent_has_an_expiry_workflow_that_kills_it_when_it_fires() {
    let twilio = Twilio::default();
    let mut settings = test_settings().await;
    settings.activities.twilio = twilio_settings(twilio.clone().start().await);
    let app = spawn_app_with(settings, Roles::ALL).await;

    // A web form states someone's phone: a claim, and a code to that phone.
    let phone = uk_phone();
    submit_form(
        &app,
        "mallory@attacker.example",
        &phone,
        "How do I reset my password?",
    )
    .await;
    let claim_id: i64 = eventually("a code sent for the claim", WAIT, || async {
        sqlx::query_scalar("SELECT id FROM identity_claims WHERE codes_sent = 1")
            .fetch_optional(&app.pool)
            .await
            .ok()
            .flatten()
    })
    .await;
    assert!(
        twilio
            .bodies()
            .iter()
            .any(|b| b.contains("within 10 minutes")),
        "{:?}",
        twilio.bodies()
    );

    // Its watch runs, named for the claim (masked) with a named timer.
    let client = steward::temporal::connect(&app.settings.temporal)
        .await
        .unwrap();
    let workflow_id = format!("claim-code-{claim_id}-1");
    let watch = client.get_workflow_handle::<ClaimCodeWorkflow>(&workflow_id);
    let described = eventually("the code's watch", WAIT, || async {
        watch
            .describe(WorkflowDescribeOptions::default())
            .await
            .ok()
    })
    .await;
    let summary = described.static_summary().unwrap_or_default().to_owned();
    assert!(
        summary.starts_with(&format!("claim #{claim_id}: code 1 for phone +4477")),
        "{summary}"
    );
    assert!(!summary.contains(&phone), "masked: {summary}");
    let named = eventually("the expiry timer", WAIT, || async {
        let summaries = app.event_summaries(&workflow_id).await;
        summaries
            .into_iter()
            .find(|s| s.starts_with("claim code expiry"))
    })
    .await;
    assert_eq!(named, "claim code expiry, 10 min");

    // The same code's watch with a one-second timer: when it fires, the
    // code is dead (the claim stays pending and links nothing).
    watch
        .terminate(WorkflowTerminateOptions::default())
        .await
        .unwrap();
    let short = ClaimCodeWatch {
        claim_id,
        serial: 1,
        claimed: "phone (test)".into(),
        expires_in_secs: 1,
    };
    let options = WorkflowStartOptions::new(app.settings.intake.task_queue.clone(), workflow_id)
        .id_conflict_policy(WorkflowIdConflictPolicy::TerminateExisting)
        .build();
    let fate = client
        .start_workflow(ClaimCodeWorkflow::run, short, options)
        .await
        .unwrap()
        .get_result(WorkflowGetResultOptions::default())
        .await
        .unwrap();
    assert_eq!(fate, ClaimCodeFate::Expired);
    let (dead, status): (bool, String) = sqlx::query_as(
        "SELECT code_expires_at <= now(), status FROM identity_claims WHERE id = $1",
    )
    .bind(claim_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(dead, "the code is dead once its watch fired");
    assert_eq!(status, "pending");
    app.stop().await;
}
