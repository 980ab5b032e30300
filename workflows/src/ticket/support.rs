//! Workflow-side helpers: deterministic time, racing work against a
//! deadline, activity options, search-attribute upserts.

use super::TicketWorkflow;
use crate::search_attributes as sa;
use std::pin::pin;
use std::time::{Duration, UNIX_EPOCH};
use steward_domain::desk_view::timer_summary;
use steward_domain::machine::SearchAttributes;
use temporalio_workflow::common::search_attributes::Timestamp;
use temporalio_workflow::{
    ActivityOptions, CancellableFuture, LocalActivityOptions, RetryPolicy, SyncWorkflowContext,
    TimerOptions, WorkflowContext, WorkflowResult, select,
};

pub(super) type Ctx = WorkflowContext<TicketWorkflow>;

/// Workflow time in Unix ms (deterministic: the time of the current
/// workflow task). Every workflow of the crate reads the clock through this.
pub(crate) fn now_ms<W>(ctx: &WorkflowContext<W>) -> i64 {
    ctx.workflow_time()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// [`now_ms`] for a signal handler's context.
pub(super) fn sync_now_ms<W>(ctx: &SyncWorkflowContext<W>) -> i64 {
    ctx.workflow_time()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// How long one attempt of a step may take and how it is retried: the
/// same whether the step runs as a task on the queue or as a local
/// activity (where backoffs over a minute become durable timers).
struct Limits {
    attempt: Duration,
    retries: RetryPolicy,
}

impl Limits {
    fn remote(self) -> ActivityOptions {
        ActivityOptions::with_start_to_close_timeout(self.attempt)
            .retry_policy(self.retries)
            .build()
    }

    fn local(self, summary: String) -> LocalActivityOptions {
        LocalActivityOptions::builder()
            .start_to_close_timeout(self.attempt)
            .retry_policy(self.retries)
            .summary(summary)
            .build()
    }
}

/// Idempotent local work (policy, records, triage, checks): retried until
/// it succeeds (a database outage delays the ticket, never loses it).
fn quick_limits() -> Limits {
    Limits {
        attempt: Duration::from_secs(30),
        retries: RetryPolicy::builder()
            .initial_interval(Duration::from_millis(200))
            .maximum_interval(Duration::from_secs(10))
            .build(),
    }
}

/// Drafting and LLM calls: slower, fewer attempts (the activity itself
/// retries rate limits and falls back to a second model).
fn drafting_limits() -> Limits {
    Limits {
        attempt: Duration::from_secs(90),
        retries: RetryPolicy::builder()
            .initial_interval(Duration::from_secs(1))
            .maximum_attempts(3)
            .build(),
    }
}

pub(super) fn quick() -> ActivityOptions {
    quick_limits().remote()
}

pub(super) fn drafting() -> ActivityOptions {
    drafting_limits().remote()
}

/// [`quick`] as a local activity.
pub(super) fn local_quick(summary: String) -> LocalActivityOptions {
    quick_limits().local(summary)
}

/// [`drafting`] as a local activity.
pub(super) fn local_drafting(summary: String) -> LocalActivityOptions {
    drafting_limits().local(summary)
}

/// Notifications to the human queue: a few attempts; a queue that is down
/// must not stop the ticket (the failure is recorded as an event).
pub(super) fn notify() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(15))
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_millis(500))
                .maximum_attempts(4)
                .build(),
        )
        .build()
}

/// Sends: retried until they succeed; the send ledger makes that safe. The
/// short timeout is what detects a worker that died mid-send.
pub(super) fn sending() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(10))
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_millis(500))
                .maximum_interval(Duration::from_secs(30))
                .maximum_attempts(20)
                .build(),
        )
        .build()
}

