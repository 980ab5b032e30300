//! `steward bench`'s baseline activity: it only answers its input, so a
//! workflow made of these measures the platform's round trip and nothing
//! of ours. Registered only by the bench's own worker.

use std::sync::Arc;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct BenchActivities;

#[activities]
impl BenchActivities {
    #[activity(definition = steward_workflows::contracts::BenchEcho)]
    pub async fn bench_echo(
        self: Arc<Self>,
        _ctx: ActivityContext,
        n: u32,
    ) -> Result<u32, ActivityError> {
        Ok(n)
    }
}
