//! The ticket's state lives in `steward_domain::ticket_state` (the pure
//! state machine owns it); re-exported here for the crates that read it.

pub use steward_domain::ticket_io::DeliveryStatusInput;
pub use steward_domain::ticket_state::*;
