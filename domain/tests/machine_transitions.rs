//! Table tests of the ticket state machine: each transition, as the exact
//! sequence of requests the workflow carries out (which is also what its
//! history records, so a change here is a change that needs a patch).

mod sim;

use sim::{SendAnswer, Sim, World, message};
use steward_domain::lifecycle::{HumanAction, Phase};
use steward_domain::machine::Event;
use steward_domain::ticket_io::{VerificationNote, VerificationOutcome};
use steward_domain::ticket_state::Feedback;
use steward_domain::{Channel, EscalationReason};

fn world() -> World {
    World {
        patched: true,
        ..World::default()
    }
}

fn first_message(sim: &mut Sim, body: &str) {
    let m = message("m1", Channel::Web, body, sim.now);
    sim.signal(Event::CustomerMessage(m));
}

fn human(agent: &str) -> HumanAction {
    HumanAction::AgentReply {
        agent: agent.into(),
        text: "Hello, Sam here.".into(),
    }
}

#[test]
fn a_question_the_kb_answers_is_answered_and_awaits_the_customer() {
    let mut sim = Sim::new(world());
    first_message(&mut sim, "How do I reset my password?");
    assert_eq!(
        sim.trace(),
        [
            "load_policy",
            "record_inbound",
            "patched:cross-channel-merge",
            "find_open_ticket",
            "event:opened",
            "triage",
            "search_kb",
            "draft",
            "check_reply",
            "send:bot",
            "event:bot_replied",
        ]
    );
    let v = &sim.ticket.state.view;
    assert_eq!(v.phase, Phase::AwaitingCustomer);
    assert_eq!(v.cited_articles, ["reset-password"]);
    assert!(v.deadlines.first_response_unix_ms.is_none());
    assert!(v.deadlines.quiet_until_unix_ms.is_some());
}

#[test]
fn triage_escalation_sends_one_holding_message_and_starts_the_ack_deadline() {
    let mut w = world();
    w.triage = vec![Some(EscalationReason::Refund)];
    let mut sim = Sim::new(w);
    first_message(&mut sim, "Please refund the duplicate charge");
    let tail: Vec<_> = sim.trace().into_iter().skip(6).collect();
    assert_eq!(
        tail,
        ["escalate:refund:1", "send:holding", "event:escalated"]
    );
    let v = &sim.ticket.state.view;
    assert_eq!(v.phase, Phase::Escalated);
    assert!(v.deadlines.ack_unix_ms.is_some());
    assert!(v.deadlines.ack_warning_unix_ms < v.deadlines.ack_unix_ms);
}

#[test]
fn a_customer_message_to_a_human_owned_ticket_goes_to_the_owner_only() {
    let mut w = world();
    w.triage = vec![Some(EscalationReason::HumanRequested)];
    let mut sim = Sim::new(w);
    first_message(&mut sim, "A person please");
    sim.signal(Event::Human(human("sam")));
    let before = sim.calls.len();
    let m = message("m2", Channel::Web, "Still there?", sim.now);
    sim.signal(Event::CustomerMessage(m));
    let tail: Vec<_> = sim.trace().into_iter().skip(before).collect();
    assert_eq!(tail, ["record_inbound", "notify:CustomerMessage"]);
}

#[test]
fn a_human_reply_acknowledges_and_owns_the_ticket() {
    let mut w = world();
    w.triage = vec![Some(EscalationReason::HumanRequested)];
    let mut sim = Sim::new(w);
    first_message(&mut sim, "A person please");
    let before = sim.calls.len();
    sim.signal(Event::Human(human("sam")));
    let tail: Vec<_> = sim.trace().into_iter().skip(before).collect();
    assert_eq!(
        tail,
        [
            "patched:record-acknowledgement",
            "event:acknowledged",
            "send:agent",
            "event:agent_replied"
        ]
    );
    let v = &sim.ticket.state.view;
    assert_eq!((v.phase, v.owner.as_deref()), (Phase::Human, Some("sam")));
    assert!(v.deadlines.ack_unix_ms.is_none());
    assert!(v.deadlines.resolution_unix_ms.is_some());
}

