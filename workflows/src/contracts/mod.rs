//! Activity contracts: what a workflow may ask the outside world to do.
//!
//! Each contract is a unit struct implementing the SDK's `ActivityDefinition`
//! by hand, so workflow code names the activity and its types without linking
//! the implementation. Implementations bind to a contract with
//! `#[activity(definition = ...)]`, which makes the compiler check that the
//! input and output types match and that the registered name is this one.

use steward_domain::guardrails::Triage;
use steward_domain::reply_check::ReplyProblem;
use temporalio_workflow::common::ActivityDefinition;

macro_rules! activity_contract {
    ($(#[$doc:meta])* $name:ident, $activity:literal, $input:ty => $output:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl $name {
            /// The activity type name registered with Temporal.
            pub const NAME: &'static str = $activity;
        }

        impl ActivityDefinition for $name {
            type Input = $input;
            type Output = $output;

            fn name(&self) -> &str {
                Self::NAME
            }
        }
    };
}

pub use steward_domain::ticket_io::*;

activity_contract!(
    /// The ticket policy in force now (SLA durations, drafting mode).
    LoadPolicy, "load_policy", () => TicketPolicy
);
activity_contract!(
    /// Records an inbound customer message: the customer and identity, the
    /// ticket row on first contact, and the message row, idempotently.
    RecordInbound, "record_inbound", RecordInboundInput => RecordedInbound
);
activity_contract!(
    /// Kills a claim's code when its watch's timer fires (unless it was
    /// echoed or replaced first) and says what became of it.
    ExpireClaimCode, "expire_claim_code", ClaimCodeWatch => ClaimCodeFate
);
activity_contract!(
    /// `steward bench`'s baseline activity: answers its input, no I/O.
    BenchEcho, "bench_echo", u32 => u32
);
activity_contract!(
    /// Guardrails: answer or escalate, with reason and confidence.
    TriageMessage, "triage_message", TriageInput => Triage
);
activity_contract!(
    /// Knowledge-base retrieval with a calibrated confidence.
    SearchKb, "search_kb", KbQuery => KbResults
);
activity_contract!(
    /// The offline, retrieval-grounded responder.
    DraftReply, "draft_reply", DraftInput => Draft
);
activity_contract!(
    /// One chat-completion round of the LLM path (tools run as activities).
    LlmComplete, "llm_complete", LlmInput => LlmOutput
);
activity_contract!(
    /// The reply check: money promises, leaks, channel fit.
    CheckReply, "check_reply", CheckReplyInput => Vec<ReplyProblem>
);
activity_contract!(
    /// Sends a reply on the ticket's channel through the send ledger.
    SendReply, "send_reply", SendInput => SendOutcome
);
activity_contract!(
    /// Records an escalation and notifies the human queue of its tier.
    Escalate, "escalate", EscalateInput => ()
);
activity_contract!(
    /// Tells the human queue something about a ticket.
    NotifyHumans, "notify_humans", NoticeInput => ()
);
activity_contract!(
    /// Updates the ticket row and appends an audit event.
    RecordTicketEvent, "record_ticket_event", TicketEvent => ()
);

mod channels;
pub use channels::*;

/// Every contract name, for the test that the worker registers each one.
pub const ALL_ACTIVITY_NAMES: &[&str] = &[
    LoadPolicy::NAME,
    RecordInbound::NAME,
    TriageMessage::NAME,
    SearchKb::NAME,
    DraftReply::NAME,
    LlmComplete::NAME,
    CheckReply::NAME,
    SendReply::NAME,
    Escalate::NAME,
    NotifyHumans::NAME,
    RecordTicketEvent::NAME,
    RedeliverFailed::NAME,
    RecordDeliveryReceipt::NAME,
    SyncMailbox::NAME,
    RenewMailboxWatch::NAME,
    FindOpenTicket::NAME,
    MarkMerged::NAME,
];
