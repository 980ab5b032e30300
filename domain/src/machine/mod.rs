//! The ticket as one pure state machine: an [`Event`] in, [`Effect`]s out.
//!
//! Everything a ticket does is decided here, without Temporal: the workflow
//! only carries effects out (runs an activity, asks whether a patch is in
//! force, signals another ticket, upserts search attributes) and feeds each
//! result back as [`Event::Done`]. Property tests drive the machine with
//! random events and outcomes (`domain/tests/machine_*.rs`).
//!
//! A ticket's work is a sequence of steps (record, triage, search, draft,
//! check, send, record the event…) where each step may wait for the outside
//! world. The machine keeps that sequence as an *agenda* of tasks run in
//! order, like a call stack: a task that expands into sub-steps puts them at
//! the front. When a task needs an answer it emits one [`Await`] and parks
//! a continuation; the answer resumes it. So one `handle` call
//! returns fire-and-forget effects followed by at most one `Await`.
//!
//! - `io`: events, effects, awaited requests and their outcomes.
//! - `messages`: a customer message (record, route, reopen); `merge`: one
//!   customer, one conversation.
//! - `drafting`: the bot's answer: triage, retrieval, offline or LLM draft,
//!   the reply check.
//! - `desk`: escalation, human actions, resolution, CSAT, closing.
//! - `deadlines`: SLA deadlines coming due.
//! - `outbound`: sends, notices, ticket events; `receipts`: delivery receipts.
//! - [`diagram`]: the phases and transitions, as the README draws them.
//! - `llm`: the LLM drafting path (rounds, tool calls as activities);
//!   `tools`: reading tool arguments, showing search results to the model.
//! - `steps`: the agenda's tasks and their dispatch; `resume`: where each
//!   awaited answer continues.

mod deadlines;
mod desk;
pub mod diagram;
mod drafting;
mod io;
mod llm;
mod merge;
mod messages;
mod outbound;
mod receipts;
mod resume;
mod steps;
mod tools;

use crate::InboundMessage;
use crate::lifecycle::{HumanAction, Phase, TransitionError};
use crate::ticket_io::*;
use crate::ticket_state::TicketState;
pub use io::{Await, Call, Effect, Event, Outcome, SearchAttributes};
use std::collections::VecDeque;
use steps::{Resume, Step, Task};
pub use tools::tool_argument;

/// Patch markers: a change of the command sequence is only taken by runs
/// that started with the code that has it (replay of older histories).
pub mod patches {
    /// The WhatsApp 24-hour window as a durable timer.
    pub const WHATSAPP_WINDOW_TIMER: &str = "whatsapp-window-timer";
    /// A new conversation of a customer with an open ticket joins it.
    pub const CROSS_CHANNEL_MERGE: &str = "cross-channel-merge";
    /// An `acknowledged` ticket event when a human first takes the ticket.
    pub const RECORD_ACKNOWLEDGEMENT: &str = "record-acknowledgement";
    /// A reply that cannot be delivered escalates (`delivery_failed`).
    pub const ESCALATE_UNDELIVERABLE: &str = "escalate-undeliverable";
    /// A human action before the ticket's first message is refused.
    pub const REFUSE_BEFORE_FIRST_MESSAGE: &str = "refuse-before-first-message";
    /// Receipts are recorded on the send ledger by the ticket (an activity),
    /// and `canceled` counts as a failure like `failed` and `undelivered`.
    pub const RECEIPTS_ON_LEDGER: &str = "receipts-on-ledger";
    /// A failed receipt on a closed ticket re-sends nothing.
    pub const CLOSED_TICKET_SENDS_NOTHING: &str = "closed-ticket-sends-nothing";
    /// An LLM reply that rests on no retrieved passage is not sent.
    pub const LLM_REPLY_NEEDS_SOURCE: &str = "llm-reply-needs-source";
    /// The quick steps (policy, triage, draft, reply check) run as local
    /// activities in the worker: a marker in history instead of a task
    /// round trip through the server. Not a decision of the machine's:
    /// only how `workflows` carries out the same requests.
    pub const LOCAL_QUICK_STEPS: &str = "local-quick-steps";
}

/// A ticket: its carried state plus the work in progress of this run.
#[derive(Debug, Clone, Default)]
pub struct Ticket {
    pub state: TicketState,
    agenda: VecDeque<Task>,
    awaiting: Option<Resume>,
}

/// One `handle` call: the ticket, the time of the event, the effects so far.
pub(crate) struct Run<'a> {
    pub(crate) t: &'a mut TicketState,
    pub(crate) now: i64,
    agenda: &'a mut VecDeque<Task>,
    effects: Vec<Effect>,
}

impl Ticket {
    /// A ticket carried over from a previous run (continue-as-new).
    pub fn new(state: TicketState) -> Self {
        Self {
            state,
            ..Self::default()
        }
    }

    /// Whether queued work waits for the run loop (a message, an action…).
    pub fn has_work(&self) -> bool {
        self.state.has_work()
    }

    /// The next instant the machine wants to be woken at, if any.
    pub fn next_deadline(&self) -> Option<i64> {
        self.state.view.deadlines.earliest()
    }

    pub fn is_closed(&self) -> bool {
        self.state.view.phase == Phase::Closed
    }

