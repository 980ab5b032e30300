//! SLA deadlines coming due: first response, acknowledgement and
//! resolution (warning, breach, next tier), the quiet window and the CSAT
//! window.

use super::desk::{close, escalate, resolve};
use super::effects::{channel, notify_escalation, notify_humans, policy, record_event, warning_at};
use super::support::{self, Ctx, now_ms};
use crate::contracts::*;
use steward_domain::{EscalationReason, Phase};
use temporalio_workflow::WorkflowResult;

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
    if due(d.whatsapp_window_unix_ms) {
        window_closed(ctx, phase, tier, &ticket_id).await?;
    }
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

/// WhatsApp's 24-hour window passed: recorded, and a human who owns the
/// ticket is told that their next reply goes out as the approved template
/// (or by email), not as free text.
async fn window_closed(ctx: &Ctx, phase: Phase, tier: u32, ticket_id: &str) -> WorkflowResult<()> {
    ctx.state_mut(|w| w.s.view.deadlines.whatsapp_window_unix_ms = None);
    record_event(ctx, "whatsapp_window_closed", "").await?;
    if matches!(phase, Phase::Escalated | Phase::Human) {
        let notice = NoticeInput {
            ticket_id: ticket_id.to_owned(),
            kind: NoticeKind::Warning,
            tier: tier.max(1),
            text: "The customer's WhatsApp 24-hour window has closed: the next reply goes out as the approved template, or by email.".into(),
        };
        notify_humans(ctx, notice).await?;
    }
    Ok(())
}
