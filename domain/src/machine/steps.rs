//! The agenda's vocabulary: [`Task`]s that can run now, and [`Resume`]
//! continuations parked until the awaited answer arrives. Dispatch only;
//! the behaviour of each step lives in the module named beside it.

use super::Run;
use super::drafting::Drafted;
use super::llm::Llm;
pub(crate) use super::resume::Resume;
use crate::EscalationReason;
use crate::InboundMessage;
use crate::lifecycle::{HumanAction, Phase};
use crate::ticket_io::*;
use crate::ticket_state::{Deadlines, Feedback};

/// A step of a ticket's work that can run now.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Task {
    LoadPolicy,
    // The run loop's queues, drained in this order on every wake.
    DrainRefusals,
    DrainActions,
    TakeFeedback,
    DrainMessages,
    DrainReceipts,
    FireDeadlines,
    // messages
    CustomerMessage(InboundMessage),
    AfterMergeCheck {
        message: InboundMessage,
        first_contact: bool,
        /// When the message was recorded: the first response is due from then.
        at: i64,
    },
    Route(InboundMessage),
    // drafting
    BotAnswer(InboundMessage),
    Drafted {
        message: InboundMessage,
        drafted: Drafted,
    },
    LlmRound(Box<Llm>),
    AfterBotReply {
        cited: Vec<String>,
    },
    // desk
    Escalate {
        reason: EscalationReason,
        summary: String,
    },
    HumanAction(HumanAction),
    ActionTail {
        action: HumanAction,
        next: Phase,
    },
    AfterAgentReply {
        agent: String,
    },
    Resolve {
        autonomous: bool,
        detail: String,
    },
    Feedback(Feedback),
    Close,
    // deadlines
    WindowClosed {
        phase: Phase,
        tier: u32,
        ticket_id: String,
    },
    PhaseDeadlines {
        phase: Phase,
        deadlines: Deadlines,
        tier: u32,
        ticket_id: String,
        now: i64,
    },
    // outbound
    /// A reply; `on_sent` continues the caller only once it went out.
    Send {
        kind: ReplyKind,
        author: String,
        text: String,
        on_sent: Option<Box<Task>>,
    },
    Undeliverable {
        kind: ReplyKind,
        note: String,
        on_sent: Option<Box<Task>>,
    },
    Notify(NoticeInput),
    RecordEvent {
        event: &'static str,
        detail: String,
    },
    PublishSearchAttributes,
    Receipt(DeliveryStatusInput),
    Redeliver(DeliveryStatusInput),
}

impl Task {
    /// A message from Steward itself (holding, verification notes): sent
    /// as a holding reply, continuing nothing.
    pub(crate) fn notice(text: String) -> Self {
        Task::Send {
            kind: ReplyKind::Holding,
            author: "steward".into(),
            text,
            on_sent: None,
        }
    }
}

/// What running a task did: finished, or parked until an answer.
// Moved once per step and never stored in bulk: boxing would only add an
// allocation.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Step {
    Done,
    Wait(Resume),
}

impl Run<'_> {
    pub(super) fn run_task(&mut self, task: Task) -> Step {
        match task {
            Task::LoadPolicy => self.call(super::Call::LoadPolicy, Resume::PolicyLoaded),
            Task::DrainRefusals => self.drain_refusals(),
            Task::DrainActions => match self.t.actions.pop_front() {
                Some(a) => self.then_done([Task::HumanAction(a), Task::DrainActions]),
                None => Step::Done,
            },
            Task::TakeFeedback => match self.t.feedback.take() {
                Some(f) => self.then_done([Task::Feedback(f)]),
                None => Step::Done,
            },
            Task::DrainMessages => match self.t.pending.pop_front() {
                Some(m) => self.then_done([Task::CustomerMessage(m), Task::DrainMessages]),
                None => Step::Done,
            },
            Task::DrainReceipts => match self.t.receipts.pop_front() {
                Some(r) => self.then_done([Task::Receipt(r), Task::DrainReceipts]),
                None => Step::Done,
            },
            Task::FireDeadlines => self.fire_deadlines(),
            Task::CustomerMessage(m) => self.customer_message(m),
            Task::AfterMergeCheck {
                message,
                first_contact,
                at,
            } => self.after_merge_check(message, first_contact, at),
            Task::Route(m) => self.route(m),
            Task::BotAnswer(m) => self.bot_answer(m),
            Task::Drafted { message, drafted } => self.drafted(message, drafted),
            Task::LlmRound(llm) => self.llm_round(*llm),
            Task::AfterBotReply { cited } => self.after_bot_reply(cited),
            Task::Escalate { reason, summary } => self.escalate(reason, summary),
            Task::HumanAction(a) => self.human_action(a),
            Task::ActionTail { action, next } => self.action_tail(action, next),
            Task::AfterAgentReply { agent } => self.after_agent_reply(agent),
            Task::Resolve { autonomous, detail } => self.resolve(autonomous, detail),
            Task::Feedback(f) => self.feedback(f),
            Task::Close => self.close(),
            Task::WindowClosed {
                phase,
                tier,
                ticket_id,
            } => self.window_closed(phase, tier, ticket_id),
            Task::PhaseDeadlines {
                phase,
                deadlines,
                tier,
                ticket_id,
                now,
            } => self.phase_deadlines(phase, deadlines, tier, ticket_id, now),
            Task::Send {
                kind,
                author,
                text,
                on_sent,
            } => self.send(kind, author, text, on_sent),
            Task::Undeliverable {
                kind,
                note,
                on_sent,
            } => self.undeliverable(kind, note, on_sent),
            Task::Notify(n) => self.notify(n),
            Task::RecordEvent { event, detail } => self.record_event(event, detail),
            Task::PublishSearchAttributes => {
                self.publish();
                Step::Done
            }
            Task::Receipt(r) => self.receipt(r),
            Task::Redeliver(r) => self.redeliver(r),
        }
    }

    /// Queues tasks and reports the current one done.
    pub(crate) fn then_done<const N: usize>(&mut self, tasks: [Task; N]) -> Step {
        self.then(tasks);
        Step::Done
    }
}
