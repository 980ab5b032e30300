//! What a claim's customer and the claimed channel are told. Claims of a
//! ticket number are worded the same whether the ticket exists, has a
//! contact or the send failed: the reply never tells a stranger anything
//! about someone else's ticket.

use super::codes::{CODE_TTL_SECS, MAX_ATTEMPTS};
use steward_domain::Channel;
use steward_domain::ticket_io::{VerificationNote, VerificationOutcome};

/// `+1555•••0101`, `j•••@gmail.com`: enough for the customer to recognise
/// what they typed, not enough to read someone's number off a screen (the
/// desk card masks contacts the same way).
pub(super) fn masked(kind: &str, value: &str) -> String {
    match kind {
        "phone" | "email" => steward_domain::desk_view::mask_contact(value),
        _ => value.to_owned(),
    }
}

fn what(kind: &str) -> &'static str {
    match kind {
        "phone" => "phone number",
        "email" => "email address",
        _ => "ticket",
    }
}

fn minutes() -> i64 {
    CODE_TTL_SECS / 60
}

/// The message sent over the claimed channel: names no claimant.
pub(super) fn code_message(kind: &str, conversation: Channel, code: &str) -> String {
    let place = match conversation {
        Channel::Web => "on our web support form",
        Channel::Whatsapp => "in that WhatsApp chat",
        Channel::Email => "in that email conversation",
    };
    format!(
        "Steward support: someone asked to link this {} to their support conversation. \
         If that was you, reply {code} {place} within {} minutes to link it. \
         If it wasn't you, ignore this message: nothing has been shared.",
        what(kind),
        minutes()
    )
}

fn ticket_like(kind: &str) -> bool {
    matches!(kind, "ticket" | "reference")
}

/// A code went out (or, for a ticket number, is said to have).
pub(super) fn code_sent(kind: &str, value: &str, detail: String) -> VerificationNote {
    let claimed = masked(kind, value);
    let reply = if ticket_like(kind) {
        format!(
            "If {claimed} is yours, we've sent a one-time code to the contact on that ticket. \
             Reply here with it within {} minutes to link the two conversations.",
            minutes()
        )
    } else {
        format!(
            "To link {claimed} to this conversation we've sent a one-time code to it. \
             Reply here with that code within {} minutes; until then we treat it as unconfirmed.",
            minutes()
        )
    };
    let outcome = VerificationOutcome::CodeSent;
    VerificationNote {
        outcome,
        claimed,
        detail,
        reply,
    }
}

/// No code went out for a phone or email (sends used up, send failed).
pub(super) fn not_sent(kind: &str, value: &str, detail: String) -> VerificationNote {
    if ticket_like(kind) {
        return code_sent(kind, value, detail);
    }
    let claimed = masked(kind, value);
    let reply = format!(
        "We couldn't send a code to {claimed} just now, so it stays unconfirmed; \
         a person from our team will check it."
    );
    let outcome = VerificationOutcome::NotSent;
    VerificationNote {
        outcome,
        claimed,
        detail,
        reply,
    }
}

pub(super) fn verified(kind: &str, value: &str, detail: String) -> VerificationNote {
    let claimed = masked(kind, value);
    let reply =
        format!("Thanks, that code is right: {claimed} is now linked to this conversation.");
    let outcome = VerificationOutcome::Verified;
    VerificationNote {
        outcome,
        claimed,
        detail,
        reply,
    }
}

pub(super) fn code_wrong(attempts_left: i32, detail: String) -> VerificationNote {
    let reply = if attempts_left > 0 {
        format!("That code doesn't match. You can try {attempts_left} more time(s).")
    } else {
        format!(
            "That code didn't match {MAX_ATTEMPTS} times, so we can't link it automatically; \
             a person from our team will look at it."
        )
    };
    let outcome = VerificationOutcome::CodeWrong;
    VerificationNote {
        outcome,
        claimed: String::new(),
        detail,
        reply,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_without_cutting_characters() {
        assert_eq!(masked("phone", "+15550100101"), "+1555•••0101");
        assert_eq!(masked("email", "émile@exemple.fr"), "é•••@exemple.fr");
        assert_eq!(masked("ticket", "TKT-000042"), "TKT-000042");
    }

    #[test]
    fn a_ticket_claim_reads_the_same_sent_or_not() {
        let sent = code_sent("ticket", "TKT-000042", "sent".into());
        let unsent = not_sent("ticket", "TKT-000042", "no such ticket".into());
        assert_eq!(sent.reply, unsent.reply);
        assert_eq!(sent.outcome, unsent.outcome);
    }
}