    /// Mid-work (an answer awaited or tasks queued): not a point to
    /// continue-as-new at.
    pub fn is_busy(&self) -> bool {
        self.awaiting.is_some() || !self.agenda.is_empty()
    }

    /// Would `action` be accepted now? (The update validators' check: the
    /// same rule the machine applies when it runs the action.)
    pub fn check_action(&self, action: &HumanAction) -> Result<(), TransitionError> {
        self.state.check_action(action).map(|_| ())
    }

    /// Handles one event at workflow time `now` (Unix ms).
    pub fn handle(&mut self, event: Event, now: i64) -> Vec<Effect> {
        let mut run = Run {
            t: &mut self.state,
            now,
            agenda: &mut self.agenda,
            effects: Vec::new(),
        };
        match event {
            Event::Started {
                workflow_id,
                new_key,
            } => {
                run.t.workflow_id = workflow_id;
                if run.t.ticket_key.is_empty() {
                    run.t.ticket_key = new_key.unwrap_or_default();
                }
                if run.t.policy.is_none() {
                    run.then([Task::LoadPolicy]);
                }
            }
            Event::CustomerMessage(m) => {
                if run.t.seen.insert(m.provider_message_id.clone()) {
                    run.t.pending.push_back(m);
                }
            }
            Event::Human(action) => {
                run.t.actions_received += 1;
                run.t.actions.push_back(action);
            }
            Event::Feedback(f) => run.t.feedback = Some(f),
            Event::DeliveryReceipt(r) => run.t.receipts.push_back(r),
            Event::Malformed { signal, reason } => {
                run.t
                    .refusals
                    .push_back(format!("{signal} refused: {reason}"));
            }
            Event::Wake => run.then([
                Task::DrainRefusals,
                Task::DrainActions,
                Task::TakeFeedback,
                Task::DrainMessages,
                Task::DrainReceipts,
                Task::FireDeadlines,
            ]),
            Event::Done(outcome) => {
                // An answer nobody waits for cannot come from a correct
                // interpreter: ignored rather than guessed at.
                if let Some(resume) = self.awaiting.take()
                    && let Step::Wait(next) = run.resume(resume, outcome)
                {
                    self.awaiting = Some(next);
                }
            }
        }
        // Signals that arrive while an answer is awaited only queue.
        if self.awaiting.is_none() {
            self.awaiting = run.work();
        }
        run.effects
    }
}

impl Run<'_> {
    /// Puts tasks at the front of the agenda, in order (a call: they run
    /// before whatever the caller queued after itself).
    pub(crate) fn then<const N: usize>(&mut self, tasks: [Task; N]) {
        for task in tasks.into_iter().rev() {
            self.agenda.push_front(task);
        }
    }

    /// Runs the agenda until a task awaits an answer or nothing is left.
    fn work(&mut self) -> Option<Resume> {
        while let Some(task) = self.agenda.pop_front() {
            if let Step::Wait(resume) = self.run_task(task) {
                return Some(resume);
            }
        }
        None
    }

    /// Emits an awaited activity; the answer resumes `resume`.
    pub(crate) fn call(&mut self, call: Call, resume: Resume) -> Step {
        self.raced(call, None, resume)
    }

    /// Emits an activity raced against `deadline`.
    pub(crate) fn raced(&mut self, call: Call, race: Option<i64>, resume: Resume) -> Step {
        self.effects
            .push(Effect::Await(Await::Activity { call, race }));
        Step::Wait(resume)
    }

    /// Asks whether a patch is in force.
    pub(crate) fn patched(&mut self, patch: &'static str, resume: Resume) -> Step {
        self.effects.push(Effect::Await(Await::Patched(patch)));
        Step::Wait(resume)
    }

    pub(crate) fn hand_over(
        &mut self,
        workflow_id: String,
        message: InboundMessage,
        resume: Resume,
    ) -> Step {
        self.effects.push(Effect::Await(Await::HandOver {
            workflow_id,
            message,
        }));
        Step::Wait(resume)
    }

    /// Search attributes from the current view.
    pub(crate) fn publish(&mut self) {
        let v = &self.t.view;
        let d = &v.deadlines;
        let sla_deadline_unix_ms = match v.phase {
            Phase::Escalated => d.ack_unix_ms,
            Phase::Human => d.resolution_unix_ms,
            Phase::Bot => d.first_response_unix_ms,
            _ => None,
        };
        self.effects
            .push(Effect::PublishSearchAttributes(SearchAttributes {
                status: v.status.as_str(),
                phase: v.phase.as_str(),
                sla_breached: v.sla_breached,
                sla_deadline_unix_ms,
                escalation_reason: v.escalation_reason,
                ticket_id: v.ticket_id.clone(),
                channel: v.channel,
                customer_id: v.customer_id.clone(),
                owner: v.owner.clone(),
            }));
    }

    pub(crate) fn policy(&self) -> TicketPolicy {
        self.t.policy.clone().unwrap_or_default()
    }

    pub(crate) fn channel(&self) -> crate::Channel {
        self.t.view.channel.unwrap_or(crate::Channel::Web)
    }

    pub(crate) fn ticket_id(&self) -> String {
        self.t.view.ticket_id.clone().unwrap_or_default()
    }
}
