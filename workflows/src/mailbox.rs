//! `MailboxWorkflow`: one per Gmail mailbox, so history syncs never run
//! concurrently (two syncs from the same history id would race).
//!
//! Each round syncs from the stored history id (the activity publishes one
//! inbound envelope per new mail), renews the Gmail watch when it is close
//! to expiring (watches last 7 days), then waits for a push notification
//! (`push` signal, sent by intake) or the poll interval, whichever comes
//! first. The poll is the fallback for the most common real failure: pushes
//! that silently stop (an expired watch, a broken subscription).

use crate::contracts::{MailboxSyncInput, RenewMailboxWatch, SyncMailbox};
use serde::{Deserialize, Serialize};
use std::pin::pin;
use std::time::Duration;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_workflow::{
    ActivityOptions, CancellableFuture, ContinueAsNewOptions, RetryPolicy, SyncWorkflowContext,
    TimerOptions, WorkflowContext, WorkflowContextView, WorkflowResult, select,
};

/// Rounds per run before continue-as-new keeps the history short.
const ROUNDS_PER_RUN: u32 = 200;

/// The workflow id of a mailbox's sync workflow.
pub fn mailbox_workflow_id(mailbox: &str) -> String {
    format!("gmail-mailbox:{}", mailbox.trim().to_ascii_lowercase())
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxStart {
    pub mailbox: String,
    /// Carried across continue-as-new.
    #[serde(default)]
    pub watch_expires_unix_ms: Option<i64>,
}

/// `push` signal input: the history id a Pub/Sub notification announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxPush {
    pub history_id: u64,
}

#[workflow]
#[derive(Default)]
pub struct MailboxWorkflow {
    pushes: u32,
    announced: Option<u64>,
    progress: MailboxProgress,
}

/// What the `progress` query shows: syncs completed in this run and how many
/// mails the latest one published (an observable point for tests and ops).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxProgress {
    pub syncs: u32,
    pub last_published: u32,
}

/// Options for the mailbox's activities, named for the UI's history.
fn activity_options(summary: &str) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(120))
        .summary(summary.to_owned())
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_secs(1))
                .maximum_interval(Duration::from_secs(30))
                .maximum_attempts(5)
                .build(),
        )
        .build()
}

#[workflow_methods]
impl MailboxWorkflow {
    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>, start: MailboxStart) -> WorkflowResult<()> {
        let mailbox = start.mailbox.clone();
        let mut watch_expires = start.watch_expires_unix_ms;
        // Used until the first sync answers (the activity owns the policy).
        let mut poll_interval = Duration::from_secs(300);
        for _ in 0..ROUNDS_PER_RUN {
            let announced = ctx.state_mut(|w| {
                w.pushes = 0;
                w.announced.take()
            });
            let input = MailboxSyncInput {
                mailbox: mailbox.clone(),
                announced_history_id: announced,
            };
            // A failed sync (Gmail down) is in the history; the next round retries.
            if let Ok(outcome) = ctx
                .execute_activity(SyncMailbox, input, activity_options("sync the Gmail inbox"))
                .await
            {
                ctx.state_mut(|w| {
                    w.progress.syncs += 1;
                    w.progress.last_published = outcome.published;
                });
                poll_interval = Duration::from_secs(outcome.poll_interval_secs.max(1));
                watch_expires = outcome.watch_expires_unix_ms.or(watch_expires);
                let now = crate::ticket::support::now_ms(ctx);
                let renew_at =
                    watch_expires.map(|expires| expires - outcome.renew_before_secs as i64 * 1000);
                if renew_at.is_none_or(|at| at <= now)
                    && let Ok(renewal) = ctx
                        .execute_activity(
                            RenewMailboxWatch,
                            mailbox.clone(),
                            activity_options("renew the Gmail push watch"),
                        )
                        .await
                {
                    watch_expires = Some(renewal.watch_expires_unix_ms);
                }
            }
            if ctx.state(|w| w.pushes == 0) {
                let poll = TimerOptions::builder(poll_interval)
                    .summary("next inbox poll (unless a push comes first)".to_owned())
                    .build();
                let mut timer = pin!(ctx.timer(poll));
                let pushed = select! {
                    woke = ctx.wait_condition(|w: &MailboxWorkflow| w.pushes > 0) => { woke?; true },
                    _ = timer.as_mut() => false,
                };
                if pushed {
                    timer.cancel();
                    timer.as_mut().await;
                }
            }
        }
        ctx.continue_as_new(
            MailboxStart {
                mailbox,
                watch_expires_unix_ms: watch_expires,
            },
            ContinueAsNewOptions::default(),
        )?;
        Ok(())
    }

    #[query]
    pub fn progress(&self, _ctx: &WorkflowContextView) -> MailboxProgress {
        self.progress
    }

    /// A Pub/Sub notification for this mailbox (sent by intake).
    #[signal]
    pub fn push(&mut self, _ctx: &mut SyncWorkflowContext<Self>, input: MailboxPush) {
        self.pushes += 1;
        self.announced = Some(
            self.announced
                .map_or(input.history_id, |h| h.max(input.history_id)),
        );
    }
}
