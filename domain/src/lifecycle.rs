//! The ticket's state machine: who may act on a ticket, and when.
//!
//! bot → (reply) → awaiting customer → (quiet window) → resolved → closed
//! bot → escalated → human → resolved, or back to bot. Human actions arrive
//! as signals from the Temporal UI; an action that does not fit the current
//! phase is rejected (recorded, not applied), which is what prevents a bot
//! talking over a human and handoff loops.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The bot is handling the ticket.
    #[default]
    Bot,
    /// The bot replied; waiting for the customer (quiet window running).
    AwaitingCustomer,
    /// Waiting for a human to pick it up (acknowledgement SLA running).
    Escalated,
    /// A human owns it; the bot stays silent.
    Human,
    /// Resolved; waiting for CSAT or a reopen within the window.
    Resolved,
    Closed,
}

impl Phase {
    /// The serialized name (`awaiting_customer`), also the `TicketPhase`
    /// search attribute's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bot => "bot",
            Self::AwaitingCustomer => "awaiting_customer",
            Self::Escalated => "escalated",
            Self::Human => "human",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
        }
    }
}

/// What a human agent can do, as typed (JSON) in the Temporal UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HumanAction {
    Assign { agent: String },
    AgentReply { agent: String, text: String },
    Resolve { agent: String, note: String },
    ReturnToBot { agent: String },
}

impl HumanAction {
    pub fn agent(&self) -> &str {
        match self {
            Self::Assign { agent }
            | Self::AgentReply { agent, .. }
            | Self::Resolve { agent, .. }
            | Self::ReturnToBot { agent } => agent,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Assign { .. } => "assign",
            Self::AgentReply { .. } => "agent_reply",
            Self::Resolve { .. } => "resolve",
            Self::ReturnToBot { .. } => "return_to_bot",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum TransitionError {
    #[error("the ticket is {0:?}; {1} is not possible")]
    WrongPhase(Phase, &'static str),
    #[error("the ticket is owned by {owner}; {agent} must be assigned first")]
    OwnedByAnother { owner: String, agent: String },
    #[error("agent name is empty")]
    NoAgent,
    #[error("reply text is empty")]
    EmptyReply,
    #[error("the ticket has no customer message yet")]
    NotStarted,
}

/// The phase and owner after `action`, or why it is refused.
pub fn apply(
    phase: Phase,
    owner: Option<&str>,
    action: &HumanAction,
) -> Result<(Phase, Option<String>), TransitionError> {
    let agent = action.agent().trim();
    if agent.is_empty() {
        return Err(TransitionError::NoAgent);
    }
    if matches!(phase, Phase::Closed) {
        return Err(TransitionError::WrongPhase(phase, action.name()));
    }
    let owned_by_other = owner.filter(|o| *o != agent);
    match action {
        HumanAction::Assign { .. } => match phase {
            Phase::Resolved => Err(TransitionError::WrongPhase(phase, "assign")),
            _ => Ok((Phase::Human, Some(agent.to_owned()))),
        },
        HumanAction::AgentReply { text, .. } => {
            if text.trim().is_empty() {
                return Err(TransitionError::EmptyReply);
            }
            if let (Phase::Human, Some(o)) = (phase, owned_by_other) {
                return Err(TransitionError::OwnedByAnother {
                    owner: o.to_owned(),
                    agent: agent.to_owned(),
                });
            }
            match phase {
                Phase::Resolved => Err(TransitionError::WrongPhase(phase, "agent_reply")),
                _ => Ok((Phase::Human, Some(agent.to_owned()))),
            }
        }
        HumanAction::Resolve { .. } => match phase {
            Phase::Resolved => Err(TransitionError::WrongPhase(phase, "resolve")),
            _ => Ok((
                Phase::Resolved,
                owner.map(str::to_owned).or(Some(agent.to_owned())),
            )),
        },
        HumanAction::ReturnToBot { .. } => match phase {
            Phase::Human | Phase::Escalated => Ok((Phase::Bot, None)),
            _ => Err(TransitionError::WrongPhase(phase, "return_to_bot")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phase_name_is_its_serialized_name() {
        use Phase::*;
        for phase in [Bot, AwaitingCustomer, Escalated, Human, Resolved, Closed] {
            let json = serde_json::to_string(&phase).unwrap();
            assert_eq!(json, format!("\"{}\"", phase.as_str()));
        }
    }

    fn reply(agent: &str) -> HumanAction {
        HumanAction::AgentReply {
            agent: agent.into(),
            text: "hello".into(),
        }
    }

    #[test]
    fn escalated_ticket_goes_to_human_on_reply_and_back_to_bot() {
        let (phase, owner) = apply(Phase::Escalated, None, &reply("sam")).unwrap();
        assert_eq!((phase, owner.as_deref()), (Phase::Human, Some("sam")));
        let back = apply(
            phase,
            owner.as_deref(),
            &HumanAction::ReturnToBot {
                agent: "sam".into(),
            },
        );
        assert_eq!(back, Ok((Phase::Bot, None)));
    }

    #[test]
    fn no_talk_over_and_no_handoff_loops() {
        assert!(matches!(
            apply(Phase::Human, Some("sam"), &reply("kim")),
            Err(TransitionError::OwnedByAnother { .. })
        ));
        // Reassignment is explicit, then the new owner may reply.
        let (p, o) = apply(
            Phase::Human,
            Some("sam"),
            &HumanAction::Assign {
                agent: "kim".into(),
            },
        )
        .unwrap();
        assert!(apply(p, o.as_deref(), &reply("kim")).is_ok());
        // Returning a bot ticket to the bot is refused, not looped.
        assert!(
            apply(
                Phase::Bot,
                None,
                &HumanAction::ReturnToBot {
                    agent: "sam".into()
                }
            )
            .is_err()
        );
    }

    #[test]
    fn closed_and_resolved_tickets_refuse_replies() {
        assert!(apply(Phase::Closed, None, &reply("sam")).is_err());
        assert!(apply(Phase::Resolved, Some("sam"), &reply("sam")).is_err());
        let empty = HumanAction::AgentReply {
            agent: "sam".into(),
            text: " ".into(),
        };
        assert_eq!(
            apply(Phase::Human, Some("sam"), &empty),
            Err(TransitionError::EmptyReply)
        );
        let nobody = HumanAction::Assign { agent: "".into() };
        assert_eq!(
            apply(Phase::Escalated, None, &nobody),
            Err(TransitionError::NoAgent)
        );
    }
}
