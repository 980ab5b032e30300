//! Names for what the Temporal UI lists as anonymous steps: the deadline a
//! timer waits for ("human acknowledgement — tier 1, 15 min") and what an
//! activity does for this ticket ("search KB: 'reset email never
//! arrives'"). Ops read the SLA clock in the Timeline as these names.

use super::words::short_name;
use super::words::{channel_name, shorten, span};
use crate::machine::Call;
use crate::ticket_state::TicketView;
use crate::{Channel, InboundMessage, ticket_io::NoticeKind};

/// The deadlines a ticket keeps, by what they are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineKind {
    FirstResponse(Option<Channel>),
    AckWarning(u32),
    Ack(u32),
    ResolutionWarning(u32),
    Resolution(u32),
    QuietWindow,
    RatingWindow,
    WhatsappWindow,
}

impl DeadlineKind {
    /// `first response — WhatsApp`, `human acknowledgement — tier 1`, …
    pub fn label(self) -> String {
        let tier = |t: u32| t.max(1);
        match self {
            Self::FirstResponse(Some(c)) => format!("first response — {}", channel_name(c)),
            Self::FirstResponse(None) => "first response".into(),
            Self::AckWarning(t) => format!("acknowledgement warning — tier {}", tier(t)),
            Self::Ack(t) => format!("human acknowledgement — tier {}", tier(t)),
            Self::ResolutionWarning(t) => format!("resolution warning — tier {}", tier(t)),
            Self::Resolution(t) => format!("resolution — tier {}", tier(t)),
            Self::QuietWindow => "quiet window before resolution".into(),
            Self::RatingWindow => "rating window before closing".into(),
            Self::WhatsappWindow => "WhatsApp 24 h window".into(),
        }
    }
}

/// Every deadline the ticket keeps, soonest first (on a tie, in the order
/// above: the SLA before the windows).
pub fn named_deadlines(view: &TicketView) -> Vec<(DeadlineKind, i64)> {
    let d = &view.deadlines;
    let mut named: Vec<(DeadlineKind, i64)> = [
        (
            DeadlineKind::FirstResponse(view.channel),
            d.first_response_unix_ms,
        ),
        (DeadlineKind::AckWarning(view.tier), d.ack_warning_unix_ms),
        (DeadlineKind::Ack(view.tier), d.ack_unix_ms),
        (
            DeadlineKind::ResolutionWarning(view.tier),
            d.resolution_warning_unix_ms,
        ),
        (DeadlineKind::Resolution(view.tier), d.resolution_unix_ms),
        (DeadlineKind::QuietWindow, d.quiet_until_unix_ms),
        (DeadlineKind::RatingWindow, d.csat_until_unix_ms),
        (DeadlineKind::WhatsappWindow, d.whatsapp_window_unix_ms),
    ]
    .into_iter()
    .filter_map(|(kind, at)| at.map(|at| (kind, at)))
    .collect();
    named.sort_by_key(|(_, at)| *at);
    named
}

/// The summary of a timer that sleeps from `now` until `at`: the deadline
/// due then and the timer's length, e.g. `first response — WhatsApp, 2 min`.
pub fn timer_summary(view: &TicketView, at: i64, now: i64) -> String {
    let name = named_deadlines(view)
        .into_iter()
        .find(|(_, due)| *due == at)
        .map_or_else(|| "deadline".to_owned(), |(kind, _)| kind.label());
    format!("{name}, {}", span(at - now))
}

/// The workflow's static summary, set when intake starts the ticket (the
/// number is assigned later, by the first activity, and shows in the card
/// and the `TicketId` column): `WhatsApp · Grace O. · 'charged twice…'`.
pub fn start_summary(first: &InboundMessage) -> String {
    let name = short_name(&first.sender_name);
    let who = if name.is_empty() {
        "customer".to_owned()
    } else {
        name
    };
    let opening = if first.subject.trim().is_empty() {
        &first.body
    } else {
        &first.subject
    };
    format!(
        "{} · {who} · '{}'",
        channel_name(first.channel),
        shorten(opening, 48)
    )
}

/// What an activity does for this ticket, in one line for the history.
pub fn activity_summary(call: &Call) -> String {
    let quoted = |text: &str| format!("'{}'", shorten(text, 60));
    match call {
        Call::LoadPolicy => "load the SLA and drafting policy".into(),
        Call::RecordInbound(i) => format!(
            "record {} message: {}",
            channel_name(i.channel),
            quoted(&i.message.body)
        ),
        Call::FindOpenTicket(_) => "look for this customer's open ticket".into(),
        Call::MarkMerged(i) => format!("mark the message merged into {}", i.into_ticket_id),
        Call::Triage(i) => format!("triage: {}", quoted(&i.body)),
        Call::SearchKb(i) => format!("search KB: {}", quoted(&i.query)),
        Call::Draft(i) => format!(
            "draft a reply from {} passage(s) (offline responder)",
            i.kb.passages.len()
        ),
        Call::Llm(i) => format!("ask the LLM (turn {})", i.turns.len()),
        Call::CheckReply(i) => format!(
            "check the reply before sending on {}",
            channel_name(i.channel)
        ),
        Call::Send(i) => format!(
            "send {} reply via {}",
            i.kind.as_str(),
            channel_name(i.channel)
        ),
        Call::Escalate(i) => format!(
            "escalate to humans, tier {}: {}",
            i.tier.max(1),
            i.reason.as_str()
        ),
        Call::Notify(i) => format!("notify tier {}: {}", i.tier.max(1), notice(i.kind)),
        Call::RecordEvent(i) => format!("record event: {}", i.event),
        Call::RecordReceipt(i) => format!("record delivery receipt: {}", shorten(&i.status, 20)),
        Call::Redeliver(_) => "re-send a failed reply (WhatsApp template or email)".into(),
    }
}

fn notice(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::Warning => "SLA warning",
        NoticeKind::Breach => "SLA breached",
        NoticeKind::CustomerMessage => "the customer wrote",
        NoticeKind::SendUncertain => "a send could not be confirmed",
        NoticeKind::DeliveryFailed => "a reply was not delivered",
        NoticeKind::UnverifiedLink => "an unverified claim joined the ticket",
    }
}

#[cfg(test)]
mod tests;
