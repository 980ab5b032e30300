//! The last check before anything the bot wrote reaches a customer.
//!
//! A draft is refused when it promises what only a human may grant (money,
//! prices), leaks how the bot works, is machine text rather than a reply
//! (JSON, a tool call a model wrote as text), or does not fit the channel.

use crate::channel::Channel;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplyProblem {
    PromisesMoney(String),
    LeaksInstructions(String),
    TooLong {
        chars: usize,
        limit: usize,
    },
    Html,
    Empty,
    /// JSON or tool-call markup: what a model meant for us, not the customer.
    NotProse(String),
}

/// How a reply promises money or a price only a human may grant: the
/// commitments themselves, whatever the customer asked.
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
/// How a model talks about its own instructions: never part of an answer.
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
    if let Some(why) = machine_text(text) {
        problems.push(ReplyProblem::NotProse(why.into()));
    }
    if channel == Channel::Whatsapp && looks_like_html(text) {
        problems.push(ReplyProblem::Html);
    }
    problems
}

/// Why `text` is machine output rather than a reply, if it is: a JSON
/// object or array (bare or fenced), tool-call markup or chat-template
/// tokens, or a `"name"`/`"arguments"` pair (a tool call's fields).
fn machine_text(text: &str) -> Option<&'static str> {
    let trimmed = text.trim();
    let unfenced = trimmed
        .strip_prefix("```")
        .map(|rest| rest.trim_start_matches(|c: char| c.is_alphanumeric()))
        .map(|rest| rest.trim_end().trim_end_matches("```").trim())
        .unwrap_or(trimmed);
    let lower = trimmed.to_lowercase();
    if (unfenced.starts_with('{') && unfenced.ends_with('}'))
        || (unfenced.starts_with('[') && unfenced.ends_with(']'))
    {
        Some("the draft is JSON")
    } else if lower.contains("<tool_call") || lower.contains("</tool_call") || lower.contains("<|")
    {
        Some("the draft holds tool-call markup")
    } else if lower.contains("\"arguments\"") && lower.contains("\"name\"") {
        Some("the draft holds a tool call")
    } else {
        None
    }
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

    #[test]
    fn refuses_json_and_tool_calls_as_replies() {
        let refused = |text: &str| {
            check_reply(Channel::Web, text)
                .iter()
                .any(|p| matches!(p, ReplyProblem::NotProse(_)))
        };
        assert!(refused(
            r#"{"name": "search_kb", "arguments": {"query": "sso"}}"#
        ));
        assert!(refused("```json\n{\"reason\": \"refund\"}\n```"));
        assert!(refused(
            "<tool_call>\n{\"name\": \"escalate\"}\n</tool_call>"
        ));
        assert!(refused(
            "Sure! {\"name\": \"search_kb\", \"arguments\": {}}"
        ));
        assert!(!refused(
            "Open Settings > Integrations {beta} and click Connect."
        ));
        assert!(!refused(
            "Hi Ana,\n\nSend the header `X-Api-Key`.\n\nSource: \"API keys\""
        ));
    }
}
