//! The desk as the Temporal UI reads it, through the same APIs the UI
//! calls: the ticket card (the `__temporal_workflow_metadata` query's
//! current details), the workflow's static summary (describe), and the
//! names of timers and activities (user metadata on history events). The
//! card is rebuilt by a fresh worker replaying the history and must come
//! out identical.

use crate::support::*;
use std::time::Duration;
use steward::app::Roles;
use steward_workflows::TicketWorkflow;
use temporalio_client::{UntypedQuery, WorkflowDescribeOptions, WorkflowQueryOptions};
use temporalio_common::HasWorkflowDefinition;
use temporalio_common::data_converters::RawValue;

/// The card as the UI fetches it, or `None` while the query fails.
async fn current_details(app: &TestApp, workflow_id: &str) -> Option<String> {
    let client = steward::temporal::connect(&app.settings.temporal)
        .await
        .ok()?;
    let answer = client
        .get_workflow_handle::<TicketWorkflow>(workflow_id)
        .query(
            UntypedQuery::<<TicketWorkflow as HasWorkflowDefinition>::Run>::new(
                "__temporal_workflow_metadata",
            ),
            RawValue::new(vec![]),
            WorkflowQueryOptions::default(),
        )
        .await
        .ok()?;
    let payload = answer.payloads.first()?;
    let json: serde_json::Value = serde_json::from_slice(&payload.data).ok()?;
    json["currentDetails"].as_str().map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escalated_ticket_reads_as_a_ticket_and_its_card_survives_replay() {
    let mut app = spawn_app().await;
    let (workflow_id, number) = app.escalated_refund_ticket().await;

    let card = eventually("the card", Duration::from_secs(30), || async {
        current_details(&app, &workflow_id)
            .await
            .filter(|c| c.contains("waiting for a human"))
    })
    .await;
    for expected in [
        format!("## {number} · WhatsApp · Ana L."),
        "**Escalated because:** `refund`".into(),
        "| human acknowledgement — tier 1 |".into(),
        "I was charged twice this month".into(),
        "Send Update → `assign`".into(),
    ] {
        assert!(card.contains(&expected), "missing {expected:?} in:\n{card}");
    }
    let digits = workflow_id.rsplit('+').next().unwrap();
    assert!(!card.contains(digits), "the card masks the phone:\n{card}");

    let client = steward::temporal::connect(&app.settings.temporal)
        .await
        .unwrap();
    let described = client
        .get_workflow_handle::<TicketWorkflow>(&workflow_id)
        .describe(WorkflowDescribeOptions::default())
        .await
        .unwrap();
    assert_eq!(
        described.static_summary(),
        Some("WhatsApp · Ana L. · 'I was charged twice this month, please refund o…'")
    );

    // The next timer (the acknowledgement's warning comes due first)
    // starts in the task after the escalation.
    let summaries = eventually("the named ack timer", Duration::from_secs(30), || async {
        let summaries = app.event_summaries(&workflow_id).await;
        summaries
            .iter()
            .any(|s| s.starts_with("acknowledgement warning — tier 1, "))
            .then_some(summaries)
    })
    .await;
    for expected in [
        "load the SLA and drafting policy",
        "record WhatsApp message: 'I was charged twice this month, please refund one of them.'",
        "triage: 'I was charged twice this month, please refund one of them.'",
        "escalate to humans, tier 1: refund",
        "send holding reply via WhatsApp",
    ] {
        assert!(
            summaries.iter().any(|s| s == expected),
            "no {expected:?} among {summaries:#?}"
        );
    }

    // The ticket now waits (its timer started): the card it shows last is
    // what a fresh worker, which has no cached workflow and so replays the
    // whole history to answer the query, must show too.
    let settled = current_details(&app, &workflow_id).await.unwrap();
    app.running.take().unwrap().shutdown().await;
    app.running = Some(
        steward::app::start(&app.settings, Roles::WORKER)
            .await
            .unwrap(),
    );
    let replayed = eventually("the replayed card", Duration::from_secs(60), || {
        current_details(&app, &workflow_id)
    })
    .await;
    assert_eq!(replayed, settled);
    app.record_history(&workflow_id, "desk_view_escalated")
        .await;
    app.stop().await;
}
