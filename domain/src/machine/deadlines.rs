//! SLA deadlines coming due: first response, acknowledgement and
//! resolution (warning, breach, next tier), the quiet window, the CSAT
//! window, and WhatsApp's 24-hour window.

use super::desk::warning_at;
use super::resume::Resume;
use super::steps::{Step, Task};
use super::{Call, Run};
use crate::EscalationReason;
use crate::lifecycle::Phase;
use crate::ticket_io::*;
use crate::ticket_state::Deadlines;

impl Run<'_> {
    /// Acts on every deadline that has passed (as of the wake-up).
    pub(super) fn fire_deadlines(&mut self) -> Step {
        let now = self.now;
        let phase = self.t.view.phase;
        let deadlines = self.t.view.deadlines.clone();
        let tier = self.t.view.tier;
        let ticket_id = self.ticket_id();
        let window_due = deadlines.whatsapp_window_unix_ms.is_some_and(|t| t <= now);
        let then = Task::PhaseDeadlines {
            phase,
            deadlines,
            tier,
            ticket_id: ticket_id.clone(),
            now,
        };
        if window_due {
            return self.then_done([
                Task::WindowClosed {
                    phase,
                    tier,
                    ticket_id,
                },
                then,
            ]);
        }
        self.then_done([then])
    }

    /// WhatsApp's 24-hour window passed: recorded, and a human who owns the
    /// ticket is told that their next reply goes out as the approved
    /// template (or by email), not as free text.
    pub(super) fn window_closed(&mut self, phase: Phase, tier: u32, ticket_id: String) -> Step {
        self.t.view.deadlines.whatsapp_window_unix_ms = None;
        let record = Task::RecordEvent {
            event: "whatsapp_window_closed",
            detail: String::new(),
        };
        if matches!(phase, Phase::Escalated | Phase::Human) {
            let notice = NoticeInput {
                ticket_id,
                kind: NoticeKind::Warning,
                tier: tier.max(1),
                text: "The customer's WhatsApp 24-hour window has closed: the next reply goes out as the approved template, or by email.".into(),
            };
            return self.then_done([record, Task::Notify(notice)]);
        }
        self.then_done([record])
    }

    /// The deadlines of the phase the ticket was in when it woke.
    pub(super) fn phase_deadlines(
        &mut self,
        phase: Phase,
        d: Deadlines,
        tier: u32,
        ticket_id: String,
        now: i64,
    ) -> Step {
        let due = |at: Option<i64>| at.is_some_and(|t| t <= now);
        match phase {
            Phase::Bot if due(d.first_response_unix_ms) => self.then_done([Task::Escalate {
                reason: EscalationReason::SlaFirstResponse,
                summary: "no reply before the first-response deadline".into(),
            }]),
            Phase::Escalated | Phase::Human => {
                let escalated = phase == Phase::Escalated;
                let (warning, deadline) = if escalated {
                    (d.ack_warning_unix_ms, d.ack_unix_ms)
                } else {
                    (d.resolution_warning_unix_ms, d.resolution_unix_ms)
                };
                if due(deadline) {
                    self.breach(phase, tier, ticket_id, now)
                } else if due(warning) {
                    let deadlines = &mut self.t.view.deadlines;
                    if escalated {
                        deadlines.ack_warning_unix_ms = None;
                    } else {
                        deadlines.resolution_warning_unix_ms = None;
                    }
                    let notice = NoticeInput {
                        ticket_id,
                        kind: NoticeKind::Warning,
                        tier: tier.max(1),
                        text: format!(
                            "SLA deadline approaching at {}",
                            deadline.unwrap_or_default()
                        ),
                    };
                    self.then_done([Task::Notify(notice)])
                } else {
                    Step::Done
                }
            }
            Phase::AwaitingCustomer if due(d.quiet_until_unix_ms) => {
                self.then_done([Task::Resolve {
                    autonomous: true,
                    detail: "no reply from the customer within the quiet window".into(),
                }])
            }
            Phase::Resolved if due(d.csat_until_unix_ms) => self.then_done([Task::Close]),
            _ => Step::Done,
        }
    }

    /// A missed ack or resolution deadline: recorded as a breach, the next
    /// tier is told, and the next deadline starts now.
    fn breach(&mut self, phase: Phase, tier: u32, ticket_id: String, now: i64) -> Step {
        let sla = self.policy().sla;
        let escalated = phase == Phase::Escalated;
        let secs = if escalated {
            sla.ack_secs
        } else {
            sla.resolution_secs
        };
        let next = sla.deadline_ms(self.channel(), now, secs);
        let s = &mut *self.t;
        s.view.sla_breached = true;
        s.view.tier = tier + 1;
        let d = &mut s.view.deadlines;
        let (at, warn) = if escalated {
            (&mut d.ack_unix_ms, &mut d.ack_warning_unix_ms)
        } else {
            (&mut d.resolution_unix_ms, &mut d.resolution_warning_unix_ms)
        };
        *at = Some(next);
        *warn = warning_at(now, next, sla.warning_fraction);
        let input = EscalateInput {
            ticket_key: s.ticket_key.clone(),
            ticket_id,
            channel: s.view.channel.unwrap_or(crate::Channel::Web),
            reason: s
                .view
                .escalation_reason
                .unwrap_or(EscalationReason::HumanRequested),
            tier: tier + 1,
            ack_due_unix_ms: next,
            summary: format!("SLA breached in phase {phase:?}; now tier {}", tier + 1),
        };
        self.then([
            Task::PublishSearchAttributes,
            Task::RecordEvent {
                event: "sla_breached",
                detail: if escalated { "ack" } else { "resolution" }.into(),
            },
        ]);
        self.call(Call::Escalate(input), Resume::EscalationNotified)
    }
}
