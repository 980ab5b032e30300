//! Activity contracts: what a workflow may ask the outside world to do.
//!
//! Each contract is a unit struct implementing the SDK's `ActivityDefinition`
//! by hand, so workflow code names the activity and its types without linking
//! the implementation. Implementations bind to a contract with
//! `#[activity(definition = ...)]`, which makes the compiler check that the
//! input and output types match and that the registered name is this one.

use serde::{Deserialize, Serialize};
use steward_domain::{Channel, InboundMessage};
use temporalio_workflow::common::ActivityDefinition;

macro_rules! activity_contract {
    ($(#[$doc:meta])* $name:ident, $activity:literal, $input:ty => $output:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl $name {
            /// The activity type name registered with Temporal.
            pub const NAME: &'static str = $activity;
        }

        impl ActivityDefinition for $name {
            type Input = $input;
            type Output = $output;

            fn name(&self) -> &str {
                Self::NAME
            }
        }
    };
}

/// Input of [`RecordInbound`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordInboundInput {
    /// The ticket's stable key (generated once per ticket by the workflow).
    pub ticket_key: String,
    pub workflow_id: String,
    pub channel: Channel,
    pub message: InboundMessage,
}

/// Output of [`RecordInbound`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedInbound {
    /// The customer-facing ticket number, e.g. `TKT-000042`.
    pub ticket_id: String,
    pub customer_id: String,
    /// False when this provider message id was already stored (a redelivery).
    pub inserted: bool,
}

activity_contract!(
    /// Records an inbound customer message: the customer and identity, the
    /// ticket row on first contact, and the message row, idempotently
    /// (unique per channel and provider message id).
    RecordInbound, "record_inbound", RecordInboundInput => RecordedInbound
);

/// Every contract name, for the test that the worker registers each one.
pub const ALL_ACTIVITY_NAMES: &[&str] = &[RecordInbound::NAME];
