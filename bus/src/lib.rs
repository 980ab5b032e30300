//! Steward's bus: everything that touches Kafka, shared by the gateway
//! (which produces) and the worker (whose mailbox sync produces too), and
//! the intake consumer between Kafka and Temporal.
//!
//! - [`config`]: the broker, topics and intake's consumer group.
//! - [`producer`]: the idempotent `acks=all` producer of inbound envelopes
//!   and mailbox notices, their schema headers.
//! - [`intake`]: the consumer that signal-with-starts ticket workflows and
//!   stores offsets only after Temporal accepted each message.
//! - [`metrics`]: produce latency, intake throughput and lag.

pub mod config;
pub mod intake;
pub mod metrics;
pub mod producer;

pub use config::{IntakeConfig, KafkaConfig};
