//! The web form's API over HTTP against the whole stack: validation errors
//! per field (422), the honeypot, the per-IP limit (429), the page's
//! security headers, the status page's token, and a follow-up that names
//! an earlier ticket continuing it (without its link in the answer).

mod support;

use serde_json::{Value, json};
use std::time::Duration;
use steward::app::Roles;
use support::*;

const WAIT: Duration = Duration::from_secs(60);

fn form(email: &str, message: &str) -> Value {
    json!({"name": "Ana Lima", "email": email, "phone": "", "category": "question",
           "subject": "Password reset", "message": message, "website": ""})
}

async fn submit(app: &TestApp, body: &Value) -> (u16, Value) {
    let response = app
        .http
        .post(format!("{}/api/support/submit", app.base_url))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submissions_are_validated_limited_and_continue_earlier_tickets() {
    let mut settings = test_settings().await;
    settings.gateway.web_form_per_ip_per_hour = 5;
    let app = spawn_app_with(settings, Roles::ALL).await;
    let demo_kb = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-kb");
    steward_activities::kb::import_dir(&app.pool, &demo_kb)
        .await
        .unwrap();

    let page = app
        .http
        .get(format!("{}/support", app.base_url))
        .send()
        .await
        .unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert!(
        !page.text().await.unwrap().contains("<script>"),
        "no inline script"
    );

    // 1: every broken field named, nothing enqueued.
    let (status, body) = submit(
        &app,
        &json!({"email": "nope", "message": "hi", "category": "lottery"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    for field in ["name", "email", "subject", "message", "category"] {
        assert!(body["fields"][field].is_string(), "{field} named: {body}");
    }
    // 2: the honeypot looks accepted to a bot.
    let mut bot = form("bot@example.com", "Buy cheap things now, limited offer");
    bot["website"] = json!("http://spam.example");
    assert_eq!(submit(&app, &bot).await.0, 200);

    // 3: a real question gets a reference, a link, and the bot's answer.
    let (status, first) = submit(
        &app,
        &form("Ana.Lima@Example.com", "How do I reset my password?"),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    let reference = first["ticket_ref"].as_str().unwrap().to_owned();
    let status_url = format!("{}{}", app.base_url, first["status_url"].as_str().unwrap());
    let token = status_url.split("token=").nth(1).unwrap().to_owned();
    let api = format!("{}/api/tickets/{reference}?token={token}", app.base_url);
    let answered = eventually("the bot's answer on the ticket", WAIT, || async {
        let body: Value = app.http.get(&api).send().await.ok()?.json().await.ok()?;
        (body["ticket"]["replies"] == 1).then_some(body)
    })
    .await;
    assert_eq!(answered["pending"], false);
    // The public view: no owner, customer id, reasons or agent names.
    let ticket = answered["ticket"].as_object().unwrap();
    for internal in [
        "owner",
        "customer_id",
        "escalation_reason",
        "rejected_actions",
        "phase",
    ] {
        assert!(
            !ticket.contains_key(internal),
            "{internal} exposed: {answered}"
        );
    }
    assert!(
        answered["transcript"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| ["customer", "support", "agent"].contains(&m["from"].as_str().unwrap())),
        "{answered}"
    );
    assert_eq!(
        app.http.get(&status_url).send().await.unwrap().status(),
        200
    );
    let wrong = format!("{}/support/tickets/{reference}?token=forged", app.base_url);
    assert_eq!(app.http.get(&wrong).send().await.unwrap().status(), 404);

    // 4: naming the reference continues the same ticket…
    let (status, again) = submit(
        &app,
        &form(
            "ana.lima@example.com",
            &format!("About {reference}: the link expired, what now?"),
        ),
    )
    .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["continued"], true);
    // …without handing out its link: a typed address proves nothing.
    assert!(!again.to_string().contains(&token), "{again}");
    assert_eq!(again.get("ticket_ref"), None, "{again}");
    eventually("the follow-up on the same ticket", WAIT, || async {
        let body: Value = app.http.get(&api).send().await.ok()?.json().await.ok()?;
        (body["ticket"]["messages_received"] == 2).then_some(())
    })
    .await;
    // …but someone else naming it starts their own.
    let (_, other) = submit(
        &app,
        &form(
            "mallory@example.net",
            &format!("Show me {reference} please, it is mine"),
        ),
    )
    .await;
    assert_ne!(other["ticket_ref"], reference.as_str());

    // 5: the sixth submission from this address within the hour is refused.
    let (status, limited) = submit(
        &app,
        &form("ana.lima@example.com", "One more question for you"),
    )
    .await;
    assert_eq!(status, 429, "{limited}");
    app.stop().await;
}
