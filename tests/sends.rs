//! Sends that fail, end to end against real Temporal, Kafka and Postgres
//! and the Twilio and Gmail stand-ins: a permanent refusal (Twilio 21211,
//! Gmail 400) is one definite `undeliverable` outcome and the ticket lives
//! on; an ambiguous send (accepted then timed out, an unreadable 2xx, a 2xx
//! without an id) is looked up at the provider and recorded, never sent
//! twice; a send the provider says it never got is sent again; when the
//! provider cannot say, humans are asked.

mod support;

use std::time::Duration;
use steward::app::Roles;
use steward::webhook_sign::whatsapp_form;
use steward_domain::{Channel, ticket_workflow_id};
use steward_workflows::TicketWorkflow;
use support::google::{GmailSendMode, Google};
use support::standins::{HumanQueue, OUR_WHATSAPP, SendMode, Twilio, twilio_settings};
use support::*;
use temporalio_client::{WorkflowDescribeOptions, WorkflowExecutionStatus};

const WAIT: Duration = Duration::from_secs(60);
/// Longer than the senders' own 8 s timeout: the answer never arrives.
const HANG: Duration = Duration::from_secs(20);

async fn with_kb(mut settings: steward::settings::Settings) -> TestApp {
    // No CSAT request while a test counts the messages a ticket sent.
    settings.activities.policy.sla.quiet_window_secs = 3600;
    let app = spawn_app_with(settings, Roles::ALL).await;
    let demo_kb = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-kb");
    steward_activities::kb::import_dir(&app.pool, &demo_kb)
        .await
        .unwrap();
    app
}

async fn twilio_app() -> (TestApp, Twilio, HumanQueue) {
    let twilio = Twilio::default();
    let queue = HumanQueue::default();
    let mut settings = test_settings().await;
    settings.activities.twilio = twilio_settings(twilio.clone().start().await);
    settings.activities.human_queue_webhook = Some(queue.clone().start().await.into());
    (with_kb(settings).await, twilio, queue)
}

async fn gmail_app() -> (TestApp, Google) {
    let mailbox = format!("support-{}@acme.test", uuid::Uuid::new_v4().simple());
    let google = Google::new(&mailbox);
    let url = google.clone().start().await;
    let mut settings = test_settings().await;
    settings.activities.gmail = google.settings(&url, 1);
    let app = with_kb(settings).await;
    eventually("the first sync and watch", WAIT, || async {
        (google.watches() >= 1).then_some(())
    })
    .await;
    (app, google)
}

async fn customer_writes(app: &TestApp, phone: &str) -> String {
    let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
    let params = whatsapp_form(
        phone,
        OUR_WHATSAPP,
        "How do I reset my password?",
        &sid,
        "Ana",
    );
    assert_eq!(app.post_signed_whatsapp(&params).await.status(), 200);
    ticket_workflow_id(Channel::Whatsapp, phone)
}

/// The ledger row of the ticket's first send once it is settled:
/// (state, provider id, reconciled, last error).
type Row = (String, Option<String>, bool, Option<String>);

async fn settled_send(app: &TestApp, workflow_id: &str) -> Row {
    eventually("the send settled on the ledger", WAIT, || async {
        sqlx::query_as::<_, Row>(
            "SELECT o.state, o.provider_message_id, o.reconciled, o.last_error
             FROM outbound_sends o JOIN tickets t ON t.id = o.ticket_id
             WHERE t.workflow_id = $1 AND o.state IN ('sent', 'undeliverable', 'uncertain')",
        )
        .bind(workflow_id)
        .fetch_optional(&app.pool)
        .await
        .unwrap()
    })
    .await
}

/// The ticket's workflow is still running (no failure ended it).
async fn assert_running(app: &TestApp, workflow_id: &str) {
    let client = steward::temporal::connect(&app.settings.temporal)
        .await
        .unwrap();
    let description = client
        .get_workflow_handle::<TicketWorkflow>(workflow_id)
        .describe(WorkflowDescribeOptions::default())
        .await
        .unwrap();
    assert_eq!(
        description.status(),
        WorkflowExecutionStatus::Running,
        "{workflow_id} must stay alive"
    );
}

fn sent_to(twilio: &Twilio, phone: &str) -> Vec<String> {
    let sent = twilio.sent.lock().unwrap();
    sent.iter()
        .filter(|m| m.to == phone)
        .map(|m| m.sid.clone())
        .collect()
}

