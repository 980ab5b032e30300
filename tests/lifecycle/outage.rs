//! Postgres down mid-ticket: the activity that needs it fails, Temporal
//! retries it with backoff, and when Postgres is back the ticket carries on
//! where it stopped; nothing is lost and the customer gets one reply.

use crate::support::private_postgres::PrivatePostgres;
use crate::support::standins::*;
use crate::support::*;
use crate::{WAIT, settings_with_standins};
use std::time::Duration;
use steward::app::Roles;
use steward::webhook_sign::whatsapp_form;
use steward_domain::{Channel, Phase, ticket_workflow_id};
use steward_workflows::TicketWorkflow;
use temporalio_client::WorkflowDescribeOptions;

/// The highest attempt among the ticket's pending activities, and the
/// last failure's message.
async fn retried(app: &TestApp, workflow_id: &str) -> Option<(i32, String)> {
    let client = steward::temporal::connect(&app.settings.temporal)
        .await
        .ok()?;
    let described = client
        .get_workflow_handle::<TicketWorkflow>(workflow_id)
        .describe(WorkflowDescribeOptions::default())
        .await
        .ok()?;
    described
        .raw_description
        .pending_activities
        .iter()
        .map(|a| {
            let failure = a.last_failure.as_ref().map(|f| f.message.clone());
            (a.attempt, failure.unwrap_or_default())
        })
        .max_by_key(|(attempt, _)| *attempt)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_down_mid_ticket_delays_it_and_it_finishes_when_postgres_returns() {
    let pg = PrivatePostgres::start();
    let twilio = Twilio::default();
    let (mut settings, _queue) = settings_with_standins(&twilio).await;
    settings.database.url = pg.url("steward_outage").into();
    let app = spawn_app_with(settings, Roles::ALL).await;

    pg.stop();
    let phone = unique_phone();
    let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
    let params = whatsapp_form(
        &phone,
        OUR_WHATSAPP,
        "I was charged twice this month, please refund one of them.",
        &sid,
        "Ana Lopez",
    );
    // The gateway needs Kafka, not Postgres: the message is acknowledged.
    assert_eq!(app.post_signed_whatsapp(&params).await.status(), 200);
    let workflow_id = ticket_workflow_id(Channel::Whatsapp, &phone);
    let (attempt, failure) = eventually("a retried activity", WAIT, || async {
        retried(&app, &workflow_id).await.filter(|(n, _)| *n >= 3)
    })
    .await;
    assert!(
        twilio.bodies().is_empty(),
        "nothing is sent while the ticket cannot be recorded"
    );
    println!("attempt {attempt} failed with: {failure}");

    pg.resume();
    let view = eventually("the escalation after the outage", WAIT, || async {
        app.ticket_status(&workflow_id)
            .await
            .filter(|v| v.phase == Phase::Escalated)
    })
    .await;
    assert_eq!(view.messages_recorded, 1, "the message was recorded once");
    eventually("the holding reply", WAIT, || async {
        (twilio.bodies().len() == 1).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        twilio.bodies().len(),
        1,
        "exactly one reply: {:?}",
        twilio.bodies()
    );
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM messages WHERE direction = 'inbound'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(stored, 1, "the acknowledged message is in the CRM");
    app.stop().await;
}
