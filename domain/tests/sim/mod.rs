//! A scripted outside world for the ticket state machine: it answers every
//! request the machine awaits, from a script of choices, and records every
//! effect, so tests can drive a ticket without Temporal.

#![allow(dead_code, unreachable_pub)]

use steward_domain::guardrails::Triage;
use steward_domain::identity::{Identity, IdentityKind};
use steward_domain::machine::{Await, Call, Effect, Event, Outcome, Ticket};
use steward_domain::ticket_io::*;
use steward_domain::{Channel, EscalationReason, InboundMessage};

/// How the outside world answers; each field is consulted in turn.
#[derive(Debug, Clone, Default)]
pub struct World {
    /// Triage: `Some(reason)` escalates.
    pub triage: Vec<Option<EscalationReason>>,
    /// The responder: `true` drafts a reply, `false` declines.
    pub draft: Vec<bool>,
    pub send: Vec<SendAnswer>,
    /// The reply check finds a problem.
    pub check_fails: Vec<bool>,
    /// A drafting step loses its race against the deadline.
    pub late: Vec<bool>,
    /// An open ticket of the same customer exists.
    pub open_ticket: Vec<bool>,
    pub hand_over_ok: Vec<bool>,
    /// What `record_inbound` says of an identity claim, message by message.
    pub verification: Vec<Option<VerificationNote>>,
    /// Every patch in force (a run that started on the current code).
    pub patched: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendAnswer {
    Sent,
    Uncertain,
    Undeliverable,
    Failed,
}

fn next<T: Clone>(list: &mut Vec<T>, default: T) -> T {
    if list.is_empty() {
        default
    } else {
        list.remove(0)
    }
}

/// A ticket, the world around it and everything it did.
pub struct Sim {
    pub ticket: Ticket,
    pub world: World,
    pub now: i64,
    /// Every request the machine awaited, in order.
    pub calls: Vec<Await>,
    /// Search-attribute upserts.
    pub published: usize,
}

impl Sim {
    pub fn new(world: World) -> Self {
        let mut sim = Self {
            ticket: Ticket::default(),
            world,
            now: 1_700_000_000_000,
            calls: Vec::new(),
            published: 0,
        };
        sim.feed(Event::Started {
            workflow_id: "ticket-web-1".into(),
            new_key: Some("key-1".into()),
        });
        sim
    }

    /// Feeds an event and answers awaited requests until the machine rests;
    /// `check` sees the ticket and the effects after every `handle`.
    pub fn feed_checked(&mut self, event: Event, check: &mut dyn FnMut(&Ticket, &[Effect])) {
        let mut effects = self.ticket.handle(event, self.now);
        loop {
            check(&self.ticket, &effects);
            let mut awaited = None;
            for e in effects {
                match e {
                    Effect::PublishSearchAttributes(_) => self.published += 1,
                    Effect::Await(a) => awaited = Some(a),
                }
            }
            let Some(request) = awaited else { return };
            self.calls.push(request.clone());
            // Activities take a little workflow time.
            self.now += 10;
            let outcome = self.answer(request);
            effects = self.ticket.handle(Event::Done(outcome), self.now);
        }
    }

    pub fn feed(&mut self, event: Event) {
        self.feed_checked(event, &mut |_, _| {});
    }

    /// A signal, then the wake-up that handles it.
    pub fn signal(&mut self, event: Event) {
        self.feed(event);
        self.feed(Event::Wake);
    }

    /// Lets time pass, waking at each deadline on the way.
    pub fn advance(&mut self, ms: i64) {
        self.advance_checked(ms, &mut |_, _| {});
    }

    /// [`Sim::advance`], with `check` seeing every step.
    pub fn advance_checked(&mut self, ms: i64, check: &mut dyn FnMut(&Ticket, &[Effect])) {
        let until = self.now + ms;
        while let Some(at) = self.ticket.next_deadline().filter(|at| *at <= until) {
            self.now = self.now.max(at);
            self.feed_checked(Event::Wake, check);
            if self.ticket.next_deadline() == Some(at) {
                break;
            }
        }
        self.now = until;
        self.feed_checked(Event::Wake, check);
    }

