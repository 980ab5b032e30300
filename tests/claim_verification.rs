//! Verifying a claim through the whole stack: a web form states a phone,
//! the worker sends a one-time code to that phone (Twilio stand-in), the
//! customer echoes it by continuing their web ticket, and only then does a
//! WhatsApp message from that phone join their ticket.

mod support;

use serde_json::{Value, json};
use std::time::Duration;
use steward::app::Roles;
use steward::webhook_sign::whatsapp_form;
use steward_domain::{Channel, TicketStatus, ticket_workflow_id};
use support::standins::{Twilio, twilio_settings};
use support::*;

const WAIT: Duration = Duration::from_secs(60);

async fn submit(app: &TestApp, phone: &str, message: &str) -> Value {
    let form = json!({"name": "Ana Lima", "email": "ana.lima@example.com", "phone": phone,
                      "category": "question", "subject": "Exports", "message": message, "website": ""});
    app.submit_web_form(&form).await
}

fn uk_phone() -> String {
    format!("+447700{:06}", uuid::Uuid::new_v4().as_u128() % 1_000_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_echoed_on_the_claiming_ticket_links_the_phone() {
    let twilio = Twilio::default();
    let mut settings = test_settings().await;
    settings.activities.twilio = twilio_settings(twilio.clone().start().await);
    let app = spawn_app_with(settings, Roles::ALL).await;
    let phone = uk_phone();

    let opened = submit(&app, &phone, "How do I export my timesheets?").await;
    let reference = opened["ticket_ref"].as_str().unwrap().to_owned();
    let code = eventually("a code at the claimed phone", WAIT, || async {
        let sent = twilio.sent.lock().unwrap().clone();
        let text = &sent.iter().find(|m| m.to == phone)?.body;
        assert!(!text.contains("ana.lima"), "names the claimant: {text}");
        text.split_whitespace()
            .find(|w| w.chars().count() == 7 && w.chars().nth(3) == Some('-'))
            .map(str::to_owned)
    })
    .await;
    let status = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT status FROM identity_claims WHERE claimed_value = $1",
        )
        .bind(&phone)
        .fetch_optional(&app.pool)
        .await
        .unwrap()
    };
    assert_eq!(status().await.as_deref(), Some("pending"));

    let echoed = submit(&app, "", &format!("About {reference}: the code is {code}")).await;
    assert_eq!(echoed["continued"], true, "{echoed}");
    eventually("the claim verified", WAIT, || async {
        (status().await.as_deref() == Some("verified")).then_some(())
    })
    .await;
    let event: String = sqlx::query_scalar(
        "SELECT e.detail FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
         WHERE t.workflow_id = $1 AND e.event = 'identity_verified'",
    )
    .bind(ticket_workflow_id(Channel::Web, &reference))
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(event.contains("one-time code"), "{event}");

    // Now the phone is Ana's: her WhatsApp message joins her open ticket.
    let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
    let form = whatsapp_form(
        &phone,
        "+14155550199",
        "any news on the export?",
        &sid,
        "Ana",
    );
    assert_eq!(app.post_signed_whatsapp(&form).await.status(), 200);
    let chat = eventually("the WhatsApp ticket to settle", WAIT, || async {
        app.ticket_status(&ticket_workflow_id(Channel::Whatsapp, &phone))
            .await
            .filter(|v| v.merged_into.is_some() || v.status != TicketStatus::New)
    })
    .await;
    let web_ticket = app
        .ticket_status(&ticket_workflow_id(Channel::Web, &reference))
        .await
        .unwrap()
        .ticket_id;
    assert_eq!(chat.merged_into, web_ticket);
    app.stop().await;
}
