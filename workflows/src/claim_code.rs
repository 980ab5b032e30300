//! `ClaimCodeWorkflow`: one per verification code sent for an identity
//! claim. Its timer is the code's expiry, durable across crashes and shown
//! in the Temporal UI ("claim code expiry, 10 min"); when it fires, the
//! code is killed in the database unless it was echoed or replaced first.
//! The ticket that made the claim never waits for it.

use crate::contracts::{ClaimCodeFate, ClaimCodeWatch, ExpireClaimCode};
use crate::ticket::support::now_ms;
use std::time::Duration;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_workflow::{
    ActivityOptions, RetryPolicy, TimerOptions, WorkflowContext, WorkflowResult,
};

#[workflow]
#[derive(Default)]
pub struct ClaimCodeWorkflow;

/// Expiring a code only writes one row: retried until the database answers.
fn expire_options(watch: &ClaimCodeWatch) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(30))
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_millis(500))
                .maximum_interval(Duration::from_secs(30))
                .build(),
        )
        .summary(format!(
            "expire code {} of claim #{}",
            watch.serial, watch.claim_id
        ))
        .build()
}

#[workflow_methods]
impl ClaimCodeWorkflow {
    #[run]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        watch: ClaimCodeWatch,
    ) -> WorkflowResult<ClaimCodeFate> {
        let started = now_ms(ctx);
        ctx.set_current_details(watch.details(started, None));
        let expiry = TimerOptions::builder(Duration::from_secs(watch.expires_in_secs))
            .summary(watch.timer_summary())
            .build();
        ctx.timer(expiry).await;
        let fate = ctx
            .execute_activity(ExpireClaimCode, watch.clone(), expire_options(&watch))
            .await?;
        ctx.set_current_details(watch.details(started, Some(fate)));
        Ok(fate)
    }
}
