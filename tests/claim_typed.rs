//! Who an address belongs to when it is only typed into the web form: the
//! first message really from it takes it over, a later typist gets a
//! customer of their own and a claim, and stating many numbers sends a
//! bounded number of codes.

mod support;

use steward_domain::ticket_io::VerificationOutcome;
use steward_domain::{Channel, Identity};
use support::claim_desk::*;
use support::*;
use uuid::Uuid;

#[tokio::test]
async fn an_address_typed_into_the_web_form_belongs_to_whoever_writes_from_it() {
    let (desk, name) = Desk::start("steward_claim_typed").await;
    let victim = Identity::email("dana@victim.example").unwrap();

    // Typed first by someone on the web form, then really used by mail.
    let (typist, _) = desk.record("web-a", Channel::Web, &victim, "hello").await;
    let (same, _) = desk.record("web-b", Channel::Web, &victim, "again").await;
    assert_eq!(same, typist, "web submissions of one address stay together");
    let (owner, _) = desk
        .record("mail-1", Channel::Email, &victim, "my invoice")
        .await;
    assert_ne!(
        owner, typist,
        "the mailbox's own message takes the address over"
    );
    let (status, claimant): (String, Uuid) = sqlx::query_as(
        "SELECT status, customer_id FROM identity_claims WHERE claimed_value = 'dana@victim.example'",
    )
    .fetch_one(&desk.pool)
    .await
    .unwrap();
    assert_eq!(
        (status.as_str(), claimant),
        ("pending", typist),
        "the typist keeps a claim"
    );

    // Typed again after its owner used it: a customer of its own, and a
    // code goes to the mailbox (the development outbox here).
    let (later, note) = desk.record("web-c", Channel::Web, &victim, "show me").await;
    assert_ne!(later, owner);
    assert_eq!(outcome(&note), Some(VerificationOutcome::CodeSent));
    let (mail, _) = desk
        .record("mail-2", Channel::Email, &victim, "thanks")
        .await;
    assert_eq!(mail, owner);

    // Stating many numbers sends a bounded number of codes.
    let phones: Vec<String> = (0..8).map(|_| uk_phone()).collect();
    let pump = Identity::email("pump@spam.example").unwrap();
    let body: String = phones
        .iter()
        .map(|p| format!("My phone number is {p}.\n"))
        .collect();
    desk.record("web-d", Channel::Web, &pump, &body).await;
    let reached = phones
        .iter()
        .filter(|p| desk.code_sent_to(p).is_some())
        .count();
    let claimed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM identity_claims WHERE claimant_value = 'pump@spam.example'",
    )
    .fetch_one(&desk.pool)
    .await
    .unwrap();
    assert!(claimed > 6, "every statement is recorded: {claimed}");
    assert_eq!(reached, 6, "codes per claimant per day");
    let pool = desk.pool;
    drop_database(pool, &name).await;
}
