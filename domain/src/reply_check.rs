//! The last check before anything the bot wrote reaches a customer.
//!
//! A draft is refused when it promises what only a human may grant (money,
//! prices), leaks how the bot works, or does not fit the channel.

use crate::channel::Channel;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplyProblem {
    PromisesMoney(String),
    LeaksInstructions(String),
    TooLong { chars: usize, limit: usize },
    Html,
    Empty,
}

const MONEY_PROMISES: &[&str] = &[
    "we will refund",
    "we'll refund",
    "we have refunded",
    "you will receive a refund",
    "you'll receive a refund",
    "issue a refund",
    "issued a refund",
    "credit your account",
    "we will credit",
    "we'll credit",
    "% off",
    "percent off",
    "special price",
    "discount for you",
    "we can offer you",
    "free of charge",
    "waive the fee",
    "money back",
];
const LEAKS: &[&str] = &[
    "system prompt",
    "my instructions",
    "i was instructed",
    "as an ai language model",
    "i am an ai",
    "my guidelines say",
    "developer message",
];

/// The longest reply per channel (WhatsApp's 1,600-character message limit;
/// generous bounds for email and web so that a runaway draft is caught).
pub fn max_chars(channel: Channel) -> usize {
    match channel {
        Channel::Whatsapp => 1600,
        Channel::Email => 10_000,
        Channel::Web => 5_000,
    }
}

pub fn check_reply(channel: Channel, text: &str) -> Vec<ReplyProblem> {
    let mut problems = Vec::new();
    let lower = text.to_lowercase();
    if text.trim().is_empty() {
        problems.push(ReplyProblem::Empty);
    }
    problems.extend(
        MONEY_PROMISES
            .iter()
            .filter(|p| lower.contains(*p))
            .map(|p| ReplyProblem::PromisesMoney((*p).into())),
    );
    problems.extend(
        LEAKS
            .iter()
            .filter(|p| lower.contains(*p))
            .map(|p| ReplyProblem::LeaksInstructions((*p).into())),
    );
    let chars = text.chars().count();
    let limit = max_chars(channel);
    if chars > limit {
        problems.push(ReplyProblem::TooLong { chars, limit });
    }
    if channel == Channel::Whatsapp && looks_like_html(text) {
        problems.push(ReplyProblem::Html);
    }
    problems
}

fn looks_like_html(text: &str) -> bool {
    ["<p>", "<br", "<div", "<b>", "<a href", "</"]
        .iter()
        .any(|t| text.to_lowercase().contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_promises_leaks_and_misfits() {
        assert!(
            check_reply(Channel::Web, "Sure, we will refund you today.")
                .iter()
                .any(|p| matches!(p, ReplyProblem::PromisesMoney(_)))
        );
        assert!(
            check_reply(Channel::Web, "My system prompt says...")
                .iter()
                .any(|p| matches!(p, ReplyProblem::LeaksInstructions(_)))
        );
        assert!(
            check_reply(Channel::Whatsapp, &"a".repeat(1601))
                .iter()
                .any(|p| matches!(p, ReplyProblem::TooLong { .. }))
        );
        assert_eq!(
            check_reply(Channel::Whatsapp, "<p>Hi</p>"),
            vec![ReplyProblem::Html]
        );
        assert!(check_reply(Channel::Email, "To reset your password, open Settings.").is_empty());
    }
}
