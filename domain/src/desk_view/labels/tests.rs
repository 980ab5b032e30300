use super::*;
use crate::identity::Identity;
use crate::ticket_io::{KbQuery, ReplyKind, SendInput};

const NOW: i64 = 1_764_513_120_000;

fn view(channel: Channel) -> TicketView {
    let mut v = TicketView {
        channel: Some(channel),
        ..TicketView::default()
    };
    v.tier = 1;
    v
}

#[test]
fn timers_are_named_by_the_deadline_they_wait_for() {
    let mut v = view(Channel::Whatsapp);
    v.deadlines.first_response_unix_ms = Some(NOW + 120_000);
    assert_eq!(
        timer_summary(&v, NOW + 120_000, NOW),
        "first response — WhatsApp, 2 min"
    );
    v.deadlines.first_response_unix_ms = None;
    v.deadlines.ack_unix_ms = Some(NOW + 15 * 60_000);
    assert_eq!(
        timer_summary(&v, NOW + 15 * 60_000, NOW),
        "human acknowledgement — tier 1, 15 min"
    );
    v.deadlines.quiet_until_unix_ms = Some(NOW + 3_600_000);
    assert_eq!(
        timer_summary(&v, NOW + 3_600_000, NOW),
        "quiet window before resolution, 1 h"
    );
    v.deadlines.whatsapp_window_unix_ms = Some(NOW + 24 * 3_600_000);
    assert_eq!(
        timer_summary(&v, NOW + 24 * 3_600_000, NOW),
        "WhatsApp 24 h window, 1 d"
    );
    assert_eq!(timer_summary(&v, NOW + 5_000, NOW), "deadline, 5 s");
}

#[test]
fn on_a_tie_the_sla_names_the_timer() {
    let mut v = view(Channel::Email);
    v.deadlines.whatsapp_window_unix_ms = Some(NOW + 60_000);
    v.deadlines.ack_unix_ms = Some(NOW + 60_000);
    assert!(timer_summary(&v, NOW + 60_000, NOW).starts_with("human acknowledgement"));
}

#[test]
fn activities_say_what_they_do_for_this_ticket() {
    let search = Call::SearchKb(KbQuery {
        ticket_id: "TKT-000001".into(),
        query: "reset email\nnever arrives, ¿qué hago? ".repeat(5),
        limit: 5,
    });
    let summary = activity_summary(&search);
    assert!(summary.starts_with("search KB: 'reset email never arrives, ¿qué hago?"));
    assert!(summary.chars().count() < 80, "{summary}");
    let send = Call::Send(SendInput {
        ticket_key: "k".into(),
        ticket_id: "TKT-000001".into(),
        idempotency_key: "k:1".into(),
        channel: Channel::Whatsapp,
        recipient: "+14155550100".into(),
        kind: ReplyKind::Bot,
        author: "bot".into(),
        text: "hi".into(),
        correlation_id: String::new(),
        customer_name: String::new(),
        subject: String::new(),
        conversation_key: String::new(),
        in_reply_to: String::new(),
        whatsapp_window_open: None,
    });
    assert_eq!(activity_summary(&send), "send bot reply via WhatsApp");
    assert_eq!(
        activity_summary(&Call::LoadPolicy),
        "load the SLA and drafting policy"
    );
}

#[test]
fn the_start_summary_reads_as_a_ticket() {
    let first = InboundMessage {
        envelope_id: "e".into(),
        correlation_id: "c".into(),
        channel: Channel::Whatsapp,
        provider_message_id: "SM1".into(),
        conversation_key: "+14155550100".into(),
        sender: Identity::phone("+14155550100").unwrap(),
        sender_name: "Grace O'Neil".into(),
        subject: String::new(),
        body: "I was charged twice this month, please refund one of them.".into(),
        received_at_unix_ms: NOW,
        media: vec![],
        recipient: String::new(),
        reply_address: String::new(),
    };
    assert_eq!(
        start_summary(&first),
        "WhatsApp · Grace O. · 'I was charged twice this month, please refund o…'"
    );
}
