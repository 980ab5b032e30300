//! The channels end to end, against real Temporal, Kafka and Postgres and
//! local stand-ins for Google (OAuth, Gmail, the push-signing key) and
//! Twilio: Gmail push → threaded reply; forged, expired and wrong-audience
//! push tokens refused; the poll fallback without pushes; a WhatsApp reply
//! outside the 24-hour window sent as a template; a failed delivery receipt
//! reaching the ticket its signed callback URL names; the receipt activity
//! on the ledger.

#[path = "channels/status_link.rs"]
mod status_link;
mod support;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use std::time::Duration;
use steward::app::Roles;
use steward::webhook_sign::whatsapp_form;
use steward_activities::config::TwilioSettings;
use steward_domain::{Channel, ticket_workflow_id};
use steward_gateway::twilio::{Algorithm, signature_with};
use steward_workflows::ticket::AgentReplyInput;
use steward_workflows::{MailboxProgress, MailboxWorkflow, TicketWorkflow};
use support::google::{self, Google, SigningKey, header, push_claims};
use support::standins::{
    HumanQueue, OUR_WHATSAPP, TWILIO_API_KEY, TWILIO_API_SECRET, Twilio, twilio_settings,
};
use support::*;
use temporalio_client::{WorkflowQueryOptions, WorkflowSignalOptions};

const WAIT: Duration = Duration::from_secs(60);

async fn with_kb(settings: steward::settings::Settings) -> TestApp {
    let app = spawn_app_with(settings, Roles::ALL).await;
    let demo_kb = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-kb");
    steward_activities::kb::import_dir(&app.pool, &demo_kb)
        .await
        .unwrap();
    app
}

/// An app whose mailbox is a Gmail stand-in; returns it with the Google side.
async fn gmail_app(poll_interval_secs: u64) -> (TestApp, Google) {
    gmail_app_with(poll_interval_secs, |_| {}).await
}

async fn gmail_app_with(
    poll_interval_secs: u64,
    configure: impl FnOnce(&mut steward::settings::Settings),
) -> (TestApp, Google) {
    let mailbox = format!("support-{}@acme.test", uuid::Uuid::new_v4().simple());
    let google = Google::new(&mailbox);
    let url = google.clone().start().await;
    let mut settings = test_settings().await;
    settings.activities.gmail = google.settings(&url, poll_interval_secs);
    settings.gateway.gmail_push_service_account = google::PUSH_ACCOUNT.into();
    settings.gateway.google_jwks_url = format!("{url}/oauth2/v3/certs");
    configure(&mut settings);
    let app = with_kb(settings).await;
    // The first sync stores the mailbox's history id, then the watch starts.
    eventually("the first sync and watch", WAIT, || async {
        (google.watches() >= 1).then_some(())
    })
    .await;
    (app, google)
}

