//! The human side: escalation with its holding message and ack deadline,
//! human actions (checked by [`crate::lifecycle::apply`]), resolution with
//! the CSAT request, the rating, closing.

use super::resume::Resume;
use super::steps::{Step, Task};
use super::{Call, Outcome, Run, patches};
use crate::EscalationReason;
use crate::lifecycle::{self, HumanAction, Phase, TransitionError};
use crate::replies::{csat_request, holding_message};
use crate::ticket_io::*;
use crate::ticket_state::Feedback;

/// When to warn before `due`: `fraction` of the way there.
pub(super) fn warning_at(now: i64, due: i64, fraction: f64) -> Option<i64> {
    (fraction > 0.0 && fraction < 1.0).then(|| now + ((due - now) as f64 * fraction) as i64)
}

impl Run<'_> {
    /// Hands the ticket to humans: record + notify, holding message, SLA timer.
    pub(super) fn escalate(&mut self, reason: EscalationReason, summary: String) -> Step {
        let sla = self.policy().sla;
        let now = self.now;
        let ack_due = sla.deadline_ms(self.channel(), now, sla.ack_secs);
        let s = &mut *self.t;
        s.set_phase(Phase::Escalated);
        s.view.escalation_reason = Some(reason);
        s.view.tier = 1;
        s.view.sla_breached |= reason == EscalationReason::SlaFirstResponse;
        // Only the ack clock (and WhatsApp's window) runs while escalated:
        // a deadline no phase handles would wake the ticket forever.
        let d = &mut s.view.deadlines;
        *d = crate::ticket_state::Deadlines {
            whatsapp_window_unix_ms: d.whatsapp_window_unix_ms,
            ..Default::default()
        };
        d.ack_unix_ms = Some(ack_due);
        d.ack_warning_unix_ms = warning_at(now, ack_due, sla.warning_fraction);
        let input = EscalateInput {
            ticket_key: s.ticket_key.clone(),
            ticket_id: s.view.ticket_id.clone().unwrap_or_default(),
            channel: s.view.channel.unwrap_or(crate::Channel::Web),
            reason,
            tier: 1,
            ack_due_unix_ms: ack_due,
            summary,
        };
        let holding = holding_message(&input.ticket_id, ack_due);
        let escalated = Task::RecordEvent {
            event: "escalated",
            detail: reason.as_str().into(),
        };
        if reason == EscalationReason::DeliveryFailed {
            // The channel just refused a reply: a holding message on it
            // would be refused too (new in this version: no patch needed).
            self.then([Task::PublishSearchAttributes, escalated]);
        } else {
            self.then([
                Task::PublishSearchAttributes,
                Task::notice(holding),
                escalated,
            ]);
        }
        self.call(Call::Escalate(input), Resume::EscalationNotified)
    }

    /// Applies a human action if it fits the ticket's phase; records a
    /// refusal otherwise (and changes nothing else).
    pub(super) fn human_action(&mut self, action: HumanAction) -> Step {
        self.t.actions_handled += 1;
        let v = &self.t.view;
        let by_phase = lifecycle::apply(v.phase, v.owner.as_deref(), &action);
        if by_phase.is_ok() && v.ticket_id.is_none() {
            // Only the missing first message refuses it: new behaviour,
            // so runs recorded before take the old path.
            return self.patched(
                patches::REFUSE_BEFORE_FIRST_MESSAGE,
                Resume::EarlyAction(action),
            );
        }
        self.apply_action(action, by_phase)
    }

    pub(super) fn early_action(&mut self, action: HumanAction, outcome: Outcome) -> Step {
        let v = &self.t.view;
        let decided = match outcome {
            Outcome::Patched(true) => Err(TransitionError::NotStarted),
            _ => lifecycle::apply(v.phase, v.owner.as_deref(), &action),
        };
        self.apply_action(action, decided)
    }

    fn apply_action(
        &mut self,
        action: HumanAction,
        decided: Result<(Phase, Option<String>), TransitionError>,
    ) -> Step {
        let phase = self.t.view.phase;
        let (next, next_owner) = match decided {
            Ok(next) => next,
            Err(err) => {
                let line = format!("{} by {} refused: {err}", action.name(), action.agent());
                self.t.last_refused_action = Some((self.t.actions_handled, line.clone()));
                return self.refuse(line);
            }
        };
        let sla = self.policy().sla;
        let now = self.now;
        let channel = self.channel();
        let s = &mut *self.t;
        s.view.human_touched = true;
        s.view.owner = next_owner;
        if next == Phase::Human && phase != Phase::Human {
            let due = sla.deadline_ms(channel, now, sla.resolution_secs);
            let d = &mut s.view.deadlines;
            d.ack_unix_ms = None;
            d.ack_warning_unix_ms = None;
            d.first_response_unix_ms = None;
            d.quiet_until_unix_ms = None;
            d.resolution_unix_ms = Some(due);
            d.resolution_warning_unix_ms = warning_at(now, due, sla.warning_fraction);
        }
        if next == Phase::Bot {
            s.view.deadlines = Default::default();
            s.view.escalation_reason = None;
        }
        s.set_phase(next);
        if phase == Phase::Escalated && next == Phase::Human {
            let resume = Resume::AckPatch { action, next };
            return self.patched(patches::RECORD_ACKNOWLEDGEMENT, resume);
        }
        self.action_tail(action, next)
    }

    /// A refused action or signal: shown on the ticket and in its events.
    pub(super) fn refuse(&mut self, line: String) -> Step {
        self.t.view.rejected_actions.push(line.clone());
        self.then_done([Task::RecordEvent {
            event: "action_refused",
            detail: line,
        }])
    }

    pub(super) fn drain_refusals(&mut self) -> Step {
        match self.t.refusals.pop_front() {
            Some(line) => {
                self.then([Task::DrainRefusals]);
                self.refuse(line)
            }
            None => Step::Done,
        }
    }

    pub(super) fn action_tail(&mut self, action: HumanAction, next: Phase) -> Step {
        match action {
            HumanAction::AgentReply { agent, text } => self.then_done([Task::Send {
                kind: ReplyKind::Agent,
                author: agent.clone(),
                text,
                on_sent: Some(Box::new(Task::AfterAgentReply { agent })),
            }]),
            HumanAction::Resolve { agent, note } => self.then_done([Task::Resolve {
                autonomous: false,
                detail: format!("{agent}: {note}"),
            }]),
            HumanAction::Assign { agent } | HumanAction::ReturnToBot { agent } => {
                self.publish();
                let event = if next == Phase::Bot {
                    "returned_to_bot"
                } else {
                    "assigned"
                };
                self.then_done([Task::RecordEvent {
                    event,
                    detail: agent,
                }])
            }
        }
    }

    pub(super) fn after_agent_reply(&mut self, agent: String) -> Step {
        self.t.view.agent_replies += 1;
        self.publish();
        self.then_done([Task::RecordEvent {
            event: "agent_replied",
            detail: agent,
        }])
    }

    /// Resolved: ask for CSAT on the channel and wait for it (or a reopen).
    pub(super) fn resolve(&mut self, autonomous: bool, detail: String) -> Step {
        let sla = self.policy().sla;
        let now = self.now;
        let s = &mut *self.t;
        s.set_phase(Phase::Resolved);
        s.view.resolved_autonomously = Some(autonomous && !s.view.human_touched);
        s.view.deadlines = Default::default();
        s.view.deadlines.csat_until_unix_ms = Some(now + sla.csat_window_secs as i64 * 1000);
        let text = csat_request(&self.ticket_id());
        self.publish();
        self.then_done([
            Task::RecordEvent {
                event: "resolved",
                detail,
            },
            Task::Send {
                kind: ReplyKind::CsatRequest,
                author: "steward".into(),
                text,
                on_sent: None,
            },
        ])
    }

    pub(super) fn feedback(&mut self, feedback: Feedback) -> Step {
        if self.t.view.phase != Phase::Resolved || !(1..=5).contains(&feedback.score) {
            let line = format!(
                "feedback {} refused: ticket not awaiting CSAT or score not 1-5",
                feedback.score
            );
            return self.refuse(line);
        }
        self.t.view.csat = Some(feedback);
        self.then_done([
            Task::RecordEvent {
                event: "csat_recorded",
                detail: String::new(),
            },
            Task::Close,
        ])
    }

    pub(super) fn close(&mut self) -> Step {
        self.t.set_phase(Phase::Closed);
        self.t.view.deadlines = Default::default();
        self.publish();
        self.then_done([Task::RecordEvent {
            event: "closed",
            detail: String::new(),
        }])
    }

    /// A notice or escalation the human queue refused is recorded, never fatal.
    pub(super) fn notify_failed(&mut self, outcome: Outcome, detail: &str) -> Step {
        if outcome == Outcome::Ok {
            return Step::Done;
        }
        self.then_done([Task::RecordEvent {
            event: "notify_failed",
            detail: detail.into(),
        }])
    }
}