#[test]
fn a_refused_action_is_recorded_and_changes_nothing_else() {
    let mut sim = Sim::new(world());
    first_message(&mut sim, "How do I reset my password?");
    let before = sim.ticket.state.view.clone();
    let calls = sim.calls.len();
    let back = HumanAction::ReturnToBot {
        agent: "sam".into(),
    };
    assert!(sim.ticket.check_action(&back).is_err());
    sim.signal(Event::Human(back));
    let mut after = sim.ticket.state.view.clone();
    assert_eq!(after.rejected_actions.len(), 1);
    after.rejected_actions.clear();
    assert_eq!(after, before);
    assert_eq!(sim.trace()[calls..], ["event:action_refused"]);
}

#[test]
fn an_unreadable_signal_is_a_recorded_refusal() {
    let mut sim = Sim::new(world());
    first_message(&mut sim, "How do I reset my password?");
    sim.signal(Event::Malformed {
        signal: "agent_reply".into(),
        reason: "missing field `text`".into(),
    });
    let v = &sim.ticket.state.view;
    assert_eq!(v.rejected_actions.len(), 1);
    assert!(v.rejected_actions[0].contains("missing field `text`"));
    assert_eq!(sim.trace().last().unwrap(), "event:action_refused");
}

#[test]
fn quiet_window_resolves_then_a_rating_closes() {
    let mut sim = Sim::new(world());
    first_message(&mut sim, "How do I reset my password?");
    sim.advance(25 * 3600 * 1000);
    assert_eq!(sim.ticket.state.view.phase, Phase::Resolved);
    assert_eq!(sim.ticket.state.view.resolved_autonomously, Some(true));
    assert_eq!(sim.sends().last().unwrap().kind.as_str(), "csat_request");
    sim.signal(Event::Feedback(Feedback {
        score: 5,
        comment: String::new(),
    }));
    assert!(sim.ticket.is_closed());
    assert!(sim.ticket.next_deadline().is_none());
}

#[test]
fn a_missed_ack_deadline_is_a_breach_and_the_next_tier() {
    let mut w = world();
    w.triage = vec![Some(EscalationReason::Legal)];
    let mut sim = Sim::new(w);
    first_message(&mut sim, "My lawyer will call");
    let ack = sim.ticket.state.view.deadlines.ack_unix_ms.unwrap();
    sim.advance(ack - sim.now + 1);
    let v = &sim.ticket.state.view;
    assert!(v.sla_breached);
    assert_eq!(v.tier, 2);
    assert!(v.deadlines.ack_unix_ms.unwrap() > ack);
    assert!(sim.trace().contains(&"escalate:legal:2".to_owned()));
    assert!(sim.trace().contains(&"event:sla_breached".to_owned()));
}

#[test]
fn a_late_draft_escalates_as_a_missed_first_response() {
    let mut w = world();
    w.late = vec![false, true];
    let mut sim = Sim::new(w);
    first_message(&mut sim, "How do I reset my password?");
    let v = &sim.ticket.state.view;
    assert_eq!(
        v.escalation_reason,
        Some(EscalationReason::SlaFirstResponse)
    );
    assert!(v.sla_breached);
}

#[test]
fn a_send_that_fails_for_good_escalates_and_keeps_the_ticket_alive() {
    let mut w = world();
    w.send = vec![SendAnswer::Failed, SendAnswer::Failed];
    let mut sim = Sim::new(w);
    first_message(&mut sim, "How do I reset my password?");
    let v = &sim.ticket.state.view;
    assert_eq!(v.phase, Phase::Escalated);
    assert_eq!(v.escalation_reason, Some(EscalationReason::DeliveryFailed));
    assert!(v.deadlines.ack_unix_ms.is_some());
    // Escalated once, and no holding message on the channel that just
    // refused a reply.
    let trace = sim.trace();
    assert_eq!(
        trace.iter().filter(|t| t.starts_with("escalate:")).count(),
        1
    );
    assert!(!trace.contains(&"send:holding".to_owned()), "{trace:?}");
}

