//! A customer message: recorded first, then (on a new conversation of a
//! customer who already has an open ticket) handed to that ticket, else
//! routed by phase: to the bot, to the human who owns the ticket, as CSAT
//! feedback, or as a reopen.

use super::resume::Resume;
use super::steps::{Step, Task};
use super::{Call, Outcome, Run, patches};
use crate::lifecycle::Phase;
use crate::replies::parse_csat;
use crate::ticket_io::*;
use crate::ticket_state::Feedback;
use crate::{Channel, EscalationReason, InboundMessage};

impl Run<'_> {
    pub(super) fn customer_message(&mut self, message: InboundMessage) -> Step {
        if let Some(target) = self.t.merged_into_workflow.clone() {
            return self.hand_over(target, message.clone(), Resume::Forwarded(message));
        }
        let input = RecordInboundInput {
            ticket_key: self.t.ticket_key.clone(),
            workflow_id: self.t.workflow_id.clone(),
            channel: message.channel,
            message: message.clone(),
        };
        self.call(Call::RecordInbound(input), Resume::Recorded(message))
    }

    pub(super) fn recorded(&mut self, message: InboundMessage, outcome: Outcome) -> Step {
        let recorded = match outcome {
            Outcome::Recorded(r) => r,
            // Not recorded (a permanent failure): the ticket still answers,
            // and a human looks at why the CRM refused it.
            other => return self.not_recorded(message, other),
        };
        if message.channel == Channel::Whatsapp {
            let resume = Resume::WindowPatch { message, recorded };
            return self.patched(patches::WHATSAPP_WINDOW_TIMER, resume);
        }
        self.apply_recorded(message, recorded, false)
    }

    /// The CRM refused the message for good (retries are unlimited, so only
    /// a non-retryable error gets here): kept in the transcript, and a
    /// person looks at it. Only a bot-held ticket with a row escalates;
    /// otherwise the owner (or the queue) is told.
    fn not_recorded(&mut self, message: InboundMessage, outcome: Outcome) -> Step {
        let reason = format!("a customer message could not be recorded: {outcome:?}");
        self.t.push_transcript(self.now, "customer", &message.body);
        let has_row = self.t.view.ticket_id.is_some();
        match self.t.view.phase {
            Phase::Bot | Phase::AwaitingCustomer if has_row => self.then_done([Task::Escalate {
                reason: EscalationReason::BotFailure,
                summary: reason,
            }]),
            Phase::Closed => Step::Done,
            _ => self.then_done([Task::Notify(NoticeInput {
                ticket_id: self.ticket_id(),
                kind: NoticeKind::CustomerMessage,
                tier: self.t.view.tier.max(1),
                text: format!("{reason}\n\n{}", message.body),
            })]),
        }
    }

    /// The recorded message updates the ticket: who, where replies go, the
    /// WhatsApp window, the transcript.
    pub(super) fn apply_recorded(
        &mut self,
        message: InboundMessage,
        recorded: RecordedInbound,
        window_timer: bool,
    ) -> Step {
        let now = self.now;
        let s = &mut *self.t;
        let first_contact = s.view.ticket_id.is_none();
        s.view.ticket_id = Some(recorded.ticket_id.clone());
        s.view.customer_id = Some(recorded.customer_id.clone());
        s.view.channel.get_or_insert(message.channel);
        // Replies follow the customer to the channel they last wrote on.
        let switched = s.reply_channel.is_some_and(|c| c != message.channel);
        s.reply_channel = Some(message.channel);
        if s.recipient.is_empty() || switched {
            s.recipient = if message.reply_address.is_empty() {
                message.sender.value.clone()
            } else {
                message.reply_address.clone()
            };
            s.customer_name = message.sender_name.clone();
            s.view.customer_name = message.sender_name.clone();
        }
        s.correlation_id = message.correlation_id.clone();
        if recorded.inserted {
            s.view.messages_recorded += 1;
        }
        s.view.last_provider_message_id = Some(message.provider_message_id.clone());
        if s.subject.is_empty() {
            s.subject = message.subject.clone();
        }
        if s.conversation_key.is_empty() {
            s.conversation_key = message.conversation_key.clone();
        }
        if message.channel == Channel::Whatsapp {
            let window_secs = s.policy.as_ref().map_or(86_400, |p| p.whatsapp_window_secs);
            s.view.whatsapp_window_closes_unix_ms = Some(now + window_secs as i64 * 1000);
            if window_timer {
                s.view.deadlines.whatsapp_window_unix_ms = s.view.whatsapp_window_closes_unix_ms;
            }
        }
        s.push_transcript(now, "customer", &message.body);
        if let Some(note) = recorded.verification.clone() {
            let bare_code = matches!(
                note.outcome,
                VerificationOutcome::Verified | VerificationOutcome::CodeWrong
            );
            if bare_code && !first_contact {
                // The message was a one-time code, not a question: it is
                // acknowledged, never triaged, searched or answered.
                return self.verification_reply(note);
            }
            // A code went out (or could not) for a claim this message made:
            // the customer is told after the answer to the message itself.
            self.then([Task::notice(note.reply)]);
            self.then([Task::RecordEvent {
                event: "identity_claimed",
                detail: note.detail,
            }]);
        }
        if first_contact {
            let resume = Resume::MergePatch {
                message,
                customer_id: recorded.customer_id,
                at: now,
            };
            return self.patched(patches::CROSS_CHANNEL_MERGE, resume);
        }
        self.then_done([Task::AfterMergeCheck {
            message,
            first_contact,
            at: now,
        }])
    }

    /// A claim's code came back (right or wrong): recorded for humans, and
    /// the customer gets the note meant for them; their detail never.
    fn verification_reply(&mut self, note: VerificationNote) -> Step {
        let event = if note.outcome == VerificationOutcome::Verified {
            "identity_verified"
        } else {
            "verification_code_wrong"
        };
        self.then_done([
            Task::RecordEvent {
                event,
                detail: note.detail,
            },
            Task::notice(note.reply),
        ])
    }

    /// After the merge check: a new ticket opens (its first response due
    /// from `now`, when the message was recorded), then the message is routed.
    pub(super) fn after_merge_check(
        &mut self,
        message: InboundMessage,
        first_contact: bool,
        now: i64,
    ) -> Step {
        if !first_contact {
            return self.route(message);
        }
        let policy = self.policy();
        let due = policy.sla.deadline_ms(
            message.channel,
            message.received_at_unix_ms.min(now).max(now - 60_000),
            policy.sla.first_response_secs(message.channel),
        );
        self.t.set_phase(Phase::Bot);
        self.t.view.deadlines.first_response_unix_ms = Some(due);
        self.publish();
        self.then_done([
            Task::RecordEvent {
                event: "opened",
                detail: String::new(),
            },
            Task::Route(message),
        ])
    }

    /// Who answers: the bot, the human owner, or nobody (closed).
    pub(super) fn route(&mut self, message: InboundMessage) -> Step {
        match self.t.view.phase {
            Phase::Escalated | Phase::Human => {
                // A human owns it: the bot stays silent, the owner is told.
                let notice = NoticeInput {
                    ticket_id: self.ticket_id(),
                    kind: NoticeKind::CustomerMessage,
                    tier: self.t.view.tier.max(1),
                    text: message.body.clone(),
                };
                self.then_done([Task::Notify(notice)])
            }
            Phase::Resolved => match parse_csat(&message.body) {
                Some((score, comment)) => {
                    self.then_done([Task::Feedback(Feedback { score, comment })])
                }
                None => {
                    // A new question inside the CSAT window reopens the
                    // ticket, for the bot: whoever resolved it no longer
                    // owns it (a stale owner would let the bot talk on a
                    // ticket that names a human as its owner).
                    self.t.set_phase(Phase::Bot);
                    self.t.view.owner = None;
                    self.t.view.deadlines.csat_until_unix_ms = None;
                    self.t.view.resolved_autonomously = None;
                    self.then_done([
                        Task::RecordEvent {
                            event: "reopened",
                            detail: String::new(),
                        },
                        Task::BotAnswer(message),
                    ])
                }
            },
            Phase::Closed => Step::Done,
            Phase::Bot | Phase::AwaitingCustomer => {
                self.t.set_phase(Phase::Bot);
                self.t.view.deadlines.quiet_until_unix_ms = None;
                self.then_done([Task::BotAnswer(message)])
            }
        }
    }
}
