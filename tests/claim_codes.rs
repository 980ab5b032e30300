//! Verifying a claim against real Postgres and a Twilio stand-in, through
//! the same steps the `record_inbound` activity takes: the code goes over
//! the claimed channel only, links only when echoed on the conversation
//! that made the claim, is single-use, expires, and a claim fails after
//! five wrong codes. A verified link is undone by `unmerge`.

mod support;

use steward_activities::channels::Channels;
use steward_activities::config::GmailSettings;
use steward_activities::identity::{Said, resolve_customer_on, unmerge, verify};
use steward_domain::ticket_io::{VerificationNote, VerificationOutcome};
use steward_domain::{Channel, Identity, InboundMessage};
use support::standins::{Twilio, twilio_settings};
use support::*;
use uuid::Uuid;

struct Desk {
    pool: sqlx::PgPool,
    channels: Channels,
    twilio: Twilio,
}

impl Desk {
    /// One inbound message on conversation `key`, recorded as the activity does.
    async fn record(
        &self,
        key: &str,
        channel: Channel,
        sender: &Identity,
        body: &str,
    ) -> (Uuid, Option<VerificationNote>) {
        let message = InboundMessage {
            envelope_id: Uuid::new_v4().to_string(),
            correlation_id: String::new(),
            channel,
            provider_message_id: format!("m-{}", Uuid::new_v4()),
            conversation_key: key.into(),
            sender: sender.clone(),
            sender_name: String::new(),
            subject: String::new(),
            body: body.into(),
            received_at_unix_ms: 0,
            media: Vec::new(),
            recipient: String::new(),
            reply_address: String::new(),
        };
        let mut tx = self.pool.begin().await.unwrap();
        let said = Said {
            sender,
            display_name: "",
            subject: "",
            body,
            source_message_id: &message.provider_message_id,
        };
        let proven = channel != Channel::Web;
        let customer = resolve_customer_on(&mut tx, said, "US", proven)
            .await
            .unwrap();
        let (ticket, _) =
            steward_activities::crm::ticket_for_key(&mut tx, key, key, customer, channel, "")
                .await
                .unwrap();
        steward_activities::crm::insert_inbound_message(&mut tx, ticket, &message)
            .await
            .unwrap();
        let checked = verify::check_message(&mut tx, key, ticket, &message, true)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let note = verify::send_codes(&self.pool, &self.channels, channel, checked)
            .await
            .unwrap();
        (customer, note)
    }

    /// The code in the last WhatsApp message to `phone`, as `481-220`.
    fn code_sent_to(&self, phone: &str) -> Option<String> {
        let sent = self.twilio.sent.lock().unwrap();
        let text = &sent.iter().rev().find(|m| m.to == phone)?.body;
        text.split_whitespace()
            .find(|w| w.chars().count() == 7 && w.chars().nth(3) == Some('-'))
            .map(str::to_owned)
    }

    async fn claim_status(&self, phone: &str) -> (String, i32, i32) {
        sqlx::query_as(
            "SELECT status, codes_sent, attempts FROM identity_claims WHERE claimed_value = $1",
        )
        .bind(phone)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }
}

fn outcome(note: &Option<VerificationNote>) -> Option<VerificationOutcome> {
    note.as_ref().map(|n| n.outcome)
}

/// The other code of the same shape: certainly wrong.
fn wrong(code: &str) -> String {
    let digits: u32 = code.replace('-', "").parse().unwrap();
    let other = (digits + 1) % 1_000_000;
    format!("{:03}-{:03}", other / 1000, other % 1000)
}

#[tokio::test]
async fn a_claim_links_only_when_its_code_comes_back_on_the_claiming_conversation() {
    let (pool, name) = scratch_database("steward_claim_codes").await;
    let twilio = Twilio::default();
    let url = twilio.clone().start().await;
    let channels = Channels::new(twilio_settings(url), GmailSettings::default());
    let desk = Desk {
        pool,
        channels,
        twilio,
    };

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

/// A UK mobile number no other test uses: one that reads as a phone when
/// written in a message (the US test range `+1555…` does not).
fn uk_phone() -> String {
    format!("+447700{:06}", uuid::Uuid::new_v4().as_u128() % 1_000_000)
}

#[tokio::test]
async fn an_address_typed_into_the_web_form_belongs_to_whoever_writes_from_it() {
    let (pool, name) = scratch_database("steward_claim_typed").await;
    let twilio = Twilio::default();
    let url = twilio.clone().start().await;
    let channels = Channels::new(twilio_settings(url), GmailSettings::default());
    let desk = Desk {
        pool,
        channels,
        twilio,
    };
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
