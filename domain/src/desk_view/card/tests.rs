use super::*;
use crate::EscalationReason;
use crate::ticket_state::TranscriptLine;
use crate::{Channel, TicketStatus};
use proptest::prelude::*;

const NOW: i64 = 1_764_513_120_000; // 2025-11-30 14:32 UTC

fn escalated_refund() -> TicketState {
    let mut s = TicketState {
        customer_name: "Grace O'Neil".into(),
        recipient: "+447911123456".into(),
        ..TicketState::default()
    };
    s.view.ticket_id = Some("TKT-000123".into());
    s.view.channel = Some(Channel::Whatsapp);
    s.view.phase = Phase::Escalated;
    s.view.status = TicketStatus::Escalated;
    s.view.tier = 1;
    s.view.escalation_reason = Some(EscalationReason::Refund);
    s.view.deadlines.ack_unix_ms = Some(NOW + 15 * 60_000);
    s.view.deadlines.whatsapp_window_unix_ms = Some(NOW + 24 * 3_600_000);
    s.transcript.push(TranscriptLine {
        at_unix_ms: NOW - 60_000,
        from: "customer".into(),
        text: "I was charged twice, please refund one ![x](http://evil.example/p.png)".into(),
    });
    s
}

#[test]
fn an_escalated_ticket_shows_who_what_why_when_and_how() {
    let card = ticket_card(&escalated_refund(), NOW);
    for expected in [
        "## TKT-000123 · WhatsApp · Grace O.",
        "escalated — waiting for a human · tier 1",
        "**Owner:** unassigned",
        "+4479•••3456",
        "**Escalated because:** `refund`",
        "| human acknowledgement — tier 1 | 2025-11-30 14:47 UTC | 15 min |",
        "| WhatsApp 24 h window | 2025-12-01 14:32 UTC | 1 d |",
        "I was charged twice",
        "`assign` with `{\"agent\": \"you\"}`",
    ] {
        assert!(card.contains(expected), "missing {expected:?} in:\n{card}");
    }
    assert!(!card.contains("+447911123456"), "the contact is masked");
}

#[test]
fn customer_text_cannot_add_an_image_or_a_link() {
    let card = ticket_card(&escalated_refund(), NOW);
    assert!(!card.contains("![x](http"), "{card}");
    assert!(
        card.contains(r"\!\[x\]\(http://evil.example/p.png\)"),
        "{card}"
    );
}

#[test]
fn deadlines_are_listed_soonest_first_and_passed_ones_are_due_now() {
    let mut s = escalated_refund();
    s.view.deadlines.ack_warning_unix_ms = Some(NOW - 1);
    let card = ticket_card(&s, NOW);
    let warning = card.find("acknowledgement warning").unwrap();
    let ack = card.find("human acknowledgement").unwrap();
    let window = card.find("WhatsApp 24 h window").unwrap();
    assert!(warning < ack && ack < window, "{card}");
    assert!(
        card.contains("| 2025-11-30 14:31 UTC | due now |"),
        "{card}"
    );
}

#[test]
fn a_new_ticket_card_has_no_empty_fields_to_misread() {
    let card = ticket_card(&TicketState::default(), NOW);
    assert!(card.starts_with("## new ticket · channel not known yet · customer"));
    assert!(!card.contains("Deadline"));
    assert!(!card.contains("Last customer message"));
}

proptest! {
    /// Any name, contact or message: no panic, the contact never appears
    /// whole, and the same state at the same time gives the same card
    /// (what replay relies on).
    #[test]
    fn any_text_gives_one_stable_card(
        name in "\\PC{0,40}",
        contact in "[+0-9]{8,15}",
        text in "\\PC{0,600}",
        owner in proptest::option::of("\\PC{0,20}"),
    ) {
        let mut s = escalated_refund();
        s.customer_name = name;
        s.recipient = contact.clone();
        s.view.owner = owner;
        s.transcript[0].text = text;
        let card = ticket_card(&s, NOW);
        prop_assert_eq!(&card, &ticket_card(&s, NOW));
        prop_assert!(!card.contains(&contact));
    }
}
