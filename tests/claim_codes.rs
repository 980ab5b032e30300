//! Verifying a claim against real Postgres and a Twilio stand-in, through
//! the same steps the `record_inbound` activity takes: the code goes over
//! the claimed channel only, links only when echoed on the conversation
//! that made the claim, is single-use, expires, and a claim fails after
//! five wrong codes. A verified link is undone by `unmerge`.

mod support;

use steward_activities::identity::unmerge;
use steward_domain::ticket_io::VerificationOutcome;
use steward_domain::{Channel, Identity};
use support::claim_desk::*;
use support::*;

#[tokio::test]
async fn a_claim_links_only_when_its_code_comes_back_on_the_claiming_conversation() {
    let (desk, name) = Desk::start("steward_claim_codes").await;

    // The phone's owner writes on WhatsApp; someone on the web form states it.
    let phone = uk_phone();
    let owner_id = Identity::phone(&phone).unwrap();
    let (owner, _) = desk
        .record(&phone, Channel::Whatsapp, &owner_id, "my timer froze")
        .await;
    let web = Identity::email("sam@example.org").unwrap();
    let stated = format!("How do I export?\n\nMy phone number is {phone}.");
    let (claimant, note) = desk.record("web-1", Channel::Web, &web, &stated).await;
    assert_ne!(claimant, owner, "a statement joins nobody");
    let note = note.expect("the claim is acknowledged");
    assert_eq!(note.outcome, VerificationOutcome::CodeSent);
    assert!(!note.reply.contains(&phone), "masked: {}", note.reply);
    let code = desk
        .code_sent_to(&phone)
        .expect("a code went to the claimed phone");
    let text = desk.twilio.bodies().join("\n");
    assert!(
        !text.contains("sam@example.org"),
        "the claimant is not named: {text}"
    );
    let stored: Vec<u8> = sqlx::query_scalar("SELECT code_hash FROM identity_claims")
        .fetch_one(&desk.pool)
        .await
        .unwrap();
    assert!(!String::from_utf8_lossy(&stored).contains(&code.replace('-', "")));

    // Humans see it, marked unverified: on the ticket and in escalations.
    let event: String =
        sqlx::query_scalar("SELECT detail FROM ticket_events WHERE event = 'identity_claimed'")
            .fetch_one(&desk.pool)
            .await
            .unwrap();
    assert!(
        event.contains(&phone) && event.contains("UNVERIFIED"),
        "{event}"
    );
    let summary = steward_activities::identity::summary_for_humans(&desk.pool, "web-1")
        .await
        .unwrap();
    assert!(
        summary.contains("UNVERIFIED") && summary.contains(&phone),
        "{summary}"
    );

    // Restating it while a code is live sends no other.
    let sends = desk.twilio.sent.lock().unwrap().len();
    desk.record("web-1", Channel::Web, &web, &stated).await;
    assert_eq!(desk.twilio.sent.lock().unwrap().len(), sends);

    // A wrong code counts an attempt; the right one on another conversation
    // (the phone's own chat) links nothing.
    let (_, note) = desk
        .record("web-1", Channel::Web, &web, &wrong(&code))
        .await;
    assert_eq!(outcome(&note), Some(VerificationOutcome::CodeWrong));
    let (_, note) = desk
        .record(&phone, Channel::Whatsapp, &owner_id, &code)
        .await;
    assert_eq!(note, None);
    assert_eq!(desk.claim_status(&phone).await, ("pending".into(), 1, 1));

    // Echoed on the claiming conversation: a link with its evidence.
    let (_, note) = desk
        .record("web-1", Channel::Web, &web, &format!("code: {code}"))
        .await;
    assert_eq!(outcome(&note), Some(VerificationOutcome::Verified));
    let (joined, _) = desk.record("web-2", Channel::Web, &web, "thanks").await;
    assert_eq!(
        joined, owner,
        "the web address now belongs to the phone's customer"
    );
    let evidence: String = sqlx::query_scalar(
        "SELECT evidence FROM identity_links WHERE identity_value = 'sam@example.org' AND status = 'applied'",
    )
    .fetch_one(&desk.pool)
    .await
    .unwrap();
    assert!(
        evidence.contains("verified by a one-time code"),
        "{evidence}"
    );
    let summary = steward_activities::identity::summary_for_humans(&desk.pool, "web-1")
        .await
        .unwrap();
    assert!(summary.contains("verified by code"), "{summary}");
    // Single use: the same code again is just text.
    let (_, note) = desk.record("web-1", Channel::Web, &web, &code).await;
    assert_eq!(note, None);
    assert_ne!(unmerge(&desk.pool, &web).await.unwrap(), owner);

    // Another claim: an expired code is just text, and five wrong codes
    // fail the claim for good.
    let second = uk_phone();
    let mallory = Identity::email("mallory@example.net").unwrap();
    let claim = format!("my phone number is {second}");
    desk.record("web-3", Channel::Web, &mallory, &claim).await;
    let code = desk.code_sent_to(&second).unwrap();
    sqlx::query("UPDATE identity_claims SET code_expires_at = now() - interval '1 second' WHERE claimed_value = $1")
        .bind(&second)
        .execute(&desk.pool)
        .await
        .unwrap();
    let (_, note) = desk.record("web-3", Channel::Web, &mallory, &code).await;
    assert_eq!(note, None, "expired");
    let (_, note) = desk.record("web-3", Channel::Web, &mallory, &claim).await;
    assert_eq!(
        outcome(&note),
        Some(VerificationOutcome::CodeSent),
        "a fresh code"
    );
    let code = desk.code_sent_to(&second).unwrap();
    for _ in 0..5 {
        desk.record("web-3", Channel::Web, &mallory, &wrong(&code))
            .await;
    }
    let (_, note) = desk.record("web-3", Channel::Web, &mallory, &code).await;
    assert_eq!(note, None, "a failed claim takes no code");
    assert_eq!(desk.claim_status(&second).await, ("failed".into(), 2, 5));
    let pool = desk.pool;
    drop_database(pool, &name).await;
}
