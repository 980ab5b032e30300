//! The activity of a claim code's expiry workflow: kill the code when its
//! watch's timer fires (see `identity::expiry`).

use crate::identity::expiry;
use sqlx::PgPool;
use std::sync::Arc;
use steward_workflows::contracts::{ClaimCodeFate, ClaimCodeWatch};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct ClaimActivities {
    pool: PgPool,
}

impl ClaimActivities {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[activities]
impl ClaimActivities {
    #[activity(definition = steward_workflows::contracts::ExpireClaimCode)]
    pub async fn expire_claim_code(
        self: Arc<Self>,
        _ctx: ActivityContext,
        watch: ClaimCodeWatch,
    ) -> Result<ClaimCodeFate, ActivityError> {
        Ok(expiry::expire(&self.pool, &watch).await?)
    }
}