async fn push(app: &TestApp, token: Option<&str>, mailbox: &str, history_id: u64) -> u16 {
    let data =
        STANDARD.encode(json!({"emailAddress": mailbox, "historyId": history_id}).to_string());
    let mut request = app
        .http
        .post(format!("{}/webhooks/gmail/pubsub", app.base_url))
        .json(&json!({"message": {"data": data, "messageId": "2070443601311540", "publishTime": "2026-11-26T10:00:00Z"},
                      "subscription": "projects/steward-test/subscriptions/gmail-push"}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().status().as_u16()
}

async fn mailbox_progress(app: &TestApp, workflow_id: &str) -> MailboxProgress {
    let client = steward::temporal::connect(&app.settings.temporal)
        .await
        .unwrap();
    client
        .get_workflow_handle::<MailboxWorkflow>(workflow_id)
        .query(
            MailboxWorkflow::progress,
            (),
            WorkflowQueryOptions::default(),
        )
        .await
        .unwrap()
}

fn text_part(raw: &str) -> String {
    let parsed = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap();
    parsed.body_text(0).unwrap().into_owned()
}

#[tokio::test]
async fn gmail_push_gets_a_threaded_reply_and_bad_tokens_are_refused() {
    let (app, google) = gmail_app(600).await;
    let mailbox = app.settings.activities.gmail.mailbox.clone();
    let audience = format!("{}/webhooks/gmail/pubsub", app.base_url);
    let (_, thread, history) = google.receive(
        "Ana.Lima+billing@Example.com",
        "Password help",
        "CAF-1@mail.example.com",
        "Hi, how do I reset my password?\r\n\r\nOn Mon, Support wrote:\r\n> old text",
    );

    let forged_key = SigningKey::generate("standin-key-1");
    let unsigned = format!(
        "{}.{}.",
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"alg":"none","kid":"standin-key-1"}"#),
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(push_claims(&audience, google::PUSH_ACCOUNT, 600).to_string())
    );
    let refused = [
        ("no token", None),
        (
            "expired",
            Some(
                google
                    .key()
                    .sign(&push_claims(&audience, google::PUSH_ACCOUNT, -120)),
            ),
        ),
        (
            "wrong audience",
            Some(google.key().sign(&push_claims(
                "https://elsewhere.test/push",
                google::PUSH_ACCOUNT,
                600,
            ))),
        ),
        (
            "wrong service account",
            Some(google.key().sign(&push_claims(
                &audience,
                "intruder@evil.iam.gserviceaccount.com",
                600,
            ))),
        ),
        (
            "signed by another key",
            Some(forged_key.sign(&push_claims(&audience, google::PUSH_ACCOUNT, 600))),
        ),
        ("alg none", Some(unsigned)),
    ];
    let produced_before = app.inbound_message_count();
    for (what, token) in &refused {
        assert_eq!(
            push(&app, token.as_deref(), &mailbox, history).await,
            403,
            "{what}"
        );
    }
    // An accepted push is on the topic before it is answered (acks=all), so
    // the topic's end offsets right now show whether a refused one got in.
    assert_eq!(
        app.inbound_message_count(),
        produced_before,
        "a refused push must not reach the bus (so it can never lead to a reply)"
    );

    let token = google
        .key()
        .sign(&push_claims(&audience, google::PUSH_ACCOUNT, 600));
    assert_eq!(push(&app, Some(&token), &mailbox, history).await, 204);
    let sent = eventually("a reply through Gmail", WAIT, || async {
        google.sent().into_iter().next()
    })
    .await;
    assert_eq!(
        sent.thread_id, thread,
        "the reply landed in the customer's thread"
    );
    assert_eq!(
        header(&sent.raw, "In-Reply-To"),
        Some("<CAF-1@mail.example.com>")
    );
    assert_eq!(header(&sent.raw, "Subject"), Some("Re: Password help"));
    assert!(
        header(&sent.raw, "To")
            .unwrap()
            .contains("Ana.Lima+billing@Example.com")
    );
    let text = text_part(&sent.raw);
    assert!(text.starts_with("Hi Ana,"), "{text}");
    assert!(text.contains("Forgot password"), "{text}");
    assert!(text.trim_end().ends_with("Acme Support"), "{text}");
    // Not just the ends: one greeting and one sign-off in the whole mail.
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("Hi ")).count(),
        1,
        "{text}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("Best regards"))
            .count(),
        1,
        "{text}"
    );

    // Gmail has the reply before the send activity returns to the ticket:
    // wait for the ticket to have counted it.
    let view = eventually("the reply counted on the ticket", WAIT, || async {
        app.ticket_status(&ticket_workflow_id(Channel::Email, &thread))
            .await
            .filter(|v| v.bot_replies == 1)
    })
    .await;
    assert_eq!(
        view.messages_recorded, 1,
        "quoted history is not a second message"
    );
    assert_eq!(
        view.last_messages[0].text, "Hi, how do I reset my password?",
        "quoted text and attribution stripped"
    );
    assert_eq!(
        view.cited_articles,
        ["reset-password"],
        "the answer's source is on the ticket"
    );

    // Pub/Sub redelivers: the same notice again sends nothing twice. Wait
    // until the mailbox has synced for it and published nothing new: after
    // that point no second reply can come.
    let mailbox_id = steward_workflows::mailbox_workflow_id(&mailbox);
    let synced = mailbox_progress(&app, &mailbox_id).await.syncs;
    assert_eq!(push(&app, Some(&token), &mailbox, history).await, 204);
    let progress = eventually("the sync for the redelivered push", WAIT, || async {
        let p = mailbox_progress(&app, &mailbox_id).await;
        (p.syncs > synced).then_some(p)
    })
    .await;
    assert_eq!(progress.last_published, 0, "nothing new to publish");
    assert_eq!(
        google.sent().len(),
        1,
        "a redelivered push never produces a second reply"
    );
    app.stop().await;
}

