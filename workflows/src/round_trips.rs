//! `RoundTripsWorkflow`: the platform's own limit, for `steward bench`. It
//! does nothing but make `n` activity round trips in sequence (the same
//! number a ticket makes), so its throughput on the same Temporal server
//! and the same worker settings is what Steward's ticket rate is compared
//! with. Never registered by the production worker.

use crate::contracts::BenchEcho;
use std::time::Duration;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_workflow::{ActivityOptions, WorkflowContext, WorkflowResult};

#[workflow]
#[derive(Default)]
pub struct RoundTripsWorkflow;

#[workflow_methods]
impl RoundTripsWorkflow {
    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>, round_trips: u32) -> WorkflowResult<u32> {
        let options = ActivityOptions::with_start_to_close_timeout(Duration::from_secs(30)).build();
        for n in 0..round_trips {
            ctx.execute_activity(BenchEcho, n, options.clone()).await?;
        }
        Ok(round_trips)
    }
}
