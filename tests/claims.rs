//! The pre-claim attack, end to end against the whole stack: a phone or
//! email that a message only *states* is a claim, never a key. An attacker
//! who types a victim's phone into the web form, or writes "my email is
//! ceo@…" on WhatsApp, must not receive the victim's later messages on
//! their ticket, nor have their own message merged into the victim's.

#[path = "claims/code_expiry.rs"]
mod code_expiry;
mod support;

use serde_json::{Value, json};
use std::time::Duration;
use steward::webhook_sign::whatsapp_form;
use steward_domain::{Channel, TicketStatus, ticket_workflow_id};
use support::*;

const WAIT: Duration = Duration::from_secs(60);

async fn submit_form(app: &TestApp, email: &str, phone: &str, message: &str) -> Value {
    let form = json!({"name": "Form User", "email": email, "phone": phone, "category": "question",
                      "subject": "Password reset", "message": message, "website": ""});
    app.submit_web_form(&form).await
}

/// The public API's view of a web ticket once the bot has answered it.
async fn answered_web_ticket(app: &TestApp, submitted: &Value) -> (String, Value) {
    let status_url = submitted["status_url"].as_str().unwrap();
    let reference = submitted["ticket_ref"].as_str().unwrap().to_owned();
    let token = status_url.split("token=").nth(1).unwrap().to_owned();
    let api = format!("{}/api/tickets/{reference}?token={token}", app.base_url);
    let body = eventually("the web ticket's first answer", WAIT, || async {
        let body: Value = app.http.get(&api).send().await.ok()?.json().await.ok()?;
        (body["ticket"]["replies"].as_u64() >= Some(1)).then_some(body)
    })
    .await;
    (api, body)
}

/// A ticket past its check for another open ticket: open on its
/// own, or closed as merged into another.
async fn settled(
    app: &TestApp,
    channel: Channel,
    key: &str,
) -> steward_domain::ticket_state::TicketView {
    let workflow_id = ticket_workflow_id(channel, key);
    eventually("the ticket to settle", WAIT, || async {
        app.ticket_status(&workflow_id)
            .await
            .filter(|v| v.merged_into.is_some() || v.status != TicketStatus::New)
    })
    .await
}

fn mentions(transcript: &Value, text: &str) -> bool {
    transcript
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["text"].as_str().unwrap_or("").contains(text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stated_phone_or_email_takes_nobody_elses_messages() {
    let app = spawn_app().await;
    let demo_kb = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-kb");
    steward_activities::kb::import_dir(&app.pool, &demo_kb)
        .await
        .unwrap();

    // 1: the attacker types the victim's phone into the web form…
    let victim_phone = uk_phone();
    let submitted = submit_form(
        &app,
        "mallory@attacker.example",
        &victim_phone,
        "How do I reset my password?",
    )
    .await;
    let (attacker_api, attacker) = answered_web_ticket(&app, &submitted).await;
    let attacker_ticket = attacker["ticket"]["ticket_id"].as_str().unwrap().to_owned();

    // …then the victim writes from that phone through a signed webhook.
    let secret = "my card ending 4242 was charged twice";
    let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
    let form = whatsapp_form(&victim_phone, "+14155550199", secret, &sid, "Victim");
    assert_eq!(app.post_signed_whatsapp(&form).await.status(), 200);
    let victim = settled(&app, Channel::Whatsapp, &victim_phone).await;
    assert_eq!(
        victim.merged_into, None,
        "merged into the attacker's ticket"
    );
    let victim_ticket = victim.ticket_id.clone().unwrap();
    assert_ne!(
        victim_ticket, attacker_ticket,
        "the victim has their own ticket"
    );
    let stored_on: String = sqlx::query_scalar(
        "SELECT t.ticket_number FROM messages m JOIN tickets t ON t.id = m.ticket_id
         WHERE m.provider_message_id = $1",
    )
    .bind(&sid)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(stored_on, victim_ticket);
    let seen: Value = app
        .http
        .get(&attacker_api)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!mentions(&seen["transcript"], secret), "exposed: {seen}");

    // 2: the CEO has a web ticket; an attacker on WhatsApp states the
    // CEO's address as theirs and must not join the CEO's ticket.
    let ceo_email = format!("ceo-{}@bigcorp.example", uuid::Uuid::new_v4().simple());
    let ceo_form = submit_form(&app, &ceo_email, "", "How do I export my data?").await;
    let (ceo_api, _) = answered_web_ticket(&app, &ceo_form).await;
    let attacker_phone = uk_phone();
    let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
    let claim = format!("hi, my email is {ceo_email}, what did you tell me about the export?");
    let form = whatsapp_form(&attacker_phone, "+14155550199", &claim, &sid, "Mallory");
    assert_eq!(app.post_signed_whatsapp(&form).await.status(), 200);
    let attacker_chat = settled(&app, Channel::Whatsapp, &attacker_phone).await;
    assert_eq!(attacker_chat.merged_into, None, "joined the CEO's ticket");
    let ceo_view: Value = app
        .http
        .get(&ceo_api)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !mentions(&ceo_view["transcript"], "what did you tell me"),
        "{ceo_view}"
    );

    // 3: stated first, used later: the real owner writing from the address
    // an attacker stated on WhatsApp gets a ticket of their own.
    let target = format!("cfo-{}@bigcorp.example", uuid::Uuid::new_v4().simple());
    let early_phone = uk_phone();
    let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
    let claim = format!("my email is {target}, how do I reset my password?");
    let form = whatsapp_form(&early_phone, "+14155550199", &claim, &sid, "Mallory");
    assert_eq!(app.post_signed_whatsapp(&form).await.status(), 200);
    let early = settled(&app, Channel::Whatsapp, &early_phone).await;
    let cfo_form = submit_form(&app, &target, "", "Our payroll export looks wrong").await;
    let cfo_ref = cfo_form["ticket_ref"].as_str().unwrap();
    let cfo = settled(&app, Channel::Web, cfo_ref).await;
    assert_eq!(
        cfo.merged_into, None,
        "the CFO was merged into the claimant"
    );
    assert_ne!(cfo.customer_id, early.customer_id);
    let early_view = app
        .ticket_status(&ticket_workflow_id(Channel::Whatsapp, &early_phone))
        .await
        .unwrap();
    assert!(
        early_view
            .last_messages
            .iter()
            .all(|m| !m.text.contains("payroll export")),
        "the CFO's message reached the claimant: {:?}",
        early_view.last_messages
    );
    app.stop().await;
}

/// A UK mobile number no other test uses: one that reads as a phone when
/// written in a message (the US test range `+1555…` does not).
fn uk_phone() -> String {
    format!("+447700{:06}", uuid::Uuid::new_v4().as_u128() % 1_000_000)
}
