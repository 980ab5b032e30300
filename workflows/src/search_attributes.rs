//! Custom search attributes of ticket workflows. They must be registered on
//! the server (`steward dev` passes `--search-attribute` for each of
//! [`REGISTRATION`]), or upserting them fails the workflow task.

use temporalio_workflow::common::search_attributes::{SearchAttributeKey, Timestamp};

pub const TICKET_ID: SearchAttributeKey<String> = SearchAttributeKey::keyword("TicketId");
pub const TICKET_STATUS: SearchAttributeKey<String> = SearchAttributeKey::keyword("TicketStatus");
pub const CHANNEL: SearchAttributeKey<String> = SearchAttributeKey::keyword("Channel");
pub const CUSTOMER_ID: SearchAttributeKey<String> = SearchAttributeKey::keyword("CustomerId");
pub const SLA_DEADLINE: SearchAttributeKey<Timestamp> = SearchAttributeKey::datetime("SlaDeadline");
pub const SLA_BREACHED: SearchAttributeKey<bool> = SearchAttributeKey::bool("SlaBreached");
pub const ESCALATION_REASON: SearchAttributeKey<String> =
    SearchAttributeKey::keyword("EscalationReason");
/// The lifecycle phase (`bot`, `awaiting_customer`, `escalated`, …).
pub const TICKET_PHASE: SearchAttributeKey<String> = SearchAttributeKey::keyword("TicketPhase");
/// The owning agent; empty while nobody owns the ticket.
pub const TICKET_OWNER: SearchAttributeKey<String> = SearchAttributeKey::keyword("TicketOwner");

/// Name and server type of every custom attribute, as the Temporal CLI takes
/// them (`--search-attribute Name=Type`).
pub const REGISTRATION: &[(&str, &str)] = &[
    ("TicketId", "Keyword"),
    ("TicketStatus", "Keyword"),
    ("Channel", "Keyword"),
    ("CustomerId", "Keyword"),
    ("SlaDeadline", "Datetime"),
    ("SlaBreached", "Bool"),
    ("EscalationReason", "Keyword"),
    ("TicketOwner", "Keyword"),
    ("TicketPhase", "Keyword"),
];
