//! What a ticket does to the outside world besides the bot's drafting:
//! replies through the send ledger, notices to the human queue, and the
//! ticket-row events behind the API, metrics and audit log.

use super::support::{self, Ctx, now_ms};
use crate::contracts::*;
use temporalio_workflow::WorkflowResult;

pub(super) fn policy(ctx: &Ctx) -> TicketPolicy {
    ctx.state(|w| w.s.policy.clone().unwrap_or_default())
}

pub(super) fn channel(ctx: &Ctx) -> steward_domain::Channel {
    ctx.state(|w| w.s.view.channel.unwrap_or(steward_domain::Channel::Web))
}

pub(super) fn warning_at(now: i64, due: i64, fraction: f64) -> Option<i64> {
    (fraction > 0.0 && fraction < 1.0).then(|| now + ((due - now) as f64 * fraction) as i64)
}

/// Sends a reply through the ledger and records it in the transcript.
pub(super) async fn send(
    ctx: &Ctx,
    kind: ReplyKind,
    author: &str,
    text: String,
) -> WorkflowResult<()> {
    let now = now_ms(ctx);
    let input = ctx.state_mut(|w| {
        let idempotency_key = w.s.next_idempotency_key();
        SendInput {
            ticket_key: w.s.ticket_key.clone(),
            ticket_id: w.s.view.ticket_id.clone().unwrap_or_default(),
            idempotency_key,
            channel: w
                .s
                .reply_channel
                .or(w.s.view.channel)
                .unwrap_or(steward_domain::Channel::Web),
            recipient: w.s.recipient.clone(),
            kind,
            author: author.to_owned(),
            text: text.clone(),
            correlation_id: w.s.correlation_id.clone(),
            customer_name: w.s.customer_name.clone(),
            subject: w.s.subject.clone(),
            conversation_key: w.s.conversation_key.clone(),
            in_reply_to: w
                .s
                .view
                .last_provider_message_id
                .clone()
                .unwrap_or_default(),
            whatsapp_window_open: w
                .s
                .view
                .whatsapp_window_closes_unix_ms
                .map(|closes| now < closes),
        }
    });
    let ticket_id = input.ticket_id.clone();
    let outcome = ctx
        .execute_activity(SendReply, input, support::sending())
        .await?;
    let from = match kind {
        ReplyKind::Bot => "bot".to_owned(),
        ReplyKind::Agent => format!("agent:{author}"),
        ReplyKind::Holding | ReplyKind::CsatRequest => "steward".to_owned(),
    };
    ctx.state_mut(|w| {
        w.s.push_transcript(now, &from, &text);
        // Handled by the main loop like the signal they overtook.
        w.s.receipts.extend(outcome.early_receipts.iter().cloned());
    });
    if let Some(via) = outcome.via {
        let detail = format!("{} reply sent by {via} {}", kind.as_str(), outcome.note);
        record_event(ctx, "sent_via_fallback", detail.trim()).await?;
    } else if !outcome.note.is_empty() {
        record_event(ctx, "sent_as_template", &outcome.note).await?;
    }
    if outcome.status == SendStatus::Undeliverable {
        record_event(ctx, "undeliverable", &outcome.note).await?;
        let notice = NoticeInput {
            ticket_id,
            kind: NoticeKind::DeliveryFailed,
            tier: 1,
            text: format!(
                "A {} reply could not be sent ({}); please contact the customer another way.",
                kind.as_str(),
                outcome.note
            ),
        };
        return notify_humans(ctx, notice).await;
    }
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

pub(super) async fn notify_escalation(ctx: &Ctx, input: EscalateInput) -> WorkflowResult<()> {
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