#[test]
fn an_undeliverable_reply_escalates_as_delivery_failed() {
    let mut w = world();
    w.send = vec![SendAnswer::Undeliverable];
    let mut sim = Sim::new(w);
    first_message(&mut sim, "How do I reset my password?");
    let v = &sim.ticket.state.view;
    assert_eq!(v.escalation_reason, Some(EscalationReason::DeliveryFailed));
    assert!(
        sim.trace()
            .contains(&"patched:escalate-undeliverable".to_owned())
    );
}

#[test]
fn without_the_patch_an_undeliverable_reply_only_tells_humans() {
    let w = World {
        send: vec![SendAnswer::Undeliverable],
        ..World::default()
    };
    let mut sim = Sim::new(w);
    first_message(&mut sim, "How do I reset my password?");
    assert_eq!(sim.ticket.state.view.phase, Phase::AwaitingCustomer);
    assert!(sim.trace().contains(&"notify:DeliveryFailed".to_owned()));
}

#[test]
fn a_new_conversation_of_a_customer_with_an_open_ticket_joins_it() {
    let mut w = world();
    w.open_ticket = vec![true];
    let mut sim = Sim::new(w);
    first_message(&mut sim, "my email is ana@example.com");
    let tail: Vec<_> = sim.trace().into_iter().skip(3).collect();
    assert_eq!(
        tail,
        [
            "find_open_ticket",
            "mark_merged",
            "hand_over:ticket-email-2"
        ]
    );
    assert!(sim.ticket.is_closed());
    // Later messages follow it.
    let m = message("m2", Channel::Web, "hello?", sim.now);
    sim.signal(Event::CustomerMessage(m));
    assert_eq!(sim.trace().last().unwrap(), "hand_over:ticket-email-2");
}

#[test]
fn a_redelivered_message_is_handled_once() {
    let mut sim = Sim::new(world());
    let m = message(
        "m1",
        Channel::Whatsapp,
        "How do I reset my password?",
        sim.now,
    );
    sim.feed(Event::CustomerMessage(m.clone()));
    sim.feed(Event::CustomerMessage(m.clone()));
    sim.feed(Event::Wake);
    sim.signal(Event::CustomerMessage(m));
    let trace = sim.trace();
    assert_eq!(trace.iter().filter(|t| *t == "record_inbound").count(), 1);
    assert_eq!(trace.iter().filter(|t| *t == "send:bot").count(), 1);
}

#[test]
fn a_new_question_after_resolution_reopens_and_a_score_is_feedback() {
    let mut sim = Sim::new(world());
    first_message(&mut sim, "How do I reset my password?");
    sim.advance(25 * 3600 * 1000);
    let m = message("m2", Channel::Web, "And how do I change my email?", sim.now);
    sim.signal(Event::CustomerMessage(m));
    assert!(sim.trace().contains(&"event:reopened".to_owned()));
    assert_eq!(sim.ticket.state.view.phase, Phase::AwaitingCustomer);
    sim.advance(25 * 3600 * 1000);
    let m = message("m3", Channel::Web, "5 thanks", sim.now);
    sim.signal(Event::CustomerMessage(m));
    assert_eq!(
        sim.ticket.state.view.csat.as_ref().map(|c| c.score),
        Some(5)
    );
    assert!(sim.ticket.is_closed());
}

#[test]
fn an_action_before_the_first_message_is_refused_on_current_runs_only() {
    let assign = || {
        Event::Human(HumanAction::Assign {
            agent: "sam".into(),
        })
    };
    let mut sim = Sim::new(world());
    sim.signal(assign());
    assert_eq!(sim.ticket.state.view.phase, Phase::Bot);
    assert!(sim.ticket.state.view.rejected_actions[0].contains("no customer message yet"));
    // A run recorded before the patch replays its old path: applied.
    let mut old = Sim::new(World::default());
    old.signal(assign());
    assert_eq!(old.ticket.state.view.phase, Phase::Human);
}

