//! Carries out the state machine's effects: each awaited request becomes an
//! activity (with its retry policy), a patch check or a signal to another
//! ticket, and its result goes back into the machine as `Event::Done`.
//! No decision is taken here; an activity's failure is an outcome too.

use super::TicketWorkflow;
use super::support::{self, Ctx, before_deadline, now_ms};
use crate::contracts::*;
use steward_domain::desk_view::{activity_summary, ticket_card};
use steward_domain::machine::{Await, Call, Effect, Event, Outcome, patches};
use temporalio_workflow::common::ActivityDefinition;
use temporalio_workflow::{
    ActivityOptions, LocalActivityOptions, SignalWorkflowOptions, WorkflowResult,
};

/// Feeds `event` to the ticket and carries out effects until the machine
/// waits for nothing; then publishes the ticket card for the Temporal UI.
pub(super) async fn drive(ctx: &Ctx, event: Event) -> WorkflowResult<()> {
    let now = now_ms(ctx);
    let mut effects = ctx.state_mut(|w| w.t.handle(event, now));
    loop {
        // The card follows every step (the UI shows it while an activity
        // runs too); current details are not history events, so replay is
        // unaffected.
        let now = now_ms(ctx);
        ctx.set_current_details(ctx.state(|w| ticket_card(&w.t.state, now)));
        let mut awaited = None;
        for effect in effects {
            match effect {
                Effect::PublishSearchAttributes(values) => support::publish(ctx, values),
                Effect::Await(request) => awaited = Some(request),
            }
        }
        let Some(request) = awaited else {
            return Ok(());
        };
        let outcome = perform(ctx, request).await;
        let now = now_ms(ctx);
        effects = ctx.state_mut(|w| w.t.handle(Event::Done(outcome), now));
    }
}

async fn perform(ctx: &Ctx, request: Await) -> Outcome {
    match request {
        Await::Patched(patch) => Outcome::Patched(ctx.patched(patch)),
        Await::HandOver {
            workflow_id,
            message,
        } => {
            let sent = ctx
                .external_workflow(workflow_id, None)
                .signal(
                    TicketWorkflow::customer_message,
                    serde_json::to_value(&message).unwrap_or_default(),
                    SignalWorkflowOptions::default(),
                )
                .await;
            Outcome::HandedOver(sent.is_ok())
        }
        Await::Activity { call, race } => activity(ctx, call, race).await,
    }
}

/// A step's outcome: too late for its deadline, its result, or its failure
/// (a failure is an outcome too, never the end of the ticket).
fn settle<T, E: std::fmt::Display>(
    finished: Option<Result<T, E>>,
    done: impl FnOnce(T) -> Outcome,
) -> Outcome {
    match finished {
        None => Outcome::Late,
        Some(Ok(output)) => done(output),
        Some(Err(err)) => Outcome::Failed(err.to_string()),
    }
}

/// Runs one step as a local activity (see `patches::LOCAL_QUICK_STEPS`),
/// raced against `race` like [`run`].
async fn run_local<A>(
    ctx: &Ctx,
    activity: A,
    input: A::Input,
    options: LocalActivityOptions,
    race: Option<i64>,
    done: impl FnOnce(A::Output) -> Outcome,
) -> Outcome
where
    A: ActivityDefinition + Clone + 'static,
{
    let finished = before_deadline(ctx, race, || {
        ctx.execute_local_activity(activity, input, options)
    })
    .await;
    settle(finished, done)
}

/// Runs one activity, raced against `race` when given. `options.summary`
/// names what it does for this ticket in the history and timeline.
async fn run<A>(
    ctx: &Ctx,
    activity: A,
    input: A::Input,
    options: ActivityOptions,
    race: Option<i64>,
    done: impl FnOnce(A::Output) -> Outcome,
) -> Outcome
where
    A: ActivityDefinition + Clone + 'static,
{
    let finished =
        before_deadline(ctx, race, || ctx.execute_activity(activity, input, options)).await;
    settle(finished, done)
}

async fn activity(ctx: &Ctx, call: Call, race: Option<i64>) -> Outcome {
    let summary = activity_summary(&call);
    // Checked only when a quick step comes up, so histories from before
    // the patch replay as they ran (each step a task on the queue).
    let quick_step = matches!(
        call,
        Call::LoadPolicy | Call::Triage(_) | Call::Draft(_) | Call::CheckReply(_)
    );
    if quick_step && ctx.patched(patches::LOCAL_QUICK_STEPS) {
        let quick = || support::local_quick(summary.clone());
        let drafting = || support::local_drafting(summary.clone());
        let other = match call {
            Call::LoadPolicy => {
                return run_local(ctx, LoadPolicy, (), quick(), race, Outcome::Policy).await;
            }
            Call::Triage(i) => {
                return run_local(ctx, TriageMessage, i, quick(), race, Outcome::Triaged).await;
            }
            Call::Draft(i) => {
                return run_local(ctx, DraftReply, i, drafting(), race, Outcome::Drafted).await;
            }
            Call::CheckReply(i) => {
                return run_local(ctx, CheckReply, i, quick(), race, Outcome::Checked).await;
            }
            other => other,
        };
        return remote(ctx, other, race, summary).await;
    }
    remote(ctx, call, race, summary).await
}

/// Runs `call` as an activity task on the queue.
async fn remote(ctx: &Ctx, call: Call, race: Option<i64>, summary: String) -> Outcome {
    let named = |mut options: ActivityOptions| {
        options.summary = Some(summary.clone());
        options
    };
    let quick = || named(support::quick());
    let drafting = || named(support::drafting());
    let notify = || named(support::notify());
    let sending = || named(support::sending());
    let ok = |_: ()| Outcome::Ok;
    match call {
        Call::LoadPolicy => run(ctx, LoadPolicy, (), quick(), race, Outcome::Policy).await,
        Call::RecordInbound(i) => {
            run(ctx, RecordInbound, i, quick(), race, Outcome::Recorded).await
        }
        Call::FindOpenTicket(i) => {
            run(ctx, FindOpenTicket, i, quick(), race, Outcome::OpenTicket).await
        }
        Call::MarkMerged(i) => run(ctx, MarkMerged, i, quick(), race, ok).await,
        Call::Triage(i) => run(ctx, TriageMessage, i, quick(), race, Outcome::Triaged).await,
        Call::SearchKb(i) => run(ctx, SearchKb, i, drafting(), race, Outcome::Kb).await,
        Call::Draft(i) => run(ctx, DraftReply, i, drafting(), race, Outcome::Drafted).await,
        Call::Llm(i) => run(ctx, LlmComplete, i, drafting(), race, Outcome::Llm).await,
        Call::CheckReply(i) => run(ctx, CheckReply, i, quick(), race, Outcome::Checked).await,
        Call::Send(i) => run(ctx, SendReply, i, sending(), race, Outcome::Sent).await,
        Call::Escalate(i) => run(ctx, Escalate, i, notify(), race, ok).await,
        Call::Notify(i) => run(ctx, NotifyHumans, i, notify(), race, ok).await,
        Call::RecordEvent(i) => run(ctx, RecordTicketEvent, i, quick(), race, ok).await,
        Call::RecordReceipt(i) => {
            run(ctx, RecordDeliveryReceipt, i, quick(), race, |_| {
                Outcome::Ok
            })
            .await
        }
        Call::Redeliver(i) => {
            run(
                ctx,
                RedeliverFailed,
                i,
                sending(),
                race,
                Outcome::Redelivered,
            )
            .await
        }
    }
}
