//! What a ticket does to the outside world besides drafting: replies
//! through the send ledger, notices to the human queue, ticket-row events
//! (API, metrics, audit), and delivery receipts of our replies.

use super::resume::Resume;
use super::steps::{Step, Task};
use super::{Call, Outcome, Run, patches};
use crate::EscalationReason;
use crate::lifecycle::Phase;
use crate::ticket_io::*;

impl Run<'_> {
    /// Sends a reply through the ledger; the transcript gets it when sent.
    pub(super) fn send(
        &mut self,
        kind: ReplyKind,
        author: String,
        text: String,
        on_sent: Option<Box<Task>>,
    ) -> Step {
        let now = self.now;
        let idempotency_key = self.t.next_idempotency_key();
        let s = &*self.t;
        let input = SendInput {
            ticket_key: s.ticket_key.clone(),
            ticket_id: s.view.ticket_id.clone().unwrap_or_default(),
            idempotency_key,
            channel: s
                .reply_channel
                .or(s.view.channel)
                .unwrap_or(crate::Channel::Web),
            recipient: s.recipient.clone(),
            kind,
            author: author.clone(),
            text: text.clone(),
            correlation_id: s.correlation_id.clone(),
            customer_name: s.customer_name.clone(),
            subject: s.subject.clone(),
            conversation_key: s.conversation_key.clone(),
            in_reply_to: s.view.last_provider_message_id.clone().unwrap_or_default(),
            whatsapp_window_open: s
                .view
                .whatsapp_window_closes_unix_ms
                .map(|closes| now < closes),
        };
        let resume = Resume::Sent {
            kind,
            author,
            text,
            at: now,
            on_sent,
        };
        self.call(Call::Send(input), resume)
    }

    pub(super) fn sent(
        &mut self,
        kind: ReplyKind,
        author: String,
        text: String,
        at: i64,
        on_sent: Option<Box<Task>>,
        outcome: Outcome,
    ) -> Step {
        let outcome = match outcome {
            Outcome::Sent(o) => o,
            // Retries exhausted or refused for good: the customer got
            // nothing, so a person must take over (never a dead ticket).
            other => return self.send_failed(kind, format!("{other:?}")),
        };
        let from = match kind {
            ReplyKind::Bot => "bot".to_owned(),
            ReplyKind::Agent => format!("agent:{author}"),
            ReplyKind::Holding | ReplyKind::CsatRequest => "steward".to_owned(),
        };
        self.t.push_transcript(at, &from, &text);
        // Receipts that overtook the send (older workers parked them).
        self.t
            .receipts
            .extend(outcome.early_receipts.iter().cloned());
        let mut tasks = Vec::new();
        if let Some(via) = outcome.via {
            let detail = format!("{} reply sent by {via} {}", kind.as_str(), outcome.note);
            tasks.push(Task::RecordEvent {
                event: "sent_via_fallback",
                detail: detail.trim().to_owned(),
            });
        } else if !outcome.note.is_empty() {
            tasks.push(Task::RecordEvent {
                event: "sent_as_template",
                detail: outcome.note.clone(),
            });
        }
        match outcome.status {
            SendStatus::Undeliverable => {
                tasks.push(Task::RecordEvent {
                    event: "undeliverable",
                    detail: outcome.note.clone(),
                });
                tasks.push(Task::Undeliverable {
                    kind,
                    note: outcome.note,
                    on_sent,
                });
                return self.queue(tasks);
            }
            SendStatus::Uncertain => tasks.push(Task::Notify(NoticeInput {
                ticket_id: self.ticket_id(),
                kind: NoticeKind::SendUncertain,
                tier: 1,
                text: format!(
                    "A {} reply may not have reached the customer; please check.",
                    kind.as_str()
                ),
            })),
            SendStatus::Sent | SendStatus::AlreadySent => {}
        }
        tasks.extend(on_sent.map(|t| *t));
        self.queue(tasks)
    }

    /// Queues tasks to run next, in order.
    fn queue(&mut self, tasks: Vec<Task>) -> Step {
        for task in tasks.into_iter().rev() {
            self.then([task]);
        }
        Step::Done
    }

    /// The send failed for good: recorded; a ticket the bot holds goes to
    /// a person, one a person holds tells them.
    fn send_failed(&mut self, kind: ReplyKind, error: String) -> Step {
        let detail = format!("{} reply: {error}", kind.as_str());
        let record = Task::RecordEvent {
            event: "send_failed",
            detail: detail.clone(),
        };
        if matches!(self.t.view.phase, Phase::Bot | Phase::AwaitingCustomer) {
            return self.then_done([
                record,
                Task::Escalate {
                    reason: EscalationReason::DeliveryFailed,
                    summary: detail,
                },
            ]);
        }
        let notice = self.delivery_notice(kind, &error);
        self.then_done([record, Task::Notify(notice)])
    }

    fn delivery_notice(&self, kind: ReplyKind, why: &str) -> NoticeInput {
        NoticeInput {
            ticket_id: self.ticket_id(),
            kind: NoticeKind::DeliveryFailed,
            tier: 1,
            text: format!(
                "A {} reply could not be sent ({why}); please contact the customer another way.",
                kind.as_str()
            ),
        }
    }

    /// No route to the customer: a ticket the bot holds is escalated
    /// (`delivery_failed`), otherwise the owner is told.
    pub(super) fn undeliverable(
        &mut self,
        kind: ReplyKind,
        note: String,
        on_sent: Option<Box<Task>>,
    ) -> Step {
        if matches!(self.t.view.phase, Phase::Bot | Phase::AwaitingCustomer) {
            let resume = Resume::UndeliverablePatch {
                kind,
                note,
                on_sent,
            };
            return self.patched(patches::ESCALATE_UNDELIVERABLE, resume);
        }
        self.tell_and_go_on(kind, &note, on_sent)
    }

    /// Humans are told the reply did not go out; the caller carries on.
    fn tell_and_go_on(&mut self, kind: ReplyKind, why: &str, on_sent: Option<Box<Task>>) -> Step {
        let notice = self.delivery_notice(kind, why);
        let mut tasks = vec![Task::Notify(notice)];
        tasks.extend(on_sent.map(|t| *t));
        self.queue(tasks)
    }

    pub(super) fn undeliverable_patched(
        &mut self,
        kind: ReplyKind,
        note: String,
        on_sent: Option<Box<Task>>,
        outcome: Outcome,
    ) -> Step {
        if outcome == Outcome::Patched(true) {
            return self.then_done([Task::Escalate {
                reason: EscalationReason::DeliveryFailed,
                summary: format!("a {} reply could not be delivered: {note}", kind.as_str()),
            }]);
        }
        // Runs that started before: told, and the caller carries on.
        self.tell_and_go_on(kind, &note, on_sent)
    }

    /// Tells the human queue; a queue that stays down is recorded, not fatal.
    pub(super) fn notify(&mut self, notice: NoticeInput) -> Step {
        self.call(Call::Notify(notice), Resume::Notified)
    }

    /// Updates the ticket row and appends an audit event (once the ticket
    /// has a row).
    pub(super) fn record_event(&mut self, event: &'static str, detail: String) -> Step {
        let v = &self.t.view;
        if self.t.ticket_key.is_empty() || v.ticket_id.is_none() {
            return Step::Done;
        }
        let input = TicketEvent {
            ticket_key: self.t.ticket_key.clone(),
            event: event.to_owned(),
            status: v.status.as_str().to_owned(),
            owner: v.owner.clone(),
            sla_breached: v.sla_breached,
            first_response_due_unix_ms: v.deadlines.first_response_unix_ms,
            resolution_due_unix_ms: v.deadlines.resolution_unix_ms,
            first_responded: v.bot_replies + v.agent_replies > 0,
            resolved_autonomously: v.resolved_autonomously,
            csat_score: v.csat.as_ref().map(|c| c.score),
            csat_comment: v.csat.as_ref().map(|c| c.comment.clone()),
            prompt_tokens: v.prompt_tokens,
            completion_tokens: v.completion_tokens,
            detail,
        };
        self.call(Call::RecordEvent(input), Resume::EventRecorded)
    }
}
