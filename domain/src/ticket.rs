//! Ticket status and the mapping from a conversation to its workflow id.

use crate::channel::Channel;
use serde::{Deserialize, Serialize};

/// Where a ticket is in its lifecycle. The string form is the value of the
/// `TicketStatus` search attribute that ops query in the Temporal Web UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Created, first message not yet recorded.
    #[default]
    New,
    Open,
    Escalated,
    /// A human agent owns the ticket.
    Human,
    Resolved,
    Closed,
}

impl TicketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::New => "new",
            TicketStatus::Open => "open",
            TicketStatus::Escalated => "escalated",
            TicketStatus::Human => "human",
            TicketStatus::Resolved => "resolved",
            TicketStatus::Closed => "closed",
        }
    }
}

impl From<crate::lifecycle::Phase> for TicketStatus {
    fn from(phase: crate::lifecycle::Phase) -> Self {
        use crate::lifecycle::Phase;
        match phase {
            Phase::Bot | Phase::AwaitingCustomer => TicketStatus::Open,
            Phase::Escalated => TicketStatus::Escalated,
            Phase::Human => TicketStatus::Human,
            Phase::Resolved => TicketStatus::Resolved,
            Phase::Closed => TicketStatus::Closed,
        }
    }
}

/// The workflow id of the ticket for a conversation. Deterministic, so a
/// follow-up on the same conversation (and a redelivered webhook) reaches the
/// same workflow through signal-with-start instead of opening a new ticket.
pub fn ticket_workflow_id(channel: Channel, conversation_key: &str) -> String {
    format!("ticket-{}-{}", channel.as_str(), conversation_key)
}

/// The customer-facing ticket number (`TKT-000042`) for a database sequence value.
pub fn ticket_number(sequence: i64) -> String {
    crate::TicketNumber::new(sequence.max(0) as u64).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_id_is_stable_per_conversation_and_channel() {
        let a = ticket_workflow_id(Channel::Whatsapp, "+14155550100");
        assert_eq!(a, "ticket-whatsapp-+14155550100");
        assert_ne!(a, ticket_workflow_id(Channel::Email, "+14155550100"));
    }

    #[test]
    fn ticket_numbers_are_padded() {
        assert_eq!(ticket_number(42), "TKT-000042");
        assert_eq!(ticket_number(1_234_567), "TKT-1234567");
    }
}