#[tokio::test]
async fn without_pushes_the_poll_still_picks_up_new_mail() {
    let (app, google) = gmail_app(2).await;
    let (_, thread, _) = google.receive(
        "ben@example.org",
        "Export",
        "CAF-2@mail.example.org",
        "How do I reset my password?",
    );
    let sent = eventually("a reply without any push", WAIT, || async {
        google.sent().into_iter().next()
    })
    .await;
    assert_eq!(sent.thread_id, thread);
    app.stop().await;
}

async fn twilio_app(
    configure: impl FnOnce(&mut steward::settings::Settings),
) -> (TestApp, Twilio, HumanQueue) {
    let twilio = Twilio::default();
    let twilio_url = twilio.clone().start().await;
    let queue = HumanQueue::default();
    let queue_url = queue.clone().start().await;
    let mut settings = test_settings().await;
    settings.activities.twilio = TwilioSettings {
        // An API key authenticates here (the lifecycle tests use the token).
        api_key_sid: TWILIO_API_KEY.into(),
        api_key_secret: TWILIO_API_SECRET.into(),
        status_callback_url: "https://steward.example/webhooks/twilio/status".into(),
        ..twilio_settings(twilio_url)
    };
    settings.activities.human_queue_webhook = Some(queue_url.into());
    configure(&mut settings);
    (with_kb(settings).await, twilio, queue)
}

/// The one-time code (`481-220`) in a mail sent to an address containing `who`.
fn code_mailed_to(google: &Google, who: &str) -> Option<String> {
    google
        .sent()
        .iter()
        .filter(|m| header(&m.raw, "To").is_some_and(|to| to.contains(who)))
        .find_map(|m| {
            text_part(&m.raw)
                .split_whitespace()
                .find(|w| w.chars().count() == 7 && w.chars().nth(3) == Some('-'))
                .map(str::to_owned)
        })
}

async fn customer_writes(app: &TestApp, phone: &str, body: &str) {
    let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
    let params = whatsapp_form(phone, OUR_WHATSAPP, body, &sid, "Ana Lopez");
    assert_eq!(app.post_signed_whatsapp(&params).await.status(), 200);
}

#[tokio::test]
async fn outside_the_whatsapp_window_an_agent_reply_goes_as_a_template() {
    let template = "HX0123456789abcdef0123456789abcdef";
    let (app, twilio, queue) = twilio_app(|s| {
        s.activities.twilio.template_content_sid = template.into();
        s.activities.policy.whatsapp_window_secs = 3;
    })
    .await;
    let phone = unique_phone();
    customer_writes(&app, &phone, "I was charged twice, I want a refund").await;
    let workflow_id = ticket_workflow_id(Channel::Whatsapp, &phone);
    eventually("the holding message", WAIT, || async {
        (!twilio.bodies().is_empty()).then_some(())
    })
    .await;
    assert!(
        twilio.sent.lock().unwrap()[0].template.is_none(),
        "inside the window: free text"
    );
    // The window's durable timer fires: recorded, and the owner is told.
    eventually("the window-closed notice", WAIT, || async {
        queue.posts().into_iter().find(|p| {
            p["text"]
                .as_str()
                .is_some_and(|t| t.contains("24-hour window has closed"))
        })
    })
    .await;
    let client = steward::temporal::connect(&app.settings.temporal)
        .await
        .unwrap();
    client
        .get_workflow_handle::<TicketWorkflow>(workflow_id.clone())
        .signal(
            TicketWorkflow::agent_reply,
            serde_json::to_value(AgentReplyInput {
                agent: "sam".into(),
                text: "Refunded, sorry about that.".into(),
            })
            .unwrap(),
            WorkflowSignalOptions::default(),
        )
        .await
        .unwrap();
    let sent = eventually("the agent's reply at Twilio", WAIT, || async {
        let sent = twilio.sent.lock().unwrap().clone();
        (sent.len() >= 2).then_some(sent)
    })
    .await;
    assert_eq!(
        sent[1].template.as_deref(),
        Some(template),
        "outside the window: the template"
    );
    assert!(
        sent[1].body.contains("TKT-"),
        "template variable 1 is the ticket number: {}",
        sent[1].body
    );
    assert!(
        !sent[1].body.contains("Refunded"),
        "no free text outside the window"
    );
    eventually("the template recorded on the ticket", WAIT, || async {
        let events: Vec<String> = sqlx::query_scalar(
            "SELECT e.event FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id WHERE t.workflow_id = $1",
        )
        .bind(&workflow_id)
        .fetch_all(&app.pool)
        .await
        .unwrap();
        events.iter().any(|e| e == "sent_as_template").then_some(())
    })
    .await;
    app.record_history(&workflow_id, "whatsapp_window_template")
        .await;
    app.stop().await;
}

