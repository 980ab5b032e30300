//! What every fault test sends and what it checks at the end: each
//! customer whose webhook was answered 200 got exactly one reply, and the
//! send ledger (`outbound_sends`) and the Twilio stand-in agree on it.

use crate::support::standins::*;
use crate::support::*;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use steward::settings::Settings;
use steward_domain::{Channel, Phase, ticket_workflow_id};
use steward_workflows::TicketWorkflow;
use temporalio_client::WorkflowQueryOptions;

/// A question the demo KB answers: one bot reply, no escalation.
pub(crate) const QUESTION: &str = "How do I reset my password? I forgot it";

/// Routes replies to the Twilio and human-queue stand-ins, with SLA
/// windows long enough that only the answer is sent: no holding message
/// while a crashed worker's activity waits for its timeout, no CSAT request.
pub(crate) async fn with_standins(
    mut settings: Settings,
    twilio: &Twilio,
) -> (Settings, HumanQueue) {
    let queue = HumanQueue::default();
    settings.activities.twilio = twilio_settings(twilio.clone().start().await);
    settings.activities.human_queue_webhook = Some(queue.clone().start().await.into());
    settings.activities.policy.sla.first_response_whatsapp_secs = 900;
    settings.activities.policy.sla.quiet_window_secs = 3600;
    (settings, queue)
}

pub(crate) async fn import_demo_kb(app: &TestApp) {
    let demo_kb = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-kb");
    steward_activities::kb::import_dir(&app.pool, &demo_kb)
        .await
        .unwrap();
}

/// A new customer's first message as Twilio posts it (its own MessageSid).
pub(crate) fn first_message(phone: &str) -> Vec<(String, String)> {
    let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
    steward::webhook_sign::whatsapp_form(phone, OUR_WHATSAPP, QUESTION, &sid, "Ana Lopez")
}

/// Messages the stand-in received, per recipient.
pub(crate) fn received(twilio: &Twilio) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for m in twilio.sent.lock().unwrap().iter() {
        *counts.entry(m.to.clone()).or_default() += 1;
    }
    counts
}

/// Whether `phone` has a reply at the stand-in.
pub(crate) fn answered(twilio: &Twilio, phone: &str) -> bool {
    twilio.sent.lock().unwrap().iter().any(|m| m.to == phone)
}

/// What the run ended with.
#[derive(Debug)]
pub(crate) struct Tally {
    pub(crate) replies: usize,
    /// Sends settled by asking Twilio after an attempt died mid-call.
    pub(crate) reconciled: i64,
    /// Send requests Twilio received (a resend would show here).
    pub(crate) twilio_requests: u32,
}

/// Waits (up to `timeout`) until every one of `phones` has a reply and a
/// `sent` ledger row, then checks exactly one of each per customer, the
/// same messages on both sides, one stored inbound message per customer
/// and a ticket that finished its first reply.
pub(crate) async fn one_reply_each(
    app: &TestApp,
    twilio: &Twilio,
    phones: &[String],
    timeout: Duration,
) -> Tally {
    let expected: BTreeSet<String> = phones.iter().cloned().collect();
    assert_eq!(expected.len(), phones.len(), "one ticket per customer");
    eventually("a reply to every customer", timeout, || async {
        let sent: i64 =
            sqlx::query_scalar("SELECT count(*) FROM outbound_sends WHERE state = 'sent'")
                .fetch_one(&app.pool)
                .await
                .ok()?;
        let at_twilio = received(twilio);
        (sent as usize >= phones.len() && expected.iter().all(|p| at_twilio.contains_key(p)))
            .then_some(())
    })
    .await;
    // A late duplicate (a resent reply) would land in this window.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let at_twilio = received(twilio);
    let twice: Vec<_> = at_twilio.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        twice.is_empty(),
        "customers with other than one reply: {twice:?}"
    );
    let strangers: Vec<_> = at_twilio
        .keys()
        .filter(|p| !expected.contains(*p))
        .collect();
    assert!(
        strangers.is_empty(),
        "replies to no customer of the run: {strangers:?}"
    );

    let rows: Vec<(String, String, Option<String>, bool)> = sqlx::query_as(
        "SELECT recipient, state, provider_message_id, reconciled FROM outbound_sends",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), phones.len(), "one ledger row per customer");
    let ledger: BTreeSet<String> = rows
        .iter()
        .map(|(to, ..)| to.trim_start_matches("whatsapp:").to_owned())
        .collect();
    assert_eq!(
        ledger, expected,
        "the ledger's recipients are the customers"
    );
    let not_sent: Vec<_> = rows.iter().filter(|r| r.1 != "sent").collect();
    assert!(
        not_sent.is_empty(),
        "sends not settled as sent: {not_sent:?}"
    );
    let ledger_ids: BTreeSet<String> = rows.iter().filter_map(|r| r.2.clone()).collect();
    let twilio_ids: BTreeSet<String> = twilio
        .sent
        .lock()
        .unwrap()
        .iter()
        .map(|m| m.sid.clone())
        .collect();
    assert_eq!(
        ledger_ids, twilio_ids,
        "the ledger holds Twilio's own message ids"
    );

    let inbound: i64 =
        sqlx::query_scalar("SELECT count(*) FROM messages WHERE direction = 'inbound'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        inbound as usize,
        phones.len(),
        "one stored message per customer"
    );
    finished_first_reply(app, phones).await;
    Tally {
        replies: at_twilio.values().sum(),
        reconciled: rows.iter().filter(|r| r.3).count() as i64,
        twilio_requests: *twilio.requests.lock().unwrap(),
    }
}

/// Every ticket says: one message recorded, one bot reply, waiting for the
/// customer.
async fn finished_first_reply(app: &TestApp, phones: &[String]) {
    let client = steward::temporal::connect(&app.settings.temporal)
        .await
        .unwrap();
    for phone in phones {
        let id = ticket_workflow_id(Channel::Whatsapp, phone);
        let view = client
            .get_workflow_handle::<TicketWorkflow>(&id)
            .query(TicketWorkflow::status, (), WorkflowQueryOptions::default())
            .await
            .unwrap();
        assert_eq!(
            (view.messages_recorded, view.bot_replies, view.phase),
            (1, 1, Phase::AwaitingCustomer),
            "{id}"
        );
    }
}
