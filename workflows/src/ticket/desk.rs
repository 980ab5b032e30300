//! The human side: escalation with its holding message, human actions from
//! the UI, SLA deadlines (warning, breach, next tier), resolution and CSAT.

use super::state::Feedback;
use super::support::{self, Ctx, now_ms};
use crate::contracts::*;
use steward_domain::lifecycle::{self, TransitionError};
use steward_domain::replies::{csat_request, holding_message};
use steward_domain::{EscalationReason, HumanAction, Phase};
use temporalio_workflow::WorkflowResult;

fn policy(ctx: &Ctx) -> TicketPolicy {
    ctx.state(|w| w.s.policy.clone().unwrap_or_default())
}

fn channel(ctx: &Ctx) -> steward_domain::Channel {
    ctx.state(|w| w.s.view.channel.unwrap_or(steward_domain::Channel::Web))
}

fn warning_at(now: i64, due: i64, fraction: f64) -> Option<i64> {
    (fraction > 0.0 && fraction < 1.0).then(|| now + ((due - now) as f64 * fraction) as i64)
}

/// Sends a reply through the ledger and records it in the transcript.
pub(super) async fn send(
    ctx: &Ctx,
    kind: ReplyKind,
    author: &str,
    text: String,
) -> WorkflowResult<()> {
    let input = ctx.state_mut(|w| {
        let idempotency_key = w.s.next_idempotency_key();
        SendInput {
            ticket_key: w.s.ticket_key.clone(),
            ticket_id: w.s.view.ticket_id.clone().unwrap_or_default(),
            idempotency_key,
            channel: w.s.view.channel.unwrap_or(steward_domain::Channel::Web),
            recipient: w.s.recipient.clone(),
            kind,
            author: author.to_owned(),
            text: text.clone(),
            correlation_id: w.s.correlation_id.clone(),
        }
    });
    let ticket_id = input.ticket_id.clone();
    let outcome = ctx
        .execute_activity(SendReply, input, support::sending())
        .await?;
    let now = now_ms(ctx);
    let from = match kind {
        ReplyKind::Bot => "bot".to_owned(),
        ReplyKind::Agent => format!("agent:{author}"),
        ReplyKind::Holding | ReplyKind::CsatRequest => "steward".to_owned(),
    };
    ctx.state_mut(|w| w.s.push_transcript(now, &from, &text));
    if outcome.status == SendStatus::Uncertain {
        let notice = NoticeInput {
            ticket_id,
            kind: NoticeKind::SendUncertain,
            tier: 1,
            text: format!(
                "A {} reply may not have reached the customer; please check.",
                kind.as_str()
            ),
        };
        notify_humans(ctx, notice).await?;
    }
    Ok(())
}

/// Tells the human queue; a queue that stays down is recorded, not fatal.
pub(super) async fn notify_humans(ctx: &Ctx, notice: NoticeInput) -> WorkflowResult<()> {
    if ctx
        .execute_activity(NotifyHumans, notice, support::notify())
        .await
        .is_err()
    {
        record_event(
            ctx,
            "notify_failed",
            "the human queue did not accept a notice",
        )
        .await?;
    }
    Ok(())
}

async fn notify_escalation(ctx: &Ctx, input: EscalateInput) -> WorkflowResult<()> {
    if ctx
        .execute_activity(Escalate, input, support::notify())
        .await
        .is_err()
    {
        record_event(
            ctx,
            "notify_failed",
            "the human queue did not accept an escalation",
        )
        .await?;
    }
    Ok(())
}

/// Updates the ticket row and appends an audit event.
pub(super) async fn record_event(ctx: &Ctx, event: &str, detail: &str) -> WorkflowResult<()> {
    let input = ctx.state(|w| {
        let v = &w.s.view;
        TicketEvent {
            ticket_key: w.s.ticket_key.clone(),
            event: event.to_owned(),
            status: v.status.as_str().to_owned(),
            owner: v.owner.clone(),
            sla_breached: v.sla_breached,
            first_response_due_unix_ms: v.deadlines.first_response_unix_ms,
            resolution_due_unix_ms: v.deadlines.resolution_unix_ms,
            first_responded: v.bot_replies + v.agent_replies > 0,
            resolved_autonomously: v.resolved_autonomously,
            csat_score: v.csat.as_ref().map(|c| c.score),
            csat_comment: v.csat.as_ref().map(|c| c.comment.clone()),
            prompt_tokens: v.prompt_tokens,
            completion_tokens: v.completion_tokens,
            detail: detail.to_owned(),
        }
    });
    if input.ticket_key.is_empty() || ctx.state(|w| w.s.view.ticket_id.is_none()) {
        return Ok(());
    }
    ctx.execute_activity(RecordTicketEvent, input, support::quick())
        .await?;
    Ok(())
}

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

