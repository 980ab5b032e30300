//! Postgres crashes mid-run (`pg_ctl stop -m immediate`, then started
//! again) on a cluster of the test's own: the activities that need it fail
//! and Temporal retries them; once it is back every ticket finishes with
//! exactly one reply. The gateway needs only Kafka: it keeps acknowledging.

use crate::replies::*;
use crate::support::fail_loudly::fail_loudly;
use crate::support::private_postgres::PrivatePostgres;
use crate::support::standins::*;
use crate::support::*;
use std::time::{Duration, Instant};
use steward::app::Roles;
use steward_domain::{Channel, ticket_workflow_id};
use steward_workflows::TicketWorkflow;
use temporalio_client::WorkflowDescribeOptions;

/// The highest attempt among `phone`'s ticket's pending activities.
async fn attempts(client: &temporalio_client::Client, phone: &str) -> i32 {
    let id = ticket_workflow_id(Channel::Whatsapp, phone);
    let Ok(described) = client
        .get_workflow_handle::<TicketWorkflow>(&id)
        .describe(WorkflowDescribeOptions::default())
        .await
    else {
        return 0;
    };
    let pending = &described.raw_description.pending_activities;
    pending.iter().map(|a| a.attempt).max().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_mid_run_every_ticket_finishes_with_one_reply() {
    fail_loudly();
    let started = Instant::now();
    let pg = PrivatePostgres::start();
    let twilio = Twilio::default();
    let (mut settings, _queue) = with_standins(test_settings().await, &twilio).await;
    settings.database.url = pg.url("steward_faults").into();
    let app = spawn_app_with(settings, Roles::ALL).await;
    import_demo_kb(&app).await;
    let client = steward::temporal::connect(&app.settings.temporal)
        .await
        .unwrap();
    let phones: Vec<String> = (0..30).map(|_| unique_phone()).collect();
    let (before, during) = phones.split_at(15);

    for phone in before {
        let status = app
            .post_signed_whatsapp(&first_message(phone))
            .await
            .status();
        assert_eq!(status, 200);
    }
    eventually("the first replies", Duration::from_secs(120), || async {
        (before.iter().filter(|p| answered(&twilio, p)).count() >= 5).then_some(())
    })
    .await;

    // Postgres dies while the first tickets are still being answered.
    pg.stop();
    let answered_at_crash = before.iter().filter(|p| answered(&twilio, p)).count();
    for phone in during {
        let status = app
            .post_signed_whatsapp(&first_message(phone))
            .await
            .status();
        assert_eq!(status, 200, "the gateway acknowledges without Postgres");
    }
    // Tickets that reached an activity needing Postgres are failing and
    // being retried; none of them is answered meanwhile.
    let retried = eventually("an activity retried", Duration::from_secs(60), || async {
        for phone in during {
            let attempt = attempts(&client, phone).await;
            if attempt >= 2 {
                return Some(attempt);
            }
        }
        None
    })
    .await;
    assert!(during.iter().all(|p| !answered(&twilio, p)));
    pg.resume();
    println!(
        "Postgres crashed with {answered_at_crash} of the first 15 answered; restarted after attempt {retried} at {:.1}s",
        started.elapsed().as_secs_f64()
    );

    let tally = one_reply_each(&app, &twilio, &phones, Duration::from_secs(120)).await;
    println!(
        "30 tickets across a Postgres restart: {tally:?}, {:.1}s",
        started.elapsed().as_secs_f64()
    );
    app.stop().await;
}
