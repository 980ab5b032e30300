//! A help desk reduced to the `record_inbound` activity's identity steps
//! (resolve, store, check claims, send codes) against real Postgres and a
//! Twilio stand-in, for the claim tests.

use super::scratch_database;
use super::standins::{Twilio, twilio_settings};
use steward_activities::channels::Channels;
use steward_activities::config::GmailSettings;
use steward_activities::identity::{Said, resolve_customer_on, verify};
use steward_domain::ticket_io::{VerificationNote, VerificationOutcome};
use steward_domain::{Channel, Identity, InboundMessage};
use uuid::Uuid;

pub struct Desk {
    pub pool: sqlx::PgPool,
    pub channels: Channels,
    pub twilio: Twilio,
}

impl Desk {
    /// A desk on a scratch database whose WhatsApp goes to a stand-in.
    pub async fn start(prefix: &str) -> (Self, String) {
        let (pool, name) = scratch_database(prefix).await;
        let twilio = Twilio::default();
        let url = twilio.clone().start().await;
        let channels = Channels::new(twilio_settings(url), GmailSettings::default());
        let desk = Self {
            pool,
            channels,
            twilio,
        };
        (desk, name)
    }

    /// One inbound message on conversation `key`, recorded as the activity does.
    pub async fn record(
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
        let note = verify::send_codes(&self.pool, &self.channels, None, channel, checked)
            .await
            .unwrap();
        (customer, note)
    }

    /// The code in the last WhatsApp message to `phone`, as `481-220`.
    pub fn code_sent_to(&self, phone: &str) -> Option<String> {
        let sent = self.twilio.sent.lock().unwrap();
        let text = &sent.iter().rev().find(|m| m.to == phone)?.body;
        text.split_whitespace()
            .find(|w| w.chars().count() == 7 && w.chars().nth(3) == Some('-'))
            .map(str::to_owned)
    }

    pub async fn claim_status(&self, phone: &str) -> (String, i32, i32) {
        sqlx::query_as(
            "SELECT status, codes_sent, attempts FROM identity_claims WHERE claimed_value = $1",
        )
        .bind(phone)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }
}

pub fn outcome(note: &Option<VerificationNote>) -> Option<VerificationOutcome> {
    note.as_ref().map(|n| n.outcome)
}

/// The other code of the same shape: certainly wrong.
pub fn wrong(code: &str) -> String {
    let digits: u32 = code.replace('-', "").parse().unwrap();
    let other = (digits + 1) % 1_000_000;
    format!("{:03}-{:03}", other / 1000, other % 1000)
}

/// A UK mobile number no other test uses: one that reads as a phone when
/// written in a message (the US test range `+1555…` does not).
pub fn uk_phone() -> String {
    format!("+447700{:06}", uuid::Uuid::new_v4().as_u128() % 1_000_000)
}