async fn close(ctx: &Ctx) -> WorkflowResult<()> {
    ctx.state_mut(|w| {
        w.s.set_phase(Phase::Closed);
        w.s.view.deadlines = Default::default();
    });
    support::publish_search_attributes(ctx);
    record_event(ctx, "closed", "").await
}

/// Acts on every deadline that has passed.
pub(super) async fn fire_due_deadlines(ctx: &Ctx) -> WorkflowResult<()> {
    let now = now_ms(ctx);
    let due = |at: Option<i64>| at.is_some_and(|t| t <= now);
    let (phase, d, tier, ticket_id) = ctx.state(|w| {
        (
            w.s.view.phase,
            w.s.view.deadlines.clone(),
            w.s.view.tier,
            w.s.view.ticket_id.clone().unwrap_or_default(),
        )
    });
    let sla = policy(ctx).sla;
    match phase {
        Phase::Bot if due(d.first_response_unix_ms) => {
            escalate(
                ctx,
                EscalationReason::SlaFirstResponse,
                "no reply before the first-response deadline",
            )
            .await?;
        }
        Phase::Escalated | Phase::Human => {
            let (warning, deadline, secs) = if phase == Phase::Escalated {
                (d.ack_warning_unix_ms, d.ack_unix_ms, sla.ack_secs)
            } else {
                (
                    d.resolution_warning_unix_ms,
                    d.resolution_unix_ms,
                    sla.resolution_secs,
                )
            };
            if due(deadline) {
                let next = sla.deadline_ms(channel(ctx), now, secs);
                ctx.state_mut(|w| {
                    let s = &mut w.s;
                    s.view.sla_breached = true;
                    s.view.tier = tier + 1;
                    let (at, warn) = if phase == Phase::Escalated {
                        (
                            &mut s.view.deadlines.ack_unix_ms,
                            &mut s.view.deadlines.ack_warning_unix_ms,
                        )
                    } else {
                        (
                            &mut s.view.deadlines.resolution_unix_ms,
                            &mut s.view.deadlines.resolution_warning_unix_ms,
                        )
                    };
                    *at = Some(next);
                    *warn = warning_at(now, next, sla.warning_fraction);
                });
                let input = ctx.state(|w| EscalateInput {
                    ticket_key: w.s.ticket_key.clone(),
                    ticket_id: ticket_id.clone(),
                    channel: w.s.view.channel.unwrap_or(steward_domain::Channel::Web),
                    reason: w
                        .s
                        .view
                        .escalation_reason
                        .unwrap_or(EscalationReason::HumanRequested),
                    tier: tier + 1,
                    ack_due_unix_ms: next,
                    summary: format!("SLA breached in phase {phase:?}; now tier {}", tier + 1),
                });
                notify_escalation(ctx, input).await?;
                support::publish_search_attributes(ctx);
                record_event(
                    ctx,
                    "sla_breached",
                    if phase == Phase::Escalated {
                        "ack"
                    } else {
                        "resolution"
                    },
                )
                .await?;
            } else if due(warning) {
                ctx.state_mut(|w| {
                    if phase == Phase::Escalated {
                        w.s.view.deadlines.ack_warning_unix_ms = None;
                    } else {
                        w.s.view.deadlines.resolution_warning_unix_ms = None;
                    }
                });
                let notice = NoticeInput {
                    ticket_id,
                    kind: NoticeKind::Warning,
                    tier: tier.max(1),
                    text: format!(
                        "SLA deadline approaching at {}",
                        deadline.unwrap_or_default()
                    ),
                };
                notify_humans(ctx, notice).await?;
            }
        }
        Phase::AwaitingCustomer if due(d.quiet_until_unix_ms) => {
            resolve(
                ctx,
                true,
                "no reply from the customer within the quiet window",
            )
            .await?;
        }
        Phase::Resolved if due(d.csat_until_unix_ms) => close(ctx).await?,
        _ => {}
    }
    Ok(())
}
