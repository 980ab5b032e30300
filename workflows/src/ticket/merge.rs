//! One customer, one conversation: the first message of a new conversation
//! whose sender already has an open ticket (found through identity
//! resolution, e.g. "my email is …" on WhatsApp after an email) is handed
//! to that ticket, and this run closes as merged. Messages that reach a
//! merged run later are handed over too.
//!
//! New in the history of new tickets, so it sits behind the
//! `cross-channel-merge` patch marker: runs recorded before replay without it.

use super::TicketWorkflow;
use super::effects;
use super::support::{self, Ctx};
use crate::contracts::*;
use steward_domain::{InboundMessage, Phase};
use temporalio_workflow::{SignalWorkflowOptions, WorkflowResult};

pub(super) const PATCH: &str = "cross-channel-merge";

async fn hand_over(ctx: &Ctx, workflow_id: &str, message: &InboundMessage) -> bool {
    ctx.external_workflow(workflow_id.to_owned(), None)
        .signal(
            TicketWorkflow::customer_message,
            message.clone(),
            SignalWorkflowOptions::default(),
        )
        .await
        .is_ok()
}

/// After the first message was recorded: `true` when it went to the
/// customer's open ticket and this run is done.
pub(super) async fn into_open_ticket(
    ctx: &Ctx,
    message: &InboundMessage,
    customer_id: &str,
) -> WorkflowResult<bool> {
    let query = ctx.state(|w| OpenTicketQuery {
        ticket_key: w.s.ticket_key.clone(),
        customer_id: customer_id.to_owned(),
        workflow_id: ctx.workflow_id().to_owned(),
        provider_message_id: message.provider_message_id.clone(),
    });
    let Some(target) = ctx
        .execute_activity(FindOpenTicket, query, support::quick())
        .await?
    else {
        return Ok(false);
    };
    // The message row moves first, so the other ticket finds it recorded.
    let input = ctx.state(|w| MergeInput {
        ticket_key: w.s.ticket_key.clone(),
        provider_message_id: message.provider_message_id.clone(),
        into_ticket_id: target.ticket_id.clone(),
    });
    ctx.execute_activity(MarkMerged, input, support::quick())
        .await?;
    if !hand_over(ctx, &target.workflow_id, message).await {
        // The other ticket closed in between: this one carries on (the
        // event also puts its row back to this run's status).
        let detail = format!("{} closed before the hand-over", target.ticket_id);
        effects::record_event(ctx, "merge_failed", &detail).await?;
        return Ok(false);
    }
    ctx.state_mut(|w| {
        w.s.view.merged_into = Some(target.ticket_id.clone());
        w.s.merged_into_workflow = Some(target.workflow_id.clone());
        w.s.set_phase(Phase::Closed);
    });
    support::publish_search_attributes(ctx);
    if let Some(evidence) = &target.linked_by_this_message {
        // A claim, not a proof: whoever owns the ticket should know.
        let notice = NoticeInput {
            ticket_id: target.ticket_id.clone(),
            kind: NoticeKind::UnverifiedLink,
            tier: 1,
            text: format!(
                "{} {} joined this ticket by stating it is this customer (\"{evidence}\"); verify before sharing account details.",
                message.channel, message.sender.value
            ),
        };
        effects::notify_humans(ctx, notice).await?;
    }
    Ok(true)
}

/// A message for a run that was merged away: passed on, or, if the other
/// ticket is gone, recorded here as a note for the audit trail.
pub(super) async fn forward(
    ctx: &Ctx,
    workflow_id: &str,
    message: &InboundMessage,
) -> WorkflowResult<()> {
    if !hand_over(ctx, workflow_id, message).await {
        let detail = format!(
            "message {} arrived after the merge and could not be handed over",
            message.provider_message_id
        );
        effects::record_event(ctx, "merge_forward_failed", &detail).await?;
    }
    Ok(())
}