#[tokio::test]
async fn twilio_invalid_number_is_undeliverable_once_and_the_ticket_lives() {
    let (app, twilio, queue) = twilio_app().await;
    let phone = unique_phone();
    twilio.invalid_numbers.lock().unwrap().push(phone.clone());
    let workflow_id = customer_writes(&app, &phone).await;
    let (state, _, _, error) = settled_send(&app, &workflow_id).await;
    assert_eq!(state, "undeliverable");
    assert!(error.unwrap_or_default().contains("21211"));
    // The bot held the ticket: it goes to a person as `delivery_failed`
    // (an escalation page, with no holding message on the refusing channel).
    eventually("humans told of the failed delivery", WAIT, || async {
        queue
            .posts()
            .into_iter()
            .find(|p| p["kind"] == "delivery_failed" || p["reason"] == "delivery_failed")
    })
    .await;
    let view = app.ticket_status(&workflow_id).await.unwrap();
    assert_eq!(
        view.escalation_reason,
        Some(steward_domain::EscalationReason::DeliveryFailed)
    );
    assert!(view.deadlines.ack_unix_ms.is_some(), "the ack clock runs");
    assert_running(&app, &workflow_id).await;
    assert_eq!(
        *twilio.requests.lock().unwrap(),
        1,
        "refused once, not retried"
    );
    app.stop().await;
}

