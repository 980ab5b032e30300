//! Fault injection against the real components over loopback, each test
//! bounded in tickets and time, each ending with counts that one lost or
//! one duplicated message would break:
//!
//! - `kill_worker`: `steward worker` SIGKILLed again and again under load;
//! - `outages`: a private broker and Temporal server stopped and restarted
//!   under load (the gateway answers 503 while Kafka is down);
//! - `postgres`: a private Postgres crashed and restarted mid-run;
//! - `redelivery`: the same webhook three times, and a Kafka record
//!   consumed again after a rebalance.
//!
//! The short variants run with `cargo test`; `STEWARD_SOAK=1` makes the
//! worker-kill run a long soak (600 tickets, 30 kills).

#[path = "faults/kill_worker.rs"]
mod kill_worker;
#[path = "faults/load.rs"]
mod load;
#[path = "faults/outages.rs"]
mod outages;
#[path = "faults/postgres.rs"]
mod postgres;
#[path = "faults/private_stack.rs"]
mod private_stack;
#[path = "faults/redelivery.rs"]
mod redelivery;
#[path = "faults/replies.rs"]
mod replies;
mod support;
