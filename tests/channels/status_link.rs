//! "Continue my earlier ticket" on the web form: the answer never carries
//! that ticket's link; the link is mailed to the address on that ticket.

use super::{WAIT, gmail_app, text_part};
use crate::support::google::header;
use crate::support::*;
use serde_json::{Value, json};

async fn submit(app: &TestApp, email: &str, message: &str) -> Value {
    let form = json!({"name": "Ana Lima", "email": email, "phone": "", "category": "question",
                      "subject": "Password reset", "message": message, "website": ""});
    app.submit_web_form(&form).await
}

#[tokio::test]
async fn a_continued_web_ticket_mails_its_link_to_the_address_on_that_ticket() {
    let (app, google) = gmail_app(600).await;
    let owner = format!("ana-{}@example.com", uuid::Uuid::new_v4().simple());
    let first = submit(&app, &owner, "How do I reset my password?").await;
    let reference = first["ticket_ref"].as_str().unwrap().to_owned();
    let token = first["status_url"]
        .as_str()
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap()
        .to_owned();

    eventually("the first message recorded", WAIT, || async {
        let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM messages WHERE sender = $1")
            .bind(&owner)
            .fetch_one(&app.pool)
            .await
            .ok()?;
        (stored == 1).then_some(())
    })
    .await;
    let again = submit(
        &app,
        &owner,
        &format!("About {reference}: the reset mail never came"),
    )
    .await;
    assert_eq!(again["continued"], true, "{again}");
    assert!(
        !again.to_string().contains(&token),
        "the answer carries no link: {again}"
    );
    let notice = again["notice"].as_str().unwrap_or_default();
    assert!(
        notice.contains("sent its link to the address on that ticket"),
        "{again}"
    );

    let mailed = eventually("the link mailed to the ticket's address", WAIT, || async {
        google
            .sent()
            .into_iter()
            .filter(|m| header(&m.raw, "To").is_some_and(|to| to.contains(&owner)))
            .map(|m| text_part(&m.raw))
            .find(|text| text.contains(&reference))
    })
    .await;
    assert!(
        mailed.contains(&format!(
            "{}/support/tickets/{reference}?token={token}",
            app.base_url
        )),
        "{mailed}"
    );
    app.stop().await;
}