/// Where Twilio posts a message's receipts: the callback URL the send
/// gave it (the path and the `ticket` query), on this test's gateway.
fn callback_url(app: &TestApp, reply: &support::standins::SentWhatsapp) -> String {
    let given = url::Url::parse(reply.status_callback.as_deref().unwrap()).unwrap();
    format!(
        "{}{}?{}",
        app.base_url,
        given.path(),
        given.query().unwrap_or("")
    )
}

/// Twilio's `failed` status callback for `sid` posted to `url`, signed
/// for `signed_url` with `key` (the same URL, unless a test forges one).
async fn post_failed_receipt(
    app: &TestApp,
    url: &str,
    signed_url: &str,
    sid: &str,
    key: &[u8],
) -> u16 {
    let params: Vec<(String, String)> = [
        ("MessageSid", sid),
        ("MessageStatus", "failed"),
        ("ErrorCode", "63016"),
        ("ErrorMessage", "Outside the allowed window"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    app.http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "x-twilio-signature",
            signature_with(Algorithm::HmacSha1, key, signed_url, &params),
        )
        .body(form_body(&params))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The `failed` receipt is posted while Twilio still holds its answer to
/// the send, so it reaches the ticket before the send activity returned:
/// the ticket handles it after the send, with the ledger row in place.
#[tokio::test]
async fn a_failed_reply_is_sent_again_by_email_when_the_customer_has_one() {
    let twilio = Twilio::default();
    let twilio_url = twilio.clone().start().await;
    *twilio.first_delay.lock().unwrap() = Some(std::time::Duration::from_millis(1500));
    let (app, google) = gmail_app_with(1, |s| {
        s.activities.twilio = TwilioSettings {
            status_callback_url: "https://steward.example/webhooks/twilio/status".into(),
            ..twilio_settings(twilio_url)
        };
    })
    .await;
    let phone = unique_phone();
    customer_writes(
        &app,
        &phone,
        "How do I reset my password? My email is dana.redeliver@example.com",
    )
    .await;
    // A stated address is only a claim until its code comes back.
    let code = eventually("a code at the claimed mailbox", WAIT, || async {
        code_mailed_to(&google, "dana.redeliver")
    })
    .await;
    customer_writes(&app, &phone, &code).await;
    eventually("the address verified", WAIT, || async {
        let status: Option<String> = sqlx::query_scalar(
            "SELECT status FROM identity_claims WHERE claimed_value = 'dana.redeliver@example.com'",
        )
        .fetch_optional(&app.pool)
        .await
        .unwrap();
        (status.as_deref() == Some("verified")).then_some(())
    })
    .await;
    let reply = eventually("the bot's reply", WAIT, || async {
        twilio.sent.lock().unwrap().first().cloned()
    })
    .await;
    let url = callback_url(&app, &reply);
    let token = TWILIO_TOKEN.as_bytes();
    assert_eq!(
        post_failed_receipt(&app, &url, &url, &reply.sid, token).await,
        200
    );
    let (via, kind, body): (String, String, String) =
        eventually("the re-send by email", WAIT, || async {
            sqlx::query_as(
                "SELECT delivered_via, kind, body FROM outbound_sends
             WHERE recipient = 'dana.redeliver@example.com' AND state = 'sent'",
            )
            .fetch_optional(&app.pool)
            .await
            .unwrap()
        })
        .await;
    assert_eq!((via.as_str(), kind.as_str()), ("email", "bot"));
    assert!(body.contains("Forgot password"), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_failed_delivery_receipt_reaches_the_ticket_and_a_human() {
    let (app, twilio, queue) = twilio_app(|_| {}).await;
    let phone = unique_phone();
    customer_writes(&app, &phone, "How do I reset my password?").await;
    let workflow_id = ticket_workflow_id(Channel::Whatsapp, &phone);
    let reply = eventually("the bot's reply", WAIT, || async {
        twilio.sent.lock().unwrap().first().cloned()
    })
    .await;
    let mut expected = url::Url::parse("https://steward.example/webhooks/twilio/status").unwrap();
    expected
        .query_pairs_mut()
        .append_pair("ticket", &workflow_id);
    assert_eq!(
        reply.status_callback.as_deref(),
        Some(expected.as_str()),
        "receipts are requested, naming the ticket"
    );
    let url = callback_url(&app, &reply);
    let token = TWILIO_TOKEN.as_bytes();
    assert_eq!(
        post_failed_receipt(&app, &url, &url, &reply.sid, b"not-the-token").await,
        403
    );
    // The ticket is part of what Twilio signs: another ticket's id is refused.
    let other = ticket_workflow_id(Channel::Whatsapp, &unique_phone());
    let forged = url.replace(
        &expected.query().unwrap().to_owned(),
        &format!("ticket={}", urlencode(&other)),
    );
    assert_ne!(forged, url);
    assert_eq!(
        post_failed_receipt(&app, &forged, &url, &reply.sid, token).await,
        403
    );
    assert_eq!(
        post_failed_receipt(&app, &url, &url, &reply.sid, token).await,
        200
    );

    let view = eventually("the failure on the ticket", WAIT, || async {
        app.ticket_status(&workflow_id)
            .await
            .filter(|v| v.delivery_failures == 1)
    })
    .await;
    assert_eq!(view.last_delivery.unwrap().error_code, "63016");
    // The ticket wrote it on the send ledger (through its activity).
    eventually("the failure on the ledger", WAIT, || async {
        let status: Option<String> = sqlx::query_scalar(
            "SELECT delivery_status FROM outbound_sends WHERE provider_message_id = $1",
        )
        .bind(&reply.sid)
        .fetch_optional(&app.pool)
        .await
        .ok()
        .flatten();
        (status.as_deref() == Some("failed")).then_some(())
    })
    .await;
    eventually("a human told", WAIT, || async {
        queue
            .posts()
            .into_iter()
            .find(|p| p["kind"] == "delivery_failed")
    })
    .await;

    // A late `delivered` as a JSON body (bodySHA256) is accepted too.
    let body = json!({"MessageSid": reply.sid, "MessageStatus": "delivered"}).to_string();
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body.as_bytes()));
    let json_url = format!("{url}&bodySHA256={hash}");
    let signature = signature_with(Algorithm::HmacSha1, token, &json_url, &[]);
    let answer = app
        .http
        .post(&json_url)
        .header("content-type", "application/json")
        .header("x-twilio-signature", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    // The gateway no longer writes the ledger or parks receipts.
    let parked: Option<String> = sqlx::query_scalar("SELECT to_regclass('early_receipts')::text")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(parked, None, "the parked-receipt table is gone");
    app.stop().await;
}

/// The receipt activity on the real ledger: the furthest status wins, in
/// whatever order receipts come, and a failure is never hidden.
#[tokio::test]
async fn the_receipt_activity_keeps_the_furthest_status_on_the_ledger() {
    use steward_activities::receipts::record;
    use steward_workflows::DeliveryStatusInput;
    let (app, twilio, _queue) = twilio_app(|_| {}).await;
    let phone = unique_phone();
    customer_writes(&app, &phone, "How do I reset my password?").await;
    let sid = eventually("the bot's reply recorded", WAIT, || async {
        let sid = twilio.sent.lock().unwrap().first().map(|m| m.sid.clone())?;
        let known: Option<String> = sqlx::query_scalar(
            "SELECT state FROM outbound_sends WHERE provider_message_id = $1 AND state = 'sent'",
        )
        .bind(&sid)
        .fetch_optional(&app.pool)
        .await
        .unwrap();
        known.map(|_| sid)
    })
    .await;
    let receipt = |status: &str| DeliveryStatusInput {
        provider_message_id: sid.clone(),
        status: status.into(),
        error_code: String::new(),
        error_message: String::new(),
    };
    let stored = || async {
        sqlx::query_scalar::<_, Option<String>>(
            "SELECT delivery_status FROM outbound_sends WHERE provider_message_id = $1",
        )
        .bind(&sid)
        .fetch_one(&app.pool)
        .await
        .unwrap()
    };
    let steps = [
        ("delivered", true, "delivered"),
        ("sent", false, "delivered"),
        ("read", true, "read"),
        ("canceled", true, "canceled"),
        ("undelivered", true, "undelivered"),
        ("delivered", false, "undelivered"),
    ];
    for (status, advanced, after) in steps {
        let recorded = record(&app.pool, &receipt(status)).await.unwrap();
        assert!(recorded.known, "{status}");
        assert_eq!(recorded.advanced, advanced, "{status}");
        assert_eq!(stored().await.as_deref(), Some(after), "after {status}");
    }
    let stranger = DeliveryStatusInput {
        provider_message_id: "SMnot-ours".into(),
        ..receipt("failed")
    };
    let recorded = record(&app.pool, &stranger).await.unwrap();
    assert!(!recorded.known && !recorded.advanced);
    assert!(record(&app.pool, &receipt("lost")).await.is_err());
    app.stop().await;
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn an_email_customer_following_up_on_whatsapp_proves_the_address_before_it_joins() {
    let twilio_url = Twilio::default().start().await;
    let (app, google) = gmail_app_with(1, |s| {
        s.activities.twilio = twilio_settings(twilio_url);
    })
    .await;
    let (_, thread, _) = google.receive(
        "carla.reyes@example.com",
        "Password reset",
        "CAF-3@mail.example.com",
        "How do I reset my password?",
    );
    let email_ticket = ticket_workflow_id(Channel::Email, &thread);
    eventually("the email answered", WAIT, || async {
        (!google.sent().is_empty()).then_some(())
    })
    .await;

    let phone = unique_phone();
    customer_writes(
        &app,
        &phone,
        "Hi, following up on my email. My email is carla.reyes@example.com - the reset link never arrived.",
    )
    .await;
    // Stating the address is a claim: a code goes to that mailbox, and
    // nothing joins until it comes back on this chat.
    let code = eventually("a code at the claimed mailbox", WAIT, || async {
        code_mailed_to(&google, "carla.reyes")
    })
    .await;
    let whatsapp_ticket = ticket_workflow_id(Channel::Whatsapp, &phone);
    let chat = eventually("the WhatsApp ticket opened", WAIT, || async {
        app.ticket_status(&whatsapp_ticket)
            .await
            .filter(|v| v.status != steward_domain::TicketStatus::New)
    })
    .await;
    assert_eq!(chat.merged_into, None, "merged on a mere statement");
    let email_view = app.ticket_status(&email_ticket).await.unwrap();
    assert_ne!(chat.customer_id, email_view.customer_id);

    customer_writes(&app, &phone, &format!("here it is: {code}")).await;
    let owner: String = eventually("the claim verified", WAIT, || async {
        sqlx::query_scalar(
            "SELECT t.customer_id::text FROM identity_claims c JOIN tickets t ON t.ticket_key = c.ticket_key
             WHERE c.claimed_value = 'carla.reyes@example.com' AND c.status = 'verified'",
        )
        .fetch_optional(&app.pool)
        .await
        .unwrap()
    })
    .await;
    assert_eq!(
        Some(owner),
        email_view.customer_id,
        "proven: the chat is now the email customer's"
    );
    app.stop().await;
}

/// Measurement, not a check: Gmail push accepted → threaded reply at the
/// Gmail stand-in, 50 mails one after another (each waits for its reply).
/// `cargo test --test channels bench_ -- --ignored --nocapture`
#[tokio::test]
#[ignore = "benchmark; run explicitly"]
async fn bench_gmail_push_to_reply_latency() {
    let (app, google) = gmail_app(600).await;
    let mailbox = app.settings.activities.gmail.mailbox.clone();
    let audience = format!("{}/webhooks/gmail/pubsub", app.base_url);
    let token = google
        .key()
        .sign(&push_claims(&audience, google::PUSH_ACCOUNT, 3600));
    let mut latencies = Vec::new();
    for n in 0..50 {
        let (_, _, history) = google.receive(
            &format!("bench{n}@example.com"),
            "Password help",
            &format!("BENCH-{n}@mail.example.com"),
            "How do I reset my password?",
        );
        let started = std::time::Instant::now();
        assert_eq!(push(&app, Some(&token), &mailbox, history).await, 204);
        eventually("the reply", WAIT, || async {
            (google.sent().len() > n).then_some(())
        })
        .await;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| steward::stats::percentile(&latencies, p);
    println!(
        "gmail push→reply over {} mails: p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms",
        latencies.len(),
        pct(0.5),
        pct(0.95),
        pct(1.0)
    );
    app.stop().await;
}