#[test]
fn a_failed_receipt_on_a_closed_ticket_resends_nothing() {
    let mut sim = Sim::new(world());
    first_message(&mut sim, "How do I reset my password?");
    sim.advance(25 * 3600 * 1000);
    sim.signal(Event::Feedback(Feedback {
        score: 4,
        comment: String::new(),
    }));
    assert!(sim.ticket.is_closed());
    let before = sim.calls.len();
    sim.signal(Event::DeliveryReceipt(
        steward_domain::ticket_io::DeliveryStatusInput {
            provider_message_id: "SMkey-1:1".into(),
            status: "undelivered".into(),
            error_code: "63016".into(),
            error_message: String::new(),
        },
    ));
    assert_eq!(
        sim.trace()[before..],
        [
            "patched:receipts-on-ledger",
            "record_receipt",
            "patched:closed-ticket-sends-nothing"
        ]
    );
    assert_eq!(sim.ticket.state.view.delivery_failures, 1);
}

#[test]
fn receipts_are_recorded_by_the_ticket_and_canceled_is_a_failure() {
    let mut sim = Sim::new(world());
    first_message(&mut sim, "How do I reset my password?");
    let before = sim.calls.len();
    let receipt = |status: &str| {
        Event::DeliveryReceipt(steward_domain::ticket_io::DeliveryStatusInput {
            provider_message_id: "SMkey-1:1".into(),
            status: status.into(),
            error_code: String::new(),
            error_message: String::new(),
        })
    };
    sim.signal(receipt("delivered"));
    sim.signal(receipt("canceled"));
    sim.signal(receipt("sent"));
    let trace = sim.trace()[before..].to_vec();
    assert_eq!(trace.iter().filter(|t| *t == "record_receipt").count(), 3);
    assert!(trace.contains(&"redeliver".to_owned()), "{trace:?}");
    let v = &sim.ticket.state.view;
    assert_eq!(v.delivery_failures, 1);
    assert_eq!(
        v.last_delivery.as_ref().unwrap().status,
        "canceled",
        "a late sent hides no failure"
    );
}

fn note(outcome: VerificationOutcome) -> Option<VerificationNote> {
    Some(VerificationNote {
        outcome,
        claimed: "+1 415 ••• ••00".into(),
        detail: "claim of +14155550100 by the web ticket".into(),
        reply: "Reply 481-220 here to link that number.".into(),
    })
}

#[test]
fn a_bare_code_is_acknowledged_not_answered_and_a_claim_is_told_after_the_answer() {
    let mut w = world();
    w.verification = vec![
        note(VerificationOutcome::CodeSent),
        note(VerificationOutcome::Verified),
    ];
    let mut sim = Sim::new(w);
    first_message(
        &mut sim,
        "My number is +1 415 555 0100, how do I reset my password?",
    );
    let trace = sim.trace();
    let bot = trace.iter().position(|t| t == "send:bot").unwrap();
    let told = trace.iter().position(|t| t == "send:holding").unwrap();
    assert!(
        bot < told,
        "the answer first, then the code notice: {trace:?}"
    );
    assert!(trace.contains(&"event:identity_claimed".to_owned()));
    let before = sim.calls.len();
    let m = message("m2", Channel::Web, "481-220", sim.now);
    sim.signal(Event::CustomerMessage(m));
    assert_eq!(
        sim.trace()[before..],
        ["record_inbound", "event:identity_verified", "send:holding"]
    );
    assert_eq!(sim.ticket.state.view.bot_replies, 1);
}

#[test]
fn a_failed_hand_over_records_it_then_opens_the_ticket_itself() {
    let mut w = world();
    w.open_ticket = vec![true];
    w.hand_over_ok = vec![false];
    let mut sim = Sim::new(w);
    first_message(&mut sim, "my email is ana@example.com");
    let tail: Vec<_> = sim.trace().into_iter().skip(4).take(4).collect();
    assert_eq!(
        tail,
        [
            "mark_merged",
            "hand_over:ticket-email-2",
            "event:merge_failed",
            "event:opened"
        ]
    );
    assert!(!sim.ticket.is_closed());
}