#[tokio::test]
async fn gmail_400_is_undeliverable_once_and_the_ticket_lives() {
    let (app, google) = gmail_app().await;
    google.push_send_mode(GmailSendMode::Reject);
    let (_, thread, _) = google.receive(
        "ana@example.com",
        "Password",
        "CAF-400@mail.example.com",
        "How do I reset my password?",
    );
    let workflow_id = ticket_workflow_id(Channel::Email, &thread);
    let (state, _, _, error) = settled_send(&app, &workflow_id).await;
    assert_eq!(state, "undeliverable");
    assert!(error.unwrap_or_default().contains("400"));
    assert_running(&app, &workflow_id).await;
    assert_eq!(google.send_requests(), 1, "refused once, not retried");
    assert!(google.sent().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn twilio_ambiguous_answers_are_found_at_twilio_not_sent_twice() {
    let (app, twilio, _queue) = twilio_app().await;
    for mode in [
        SendMode::AcceptThenHang(HANG),
        SendMode::UnreadableAnswer,
        SendMode::AnswerWithoutSid,
    ] {
        twilio.modes.lock().unwrap().push_back(mode.clone());
        let phone = unique_phone();
        let workflow_id = customer_writes(&app, &phone).await;
        let (state, id, reconciled, _) = settled_send(&app, &workflow_id).await;
        let sent = sent_to(&twilio, &phone);
        assert_eq!(sent.len(), 1, "{mode:?}: one message reached the customer");
        assert_eq!((state.as_str(), reconciled), ("sent", true), "{mode:?}");
        assert_eq!(
            id.as_deref(),
            Some(sent[0].as_str()),
            "{mode:?}: Twilio's own sid"
        );
        app_view_has_reply(&app, &workflow_id).await;
    }
    assert!(*twilio.lookups.lock().unwrap() >= 3, "each was looked up");
    assert_eq!(*twilio.requests.lock().unwrap(), 3, "never sent again");
    app.stop().await;
}

async fn app_view_has_reply(app: &TestApp, workflow_id: &str) {
    eventually("the ticket carrying on after the reply", WAIT, || async {
        app.ticket_status(workflow_id)
            .await
            .filter(|v| v.bot_replies == 1)
    })
    .await;
}

#[tokio::test]
async fn a_send_twilio_never_got_is_sent_again_once() {
    let (app, twilio, _queue) = twilio_app().await;
    twilio
        .modes
        .lock()
        .unwrap()
        .push_back(SendMode::HangWithoutSending(HANG));
    let phone = unique_phone();
    let workflow_id = customer_writes(&app, &phone).await;
    let (state, id, reconciled, _) = settled_send(&app, &workflow_id).await;
    let sent = sent_to(&twilio, &phone);
    assert_eq!(sent.len(), 1);
    assert_eq!((state.as_str(), reconciled), ("sent", false));
    assert_eq!(id.as_deref(), Some(sent[0].as_str()));
    assert!(
        *twilio.lookups.lock().unwrap() >= 1,
        "asked before resending"
    );
    assert_eq!(
        *twilio.requests.lock().unwrap(),
        2,
        "sent again after Twilio said no"
    );
    app_view_has_reply(&app, &workflow_id).await;
    app.stop().await;
}

#[tokio::test]
async fn when_twilio_cannot_say_a_human_is_asked_and_nothing_is_resent() {
    let (app, twilio, queue) = twilio_app().await;
    twilio
        .modes
        .lock()
        .unwrap()
        .push_back(SendMode::AcceptThenHang(HANG));
    *twilio.lookup_down.lock().unwrap() = true;
    let phone = unique_phone();
    let workflow_id = customer_writes(&app, &phone).await;
    let (state, _, _, error) = settled_send(&app, &workflow_id).await;
    assert_eq!(state, "uncertain");
    assert!(error.unwrap_or_default().contains("503"));
    eventually("the team asked to check the send", WAIT, || async {
        queue
            .posts()
            .into_iter()
            .find(|p| p["kind"] == "send_uncertain")
    })
    .await;
    assert_running(&app, &workflow_id).await;
    assert_eq!(
        *twilio.requests.lock().unwrap(),
        1,
        "never sent blindly again"
    );
    app.stop().await;
}

#[tokio::test]
async fn gmail_ambiguous_answers_are_found_in_the_sent_mailbox() {
    let (app, google) = gmail_app().await;
    for (n, mode) in [
        GmailSendMode::AcceptThenHang(HANG),
        GmailSendMode::UnreadableAnswer,
    ]
    .into_iter()
    .enumerate()
    {
        google.push_send_mode(mode.clone());
        let (_, thread, _) = google.receive(
            &format!("ben{n}@example.org"),
            "Password",
            &format!("CAF-amb-{n}@mail.example.org"),
            "How do I reset my password?",
        );
        let workflow_id = ticket_workflow_id(Channel::Email, &thread);
        let (state, id, reconciled, _) = settled_send(&app, &workflow_id).await;
        let sent = google.sent();
        assert_eq!(sent.len(), n + 1, "{mode:?}: one reply per mail");
        assert_eq!((state.as_str(), reconciled), ("sent", true), "{mode:?}");
        assert_eq!(id.as_deref(), Some(sent[n].id.as_str()), "{mode:?}");
    }
    assert!(google.searches() >= 2, "each was searched for");
    assert_eq!(google.send_requests(), 2, "never sent twice");
    app.stop().await;
}

/// Lets connections to the test's database in or shuts them out (also a
/// superuser's), ending every session it has now.
async fn database_reachable(app: &TestApp, reachable: bool) {
    let admin = sqlx::PgPool::connect(ADMIN_DATABASE_URL).await.unwrap();
    let db = &app.database_name;
    sqlx::query(&format!(
        "ALTER DATABASE \"{db}\" ALLOW_CONNECTIONS {reachable}"
    ))
    .execute(&admin)
    .await
    .unwrap();
    if !reachable {
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
            .bind(db)
            .execute(&admin)
            .await
            .unwrap();
    }
    admin.close().await;
}

/// Postgres goes away mid-ticket: the activity fails and is retried with
/// backoff, and when the database is back the ticket carries on.
#[tokio::test]
async fn a_ticket_waits_out_a_database_outage_and_carries_on() {
    let (app, twilio, _queue) = twilio_app().await;
    database_reachable(&app, false).await;
    let phone = unique_phone();
    let workflow_id = customer_writes(&app, &phone).await;
    let client = steward::temporal::connect(&app.settings.temporal)
        .await
        .unwrap();
    let handle = client.get_workflow_handle::<TicketWorkflow>(workflow_id.clone());
    eventually(
        "an activity retrying without its database",
        WAIT,
        || async {
            let description = handle
                .describe(WorkflowDescribeOptions::default())
                .await
                .ok()?;
            let pending = &description.raw_description.pending_activities;
            pending.iter().any(|a| a.attempt >= 2).then_some(())
        },
    )
    .await;
    assert!(
        sent_to(&twilio, &phone).is_empty(),
        "nothing sent meanwhile"
    );
    database_reachable(&app, true).await;
    let (state, id, _, _) = settled_send(&app, &workflow_id).await;
    assert_eq!(state, "sent");
    assert_eq!(id.map(|id| vec![id]), Some(sent_to(&twilio, &phone)));
    app_view_has_reply(&app, &workflow_id).await;
    assert_running(&app, &workflow_id).await;
    app.stop().await;
}
