//! The ticket's phases and the transitions between them, as data: the
//! README's state diagram is generated from this table (a test keeps the
//! two equal), and the property tests check that every phase change the
//! machine makes is one listed here.

use crate::lifecycle::Phase;

/// Every transition the machine makes: from, to, and what causes it.
pub const TRANSITIONS: &[(Phase, Phase, &str)] = &[
    (Phase::Bot, Phase::AwaitingCustomer, "bot replied"),
    (
        Phase::Bot,
        Phase::Escalated,
        "must escalate, no answer, late, draft or delivery failed",
    ),
    (Phase::Bot, Phase::Human, "agent assigns or replies"),
    (Phase::Bot, Phase::Resolved, "agent resolves"),
    (
        Phase::Bot,
        Phase::Closed,
        "merged into the customer's open ticket",
    ),
    (Phase::AwaitingCustomer, Phase::Bot, "customer writes"),
    (
        Phase::AwaitingCustomer,
        Phase::Resolved,
        "quiet window passes, or agent resolves",
    ),
    (
        Phase::AwaitingCustomer,
        Phase::Human,
        "agent assigns or replies",
    ),
    (
        Phase::Escalated,
        Phase::Human,
        "agent assigns or replies (acknowledged)",
    ),
    (Phase::Escalated, Phase::Bot, "agent returns it to the bot"),
    (Phase::Escalated, Phase::Resolved, "agent resolves"),
    (Phase::Human, Phase::Bot, "agent returns it to the bot"),
    (Phase::Human, Phase::Resolved, "agent resolves"),
    (
        Phase::Resolved,
        Phase::Bot,
        "customer asks something new (reopen)",
    ),
    (
        Phase::Resolved,
        Phase::Closed,
        "customer rates, or the CSAT window passes",
    ),
];

/// Whether the machine may go from `from` to `to` in one step.
pub fn allowed(from: Phase, to: Phase) -> bool {
    from == to || TRANSITIONS.iter().any(|(f, t, _)| *f == from && *t == to)
}

fn name(phase: Phase) -> &'static str {
    match phase {
        Phase::Bot => "Bot",
        Phase::AwaitingCustomer => "AwaitingCustomer",
        Phase::Escalated => "Escalated",
        Phase::Human => "Human",
        Phase::Resolved => "Resolved",
        Phase::Closed => "Closed",
    }
}

/// The Mermaid state diagram of [`TRANSITIONS`], as the README shows it.
pub fn mermaid() -> String {
    let mut out =
        String::from("```mermaid\nstateDiagram-v2\n    [*] --> Bot: first customer message\n");
    for (from, to, why) in TRANSITIONS {
        out.push_str(&format!("    {} --> {}: {why}\n", name(*from), name(*to)));
    }
    out.push_str("    Closed --> [*]\n```\n");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_readme_shows_the_machine_s_own_diagram() {
        let readme = include_str!("../../../README.md");
        let diagram = super::mermaid();
        assert!(
            readme.contains(&diagram),
            "README.md's state diagram differs from the code; paste this:\n{diagram}"
        );
    }
}
