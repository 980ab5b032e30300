//! The human side: escalation with its holding message, human actions from
//! the UI, resolution and CSAT.

use super::effects::{channel, notify_escalation, policy, record_event, send, warning_at};
use super::state::Feedback;
use super::support::{self, Ctx, now_ms};
use crate::contracts::*;
use steward_domain::lifecycle::{self, TransitionError};
use steward_domain::replies::{csat_request, holding_message};
use steward_domain::{EscalationReason, HumanAction, Phase};
use temporalio_workflow::WorkflowResult;

/// Hands the ticket to humans: record + notify, holding message, SLA timer.
pub(super) async fn escalate(
    ctx: &Ctx,
    reason: EscalationReason,
    summary: &str,
) -> WorkflowResult<()> {
    let sla = policy(ctx).sla;
    let now = now_ms(ctx);
    let ack_due = sla.deadline_ms(channel(ctx), now, sla.ack_secs);
    let missed_first_response = reason == EscalationReason::SlaFirstResponse;
    let input = ctx.state_mut(|w| {
        let s = &mut w.s;
        s.set_phase(Phase::Escalated);
        s.view.escalation_reason = Some(reason);
        s.view.tier = 1;
        s.view.sla_breached |= missed_first_response;
        let d = &mut s.view.deadlines;
        d.first_response_unix_ms = None;
        d.quiet_until_unix_ms = None;
        d.ack_unix_ms = Some(ack_due);
        d.ack_warning_unix_ms = warning_at(now, ack_due, sla.warning_fraction);
        EscalateInput {
            ticket_key: s.ticket_key.clone(),
            ticket_id: s.view.ticket_id.clone().unwrap_or_default(),
            channel: s.view.channel.unwrap_or(steward_domain::Channel::Web),
            reason,
            tier: 1,
            ack_due_unix_ms: ack_due,
            summary: summary.to_owned(),
        }
    });
    let ticket_id = input.ticket_id.clone();
    notify_escalation(ctx, input).await?;
    support::publish_search_attributes(ctx);
    send(
        ctx,
        ReplyKind::Holding,
        "steward",
        holding_message(&ticket_id, ack_due),
    )
    .await?;
    record_event(ctx, "escalated", reason.as_str()).await
}

/// Applies a human action if it fits the ticket's phase; records a refusal otherwise.
pub(super) async fn human_action(ctx: &Ctx, action: HumanAction) -> WorkflowResult<()> {
    let (phase, owner) = ctx.state(|w| (w.s.view.phase, w.s.view.owner.clone()));
    let (next, next_owner) = match lifecycle::apply(phase, owner.as_deref(), &action) {
        Ok(next) => next,
        Err(err) => return refuse(ctx, &action, err).await,
    };
    let sla = policy(ctx).sla;
    let now = now_ms(ctx);
    let channel = channel(ctx);
    ctx.state_mut(|w| {
        let s = &mut w.s;
        s.view.human_touched = true;
        s.view.owner = next_owner.clone();
        if next == Phase::Human && phase != Phase::Human {
            let due = sla.deadline_ms(channel, now, sla.resolution_secs);
            let d = &mut s.view.deadlines;
            d.ack_unix_ms = None;
            d.ack_warning_unix_ms = None;
            d.first_response_unix_ms = None;
            d.quiet_until_unix_ms = None;
            d.resolution_unix_ms = Some(due);
            d.resolution_warning_unix_ms = warning_at(now, due, sla.warning_fraction);
        }
        if next == Phase::Bot {
            s.view.deadlines = Default::default();
            s.view.escalation_reason = None;
        }
        s.set_phase(next);
    });
    // Added after tickets were already running: histories without the
    // marker replay without this event (tests/histories proves it).
    if phase == Phase::Escalated && next == Phase::Human && ctx.patched("record-acknowledgement") {
        record_event(ctx, "acknowledged", action.agent()).await?;
    }
    match action {
        HumanAction::AgentReply { agent, text } => {
            send(ctx, ReplyKind::Agent, &agent, text).await?;
            ctx.state_mut(|w| w.s.view.agent_replies += 1);
            support::publish_search_attributes(ctx);
            record_event(ctx, "agent_replied", &agent).await
        }
        HumanAction::Resolve { agent, note } => {
            resolve(ctx, false, &format!("{agent}: {note}")).await
        }
        HumanAction::Assign { agent } | HumanAction::ReturnToBot { agent } => {
            support::publish_search_attributes(ctx);
            record_event(ctx, action_name(next), &agent).await
        }
    }
}

fn action_name(next: Phase) -> &'static str {
    if next == Phase::Bot {
        "returned_to_bot"
    } else {
        "assigned"
    }
}

async fn refuse(ctx: &Ctx, action: &HumanAction, err: TransitionError) -> WorkflowResult<()> {
    let line = format!("{} by {} refused: {err}", action.name(), action.agent());
    ctx.state_mut(|w| w.s.view.rejected_actions.push(line.clone()));
    record_event(ctx, "action_refused", &line).await
}

/// Resolved: ask for CSAT on the channel and wait for it (or a reopen).
pub(super) async fn resolve(ctx: &Ctx, autonomous: bool, detail: &str) -> WorkflowResult<()> {
    let sla = policy(ctx).sla;
    let now = now_ms(ctx);
    let ticket_id = ctx.state_mut(|w| {
        let s = &mut w.s;
        s.set_phase(Phase::Resolved);
        s.view.resolved_autonomously = Some(autonomous && !s.view.human_touched);
        s.view.deadlines = Default::default();
        s.view.deadlines.csat_until_unix_ms = Some(now + sla.csat_window_secs as i64 * 1000);
        s.view.ticket_id.clone().unwrap_or_default()
    });
    support::publish_search_attributes(ctx);
    record_event(ctx, "resolved", detail).await?;
    send(
        ctx,
        ReplyKind::CsatRequest,
        "steward",
        csat_request(&ticket_id),
    )
    .await
}

pub(super) async fn record_feedback(ctx: &Ctx, feedback: Feedback) -> WorkflowResult<()> {
    if !matches!(ctx.state(|w| w.s.view.phase), Phase::Resolved)
        || !(1..=5).contains(&feedback.score)
    {
        let line = format!(
            "feedback {} refused: ticket not awaiting CSAT or score not 1-5",
            feedback.score
        );
        ctx.state_mut(|w| w.s.view.rejected_actions.push(line.clone()));
        return record_event(ctx, "action_refused", &line).await;
    }
    ctx.state_mut(|w| w.s.view.csat = Some(feedback));
    record_event(ctx, "csat_recorded", "").await?;
    close(ctx).await
}

pub(super) async fn close(ctx: &Ctx) -> WorkflowResult<()> {
    ctx.state_mut(|w| {
        w.s.set_phase(Phase::Closed);
        w.s.view.deadlines = Default::default();
    });
    support::publish_search_attributes(ctx);
    record_event(ctx, "closed", "").await
}