    fn answer(&mut self, request: Await) -> Outcome {
        let w = &mut self.world;
        match request {
            Await::Patched(_) => Outcome::Patched(w.patched),
            Await::HandOver { .. } => Outcome::HandedOver(next(&mut w.hand_over_ok, true)),
            Await::Activity { call, race } => {
                if race.is_some() && next(&mut w.late, false) {
                    return Outcome::Late;
                }
                match call {
                    Call::LoadPolicy => Outcome::Policy(TicketPolicy::default()),
                    Call::RecordInbound(i) => Outcome::Recorded(RecordedInbound {
                        ticket_id: "TKT-000001".into(),
                        customer_id: "c-1".into(),
                        inserted: !i.message.provider_message_id.is_empty(),
                        verification: next(&mut w.verification, None),
                    }),
                    Call::FindOpenTicket(_) => {
                        Outcome::OpenTicket(next(&mut w.open_ticket, false).then(|| OpenTicket {
                            workflow_id: "ticket-email-2".into(),
                            ticket_id: "TKT-000002".into(),
                            linked_by_this_message: None,
                        }))
                    }
                    Call::Triage(_) => Outcome::Triaged(Triage {
                        escalate: next(&mut w.triage, None),
                        confidence: 0.9,
                        evidence: vec![],
                        prompt_injection: false,
                        model_version: None,
                    }),
                    Call::SearchKb(_) => Outcome::Kb(KbResults {
                        passages: vec![Passage {
                            article_slug: "reset-password".into(),
                            title: "Reset".into(),
                            heading: "Steps".into(),
                            content: "Click reset.".into(),
                            score: 0.9,
                        }],
                        confidence: 0.9,
                        top_articles: vec!["reset-password".into()],
                        ..Default::default()
                    }),
                    Call::Draft(_) => Outcome::Drafted(if next(&mut w.draft, true) {
                        Draft {
                            text: Some("Click reset.".into()),
                            cited_articles: vec!["reset-password".into()],
                            decline_reason: None,
                        }
                    } else {
                        Draft {
                            text: None,
                            cited_articles: vec![],
                            decline_reason: Some("low confidence".into()),
                        }
                    }),
                    Call::Llm(_) => Outcome::Failed("no model here".into()),
                    Call::CheckReply(_) => Outcome::Checked(if next(&mut w.check_fails, false) {
                        vec![steward_domain::reply_check::ReplyProblem::Empty]
                    } else {
                        vec![]
                    }),
                    Call::Send(i) => match next(&mut w.send, SendAnswer::Sent) {
                        SendAnswer::Failed => Outcome::Failed("21211 invalid number".into()),
                        answer => Outcome::Sent(SendOutcome {
                            status: match answer {
                                SendAnswer::Uncertain => SendStatus::Uncertain,
                                SendAnswer::Undeliverable => SendStatus::Undeliverable,
                                _ => SendStatus::Sent,
                            },
                            provider_message_id: Some(format!("SM{}", i.idempotency_key)),
                            via: None,
                            note: String::new(),
                            early_receipts: vec![],
                            reconciled: false,
                        }),
                    },
                    Call::Redeliver(_) => Outcome::Redelivered(RedeliveryOutcome {
                        via: None,
                        provider_message_id: None,
                    }),
                    Call::RecordReceipt(_)
                    | Call::MarkMerged(_)
                    | Call::Escalate(_)
                    | Call::Notify(_)
                    | Call::RecordEvent(_) => Outcome::Ok,
                }
            }
        }
    }

    /// The activities and requests so far, by name, for table tests.
    pub fn trace(&self) -> Vec<String> {
        self.calls.iter().map(describe).collect()
    }

    pub fn sends(&self) -> Vec<SendInput> {
        self.calls
            .iter()
            .filter_map(|c| match c {
                Await::Activity {
                    call: Call::Send(i),
                    ..
                } => Some(i.clone()),
                _ => None,
            })
            .collect()
    }
}

/// A short name of a request: `send:bot`, `event:opened`, `patched:…`.
pub fn describe(request: &Await) -> String {
    match request {
        Await::Patched(p) => format!("patched:{p}"),
        Await::HandOver { workflow_id, .. } => format!("hand_over:{workflow_id}"),
        Await::Activity { call, .. } => match call {
            Call::LoadPolicy => "load_policy".into(),
            Call::RecordInbound(_) => "record_inbound".into(),
            Call::FindOpenTicket(_) => "find_open_ticket".into(),
            Call::MarkMerged(_) => "mark_merged".into(),
            Call::Triage(_) => "triage".into(),
            Call::SearchKb(_) => "search_kb".into(),
            Call::Draft(_) => "draft".into(),
            Call::Llm(_) => "llm".into(),
            Call::CheckReply(_) => "check_reply".into(),
            Call::Send(i) => format!("send:{}", i.kind.as_str()),
            Call::Escalate(i) => format!("escalate:{}:{}", i.reason.as_str(), i.tier),
            Call::Notify(i) => format!("notify:{:?}", i.kind),
            Call::RecordEvent(i) => format!("event:{}", i.event),
            Call::Redeliver(_) => "redeliver".into(),
            Call::RecordReceipt(_) => "record_receipt".into(),
        },
    }
}

/// A customer message with provider id `id`.
pub fn message(id: &str, channel: Channel, body: &str, at: i64) -> InboundMessage {
    let sender = match channel {
        Channel::Whatsapp => Identity {
            kind: IdentityKind::Phone,
            value: "+14155550100".into(),
        },
        _ => Identity {
            kind: IdentityKind::Email,
            value: "ana@example.com".into(),
        },
    };
    InboundMessage {
        envelope_id: format!("env-{id}"),
        correlation_id: format!("corr-{id}"),
        channel,
        provider_message_id: id.into(),
        conversation_key: "conv-1".into(),
        sender,
        sender_name: "Ana".into(),
        subject: String::new(),
        body: body.into(),
        received_at_unix_ms: at,
        media: vec![],
        recipient: "support@example.com".into(),
        reply_address: String::new(),
    }
}
