//! The fixed messages Steward sends on its own (holding, CSAT), and reading
//! a CSAT score out of a customer's reply.

use chrono::{DateTime, Utc};

/// Sent when a ticket goes to a person: what happens and by when.
pub fn holding_message(ticket_id: &str, human_due_unix_ms: i64) -> String {
    let due = DateTime::<Utc>::from_timestamp_millis(human_due_unix_ms)
        .map(|d| d.format("%H:%M UTC on %b %-d").to_string())
        .unwrap_or_else(|| "shortly".into());
    format!(
        "Thanks for your message. A member of our support team will take it from here \
         and reply by {due}. Your ticket number is {ticket_id}."
    )
}

pub fn csat_request(ticket_id: &str) -> String {
    format!(
        "Your ticket {ticket_id} is now resolved. How did we do? Reply with a number from \
         1 (poor) to 5 (excellent). If something is still wrong, just reply and we will reopen it."
    )
}

/// A reply that is only a score, like "5", "4/5" or "5 thanks!", is CSAT
/// feedback rather than a new question.
pub fn parse_csat(text: &str) -> Option<(i32, String)> {
    let trimmed = text.trim();
    let mut chars = trimmed.chars();
    let score = chars.next()?.to_digit(10)? as i32;
    if !(1..=5).contains(&score) {
        return None;
    }
    let rest = chars.as_str().trim_start_matches("/5").trim();
    if rest.chars().next().is_some_and(|c| c.is_ascii_digit()) || rest.len() > 200 {
        return None;
    }
    Some((
        score,
        rest.trim_start_matches(['-', ',', '.', '!', ' '])
            .to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_read_and_questions_are_not() {
        assert_eq!(parse_csat("5"), Some((5, String::new())));
        assert_eq!(
            parse_csat(" 4/5 - quick answer"),
            Some((4, "quick answer".into()))
        );
        assert_eq!(parse_csat("12 projects are missing"), None);
        assert_eq!(parse_csat("0"), None);
        assert_eq!(parse_csat("How do I export?"), None);
    }

    #[test]
    fn holding_message_names_the_deadline_and_ticket() {
        let text = holding_message("TKT-000007", 1_700_000_000_000);
        assert!(
            text.contains("TKT-000007") && text.contains("22:13 UTC on Nov 14"),
            "{text}"
        );
    }
}
