//! The ticket card: what an agent needs on one page (who wrote, what they
//! want, why a human is needed, when the SLA breaches, how to act), as
//! markdown for the workflow's current details in the Temporal UI.

use super::labels::named_deadlines;
use super::words::{channel_name, mask_contact, short_name, shorten, span, utc};
use crate::lifecycle::Phase;
use crate::ticket_state::TicketState;
use std::fmt::Write;

/// The card for `state` as of workflow time `now` (Unix ms). Deadlines are
/// absolute times; what remains is counted from `now` and says so.
pub fn ticket_card(state: &TicketState, now: i64) -> String {
    let v = &state.view;
    let mut card = String::new();
    let number = v.ticket_id.as_deref().unwrap_or("new ticket");
    let channel = v.channel.map_or("channel not known yet", channel_name);
    let name = short_name(&state.customer_name);
    let who = if name.is_empty() {
        "customer"
    } else {
        name.as_str()
    };
    let _ = writeln!(
        card,
        "## {} · {channel} · {}\n",
        escape(number),
        escape(who)
    );
    let _ = writeln!(card, "**Status:** {}", status_line(state));
    let owner = v.owner.as_deref().map_or("unassigned".to_owned(), escape);
    let _ = writeln!(card, "**Owner:** {owner}");
    let contact = if state.recipient.is_empty() {
        "—".to_owned()
    } else {
        escape(&mask_contact(&state.recipient))
    };
    let _ = writeln!(card, "**Customer:** {} · {contact}", escape(who));
    if let Some(reason) = v.escalation_reason {
        let _ = writeln!(card, "**Escalated because:** `{}`", reason.as_str());
    }
    deadlines(&mut card, state, now);
    last_customer_message(&mut card, state);
    if !v.cited_articles.is_empty() {
        let cited: Vec<String> = v
            .cited_articles
            .iter()
            .map(|a| format!("`{}`", escape(a)))
            .collect();
        let _ = writeln!(card, "\n**Cited articles:** {}", cited.join(", "));
    }
    let _ = writeln!(card, "\n**Act:** {}", how_to_act(v.phase));
    card
}

fn status_line(state: &TicketState) -> String {
    let v = &state.view;
    let what = match v.phase {
        Phase::Bot => "the bot is answering",
        Phase::AwaitingCustomer => "waiting for the customer",
        Phase::Escalated => "waiting for a human",
        Phase::Human => "a human owns it",
        Phase::Resolved => "resolved, waiting for a rating",
        Phase::Closed => "closed",
    };
    let breached = if v.sla_breached {
        " · **SLA breached**"
    } else {
        ""
    };
    let tier = if v.tier > 0 {
        format!(" · tier {}", v.tier)
    } else {
        String::new()
    };
    format!("{} — {what}{tier}{breached}", v.status.as_str())
}

fn deadlines(card: &mut String, state: &TicketState, now: i64) {
    let named = named_deadlines(&state.view);
    if named.is_empty() {
        return;
    }
    let _ = writeln!(
        card,
        "\n| Deadline | Due | Left at {} |\n|---|---|---|",
        utc(now)
    );
    for (kind, at) in named {
        let left = if at <= now {
            "due now".to_owned()
        } else {
            span(at - now)
        };
        let _ = writeln!(card, "| {} | {} | {left} |", kind.label(), utc(at));
    }
}

fn last_customer_message(card: &mut String, state: &TicketState) {
    let Some(line) = state.transcript.iter().rev().find(|l| l.from == "customer") else {
        return;
    };
    let _ = writeln!(
        card,
        "\n**Last customer message** ({}):\n\n> {}",
        utc(line.at_unix_ms),
        escape(&shorten(&line.text, 280))
    );
}

/// The Updates that fit the phase, with their inputs as the UI expects.
fn how_to_act(phase: Phase) -> &'static str {
    match phase {
        Phase::Escalated => {
            "Send Update → `assign` with `{\"agent\": \"you\"}`; then `agent_reply` with `{\"agent\": \"you\", \"text\": \"…\"}`."
        }
        Phase::Human => {
            "Send Update → `agent_reply` with `{\"agent\": \"you\", \"text\": \"…\"}`, `resolve` with `{\"agent\": \"you\", \"note\": \"…\"}`, or `return_to_bot` with `{\"agent\": \"you\"}`."
        }
        Phase::Bot | Phase::AwaitingCustomer => {
            "nothing needed; to take over, Send Update → `assign` with `{\"agent\": \"you\"}`."
        }
        Phase::Resolved => "nothing needed: the customer reopens it by writing again.",
        Phase::Closed => "nothing: the ticket is closed.",
    }
}

/// Customer text is shown, never interpreted: markdown and HTML control
/// characters are escaped so a message cannot add links, images or layout.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '<' | '>' | '#' | '!' | '|' | '~'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests;