/// Sleeps until the ticket has work (a message, an action, feedback) or its
/// nearest deadline is due. The losing timer is cancelled, never left live.
pub(super) async fn wait_for_work_or_deadline(ctx: &Ctx) -> WorkflowResult<()> {
    if ctx.state(|w| w.t.has_work()) {
        return Ok(());
    }
    let now = now_ms(ctx);
    match ctx.state(|w| w.t.next_deadline()) {
        Some(at) if at <= now => Ok(()),
        Some(at) => {
            let mut timer = pin!(ctx.timer(deadline_timer(ctx, at, now)));
            let woke_by_work = select! {
                woke = ctx.wait_condition(|w: &TicketWorkflow| w.t.has_work()) => { woke?; true },
                _ = timer.as_mut() => false,
            };
            if woke_by_work {
                timer.cancel();
                timer.as_mut().await;
            }
            Ok(())
        }
        None => {
            ctx.wait_condition(|w: &TicketWorkflow| w.t.has_work())
                .await?;
            Ok(())
        }
    }
}

/// A timer until the deadline `at`, named for the UI by what is due then
/// ("human acknowledgement — tier 1, 15 min"). The summary is metadata on
/// the command, not part of what replay compares.
fn deadline_timer(ctx: &Ctx, at: i64, now: i64) -> TimerOptions {
    let summary = ctx.state(|w| timer_summary(&w.t.state.view, at, now));
    TimerOptions::builder(Duration::from_millis((at - now) as u64))
        .summary(summary)
        .build()
}

/// Runs `start()`'s future unless `deadline_ms` passes first, in which case
/// the work is cancelled and `None` returned. Used so that a slow draft
/// cannot silently blow the first-response SLA.
pub(super) async fn before_deadline<F>(
    ctx: &Ctx,
    deadline_ms: Option<i64>,
    start: impl FnOnce() -> F,
) -> Option<F::Output>
where
    F: CancellableFuture,
{
    let Some(deadline) = deadline_ms else {
        return Some(start().await);
    };
    let now = now_ms(ctx);
    if deadline <= now {
        return None;
    }
    let mut work = pin!(start());
    let mut timer = pin!(ctx.timer(deadline_timer(ctx, deadline, now)));
    let finished = select! {
        out = work.as_mut() => Some(out),
        _ = timer.as_mut() => None,
    };
    match finished {
        Some(out) => {
            timer.cancel();
            timer.as_mut().await;
            Some(out)
        }
        None => {
            work.cancel();
            let _ = work.as_mut().await;
            None
        }
    }
}

fn timestamp(unix_ms: i64) -> Timestamp {
    Timestamp::new(
        unix_ms.div_euclid(1000),
        (unix_ms.rem_euclid(1000) * 1_000_000) as i32,
    )
}

/// Upserts what ops query in the Web UI.
pub(super) fn publish(ctx: &Ctx, values: SearchAttributes) {
    // Values are only ever set, not unset (this server rejects unsetting a
    // keyword that was never set); a stale SlaDeadline or EscalationReason
    // is harmless because ops queries always filter on TicketStatus too.
    let mut updates = vec![
        sa::TICKET_STATUS.value_set(values.status.to_owned()),
        sa::SLA_BREACHED.value_set(values.sla_breached),
        sa::TICKET_OWNER.value_set(values.owner.unwrap_or_default()),
        sa::TICKET_PHASE.value_set(values.phase.to_owned()),
    ];
    if let Some(ms) = values.sla_deadline_unix_ms {
        updates.push(sa::SLA_DEADLINE.value_set(timestamp(ms)));
    }
    if let Some(reason) = values.escalation_reason {
        updates.push(sa::ESCALATION_REASON.value_set(reason.as_str().to_owned()));
    }
    if let Some(id) = values.ticket_id {
        updates.push(sa::TICKET_ID.value_set(id));
    }
    if let Some(channel) = values.channel {
        updates.push(sa::CHANNEL.value_set(channel.as_str().to_owned()));
    }
    if let Some(customer) = values.customer_id {
        updates.push(sa::CUSTOMER_ID.value_set(customer));
    }
    ctx.upsert_search_attributes(updates);
}
