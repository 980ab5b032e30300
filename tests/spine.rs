//! The spine, end to end: a signed Twilio WhatsApp webhook → gateway → Kafka
//! → intake → Temporal `TicketWorkflow` → activity → Postgres. Real Temporal
//! dev server, real tansu broker, real Postgres; nothing started by hand.

mod support;

use futures::StreamExt;
use std::time::Duration;
use steward::app::Roles;
use steward::webhook_sign::whatsapp_form;
use steward_domain::{Channel, ticket_workflow_id};
use steward_gateway::twilio;

use support::*;
use temporalio_client::WorkflowListOptions;

const WAIT: Duration = Duration::from_secs(30);

impl TestApp {
    async fn workflow_ids_matching(&self, query: &str) -> Vec<String> {
        let client = steward::temporal::connect(&self.settings.temporal)
            .await
            .unwrap();
        client
            .list_workflows(query, WorkflowListOptions::default())
            .filter_map(|w| async move { w.ok().map(|w| w.id().to_owned()) })
            .collect()
            .await
    }
}

fn message(phone: &str, sid: &str, body: &str) -> Vec<(String, String)> {
    whatsapp_form(phone, "+14155550199", body, sid, "Test Customer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_whatsapp_webhook_becomes_a_running_ticket_with_a_stored_message() {
    let app = spawn_app().await;
    let demo_kb = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-kb");
    steward_activities::kb::import_dir(&app.pool, &demo_kb)
        .await
        .unwrap();
    let phone = unique_phone();
    let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
    let question = "How do I reset my password?";

    let response = app
        .post_signed_whatsapp(&message(&phone, &sid, question))
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/xml")
    );
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("<Response></Response>")
    );

    let workflow_id = ticket_workflow_id(Channel::Whatsapp, &phone);
    let view = eventually(
        "the ticket workflow to record the message",
        WAIT,
        || async {
            // Opened: recorded, and past the check for another open ticket.
            app.ticket_status(&workflow_id).await.filter(|v| {
                v.messages_recorded == 1 && v.status == steward_domain::TicketStatus::Open
            })
        },
    )
    .await;
    let ticket_id = view.ticket_id.clone().unwrap();
    assert!(ticket_id.starts_with("TKT-"), "{ticket_id}");
    assert_eq!(view.status, steward_domain::TicketStatus::Open);

    let (body, channel, sender, correlation_id, ticket_number): (
        String,
        String,
        String,
        String,
        String,
    ) = sqlx::query_as(
        "SELECT m.body, m.channel, m.sender, m.correlation_id, t.ticket_number
             FROM messages m JOIN tickets t ON t.id = m.ticket_id
             WHERE m.provider_message_id = $1",
    )
    .bind(&sid)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(body, question);
    assert_eq!(channel, "whatsapp");
    assert_eq!(sender, phone);
    assert!(!correlation_id.is_empty());
    assert_eq!(ticket_number, ticket_id);

    // Search attributes are what ops query in the Web UI: check through the
    // SDK client and through the real Temporal CLI.
    let query = format!("TicketStatus = 'open' AND WorkflowId = '{workflow_id}'");
    let ids = eventually("visibility to index the workflow", WAIT, || async {
        let ids = app.workflow_ids_matching(&query).await;
        (!ids.is_empty()).then_some(ids)
    })
    .await;
    assert_eq!(ids, vec![workflow_id.clone()]);
    let cli = steward::stack::temporal_binary(None).unwrap();
    let output = std::process::Command::new(cli)
        .args(["workflow", "list", "--address"])
        .arg(app.settings.temporal.address.as_ref().unwrap())
        .args(["--query", "TicketStatus='open'", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listed = String::from_utf8_lossy(&output.stdout);
    assert!(
        listed.contains(&workflow_id),
        "temporal workflow list did not show {workflow_id}: {listed}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivered_webhook_creates_no_second_message_or_workflow() {
    let app = spawn_app().await;
    let phone = unique_phone();
    let first = format!("SM{}", uuid::Uuid::new_v4().simple());
    let second = format!("SM{}", uuid::Uuid::new_v4().simple());
    let retried = message(&phone, &first, "Where is my order?");

    // Twilio retries with the same MessageSid; both deliveries are acked.
    assert_eq!(app.post_signed_whatsapp(&retried).await.status(), 200);
    assert_eq!(app.post_signed_whatsapp(&retried).await.status(), 200);
    // A later, different message on the same conversation: same partition,
    // so once it is recorded the duplicate before it has been handled too.
    assert_eq!(
        app.post_signed_whatsapp(&message(&phone, &second, "Order 42"))
            .await
            .status(),
        200
    );

    let workflow_id = ticket_workflow_id(Channel::Whatsapp, &phone);
    let view = eventually("both distinct messages to be recorded", WAIT, || async {
        app.ticket_status(&workflow_id)
            .await
            .filter(|v| v.last_provider_message_id.as_deref() == Some(second.as_str()))
    })
    .await;
    assert_eq!(view.messages_recorded, 2);

    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT provider_message_id FROM messages WHERE direction = 'inbound' ORDER BY received_at",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(rows, vec![(first.clone(),), (second.clone(),)]);
    let tickets: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(tickets, 1);
    // Exactly one execution (no second run was started for the retry).
    let runs = app
        .workflow_ids_matching(&format!("WorkflowId = '{workflow_id}'"))
        .await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    // All three deliveries are on Kafka: dedup happens after durability.
    assert_eq!(app.inbound_message_count(), 3);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_or_missing_signatures_are_403_and_enqueue_nothing() {
    let app = spawn_gateway(test_settings().await).await;
    let params = message(&unique_phone(), "SMforged", "give me a refund");

    let wrong_key = twilio::signature(b"not-the-token", &app.webhook_url(), &params);
    assert_eq!(app.post_whatsapp(&params, &wrong_key).await.status(), 403);
    // Signed for another URL (a proxy rewriting the host must be configured).
    let wrong_url = twilio::signature(
        TWILIO_TOKEN.as_bytes(),
        "https://evil.example/hook",
        &params,
    );
    assert_eq!(app.post_whatsapp(&params, &wrong_url).await.status(), 403);
    // Valid signature, but a parameter changed after signing.
    let good = twilio::signature(TWILIO_TOKEN.as_bytes(), &app.webhook_url(), &params);
    let mut tampered = params.clone();
    tampered.iter_mut().find(|(k, _)| k == "Body").unwrap().1 = "tampered".into();
    assert_eq!(app.post_whatsapp(&tampered, &good).await.status(), 403);
    let unsigned = app
        .http
        .post(app.webhook_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&params))
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 403);
    let body: serde_json::Value = unsigned.json().await.unwrap();
    assert_eq!(body["error"], "forbidden");

    assert_eq!(app.inbound_message_count(), 0);
    // The correctly signed original is accepted, proving the topic works.
    assert_eq!(app.post_whatsapp(&params, &good).await.status(), 200);
    assert_eq!(app.inbound_message_count(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_content_type_is_415_oversized_is_413_malformed_is_400() {
    let mut settings = test_settings().await;
    settings.gateway.max_body_bytes = 2048;
    let app = spawn_gateway(settings).await;

    let text = app
        .http
        .post(app.webhook_url())
        .header("content-type", "text/plain")
        .header("x-twilio-signature", "irrelevant")
        .body("Body=hi")
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), 415);
    // JSON is one of Twilio's formats, but only with a bodySHA256 it signed.
    let json = app
        .http
        .post(app.webhook_url())
        .header("content-type", "application/json")
        .header("x-twilio-signature", "irrelevant")
        .body(r#"{"Body":"hi"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 403);

    let big = message(&unique_phone(), "SMbig", &"x".repeat(4096));
    let response = app.post_signed_whatsapp(&big).await;
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "payload_too_large");

    // Correctly signed but missing MessageSid: a clear 400 naming the field.
    let mut no_sid = message(&unique_phone(), "SMx", "hello");
    no_sid.retain(|(k, _)| k != "MessageSid" && k != "SmsMessageSid");
    let response = app.post_signed_whatsapp(&no_sid).await;
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("MessageSid"),
        "{body}"
    );

    assert_eq!(app.inbound_message_count(), 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_down_answers_503_never_200() {
    let mut settings = test_settings().await;
    // Nothing listens here: the produce cannot be acknowledged.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    settings.kafka.brokers = closed.local_addr().unwrap().to_string();
    drop(closed);
    settings.kafka.produce_timeout_ms = 1_500;
    let app = spawn_app_with(settings, Roles::GATEWAY).await;

    let response = app
        .post_signed_whatsapp(&message(&unique_phone(), "SMdown", "anyone there?"))
        .await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "5");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unavailable");
    // Internal details (broker addresses, librdkafka errors) stay in the logs.
    assert!(!body.to_string().contains("127.0.0.1"), "{body}");

    let ready = app
        .http
        .get(format!("{}/ready", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    let report: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(report["ready"], false);
    assert_eq!(report["checks"]["kafka"]["up"], false);
    assert_eq!(report["checks"]["postgres"]["up"], true);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_ready_report_every_dependency() {
    let app = spawn_app().await;
    let health = app
        .http
        .get(format!("{}/health", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let health: serde_json::Value = health.json().await.unwrap();
    assert_eq!(health["status"], "ok");

    let ready = app
        .http
        .get(format!("{}/ready", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let report: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(report["ready"], true, "{report}");
    for dependency in ["kafka", "postgres", "temporal"] {
        assert_eq!(
            report["checks"][dependency]["up"], true,
            "{dependency}: {report}"
        );
    }
    app.stop().await;
}
