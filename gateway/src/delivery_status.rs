//! Delivery receipts: a verified Twilio status callback becomes the
//! `delivery_status` signal of the ticket that sent the message. The
//! ticket records it on the send ledger through an activity; the gateway
//! writes nothing.
//!
//! The ticket is named by the callback URL itself: the send activity asks
//! Twilio to post receipts to `…/webhooks/twilio/status?ticket=<workflow
//! id>`, and Twilio signs the full URL, so the parameter cannot be forged
//! or moved to another ticket without breaking the signature (checked
//! before this module sees the request).

use crate::error::ApiError;
use crate::state::AppState;
use axum::http::{StatusCode, Uri};
use steward_domain::DeliveryStatus;
use steward_workflows::{DeliveryStatusInput, TicketWorkflow};
use temporalio_client::WorkflowSignalOptions;
use temporalio_client::errors::WorkflowInteractionError;

/// The callback URL's query parameter naming the ticket's workflow.
pub(crate) const TICKET_PARAM: &str = "ticket";

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// The ticket workflow a (signed) callback URL names, if any.
fn ticket_of(uri: &Uri) -> Option<String> {
    url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == TICKET_PARAM)
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
}

/// Routes one verified status callback to its ticket.
#[tracing::instrument(skip_all, fields(sid, status, workflow_id))]
pub(crate) async fn accept(
    state: &AppState,
    uri: &Uri,
    params: &[(String, String)],
) -> Result<StatusCode, ApiError> {
    let sid = param(params, "MessageSid")
        .or_else(|| param(params, "SmsSid"))
        .ok_or_else(|| ApiError::BadRequest("required parameter MessageSid is missing".into()))?;
    let raw_status = param(params, "MessageStatus")
        .or_else(|| param(params, "SmsStatus"))
        .ok_or_else(|| {
            ApiError::BadRequest("required parameter MessageStatus is missing".into())
        })?;
    let status = DeliveryStatus::parse(raw_status)
        .ok_or_else(|| ApiError::BadRequest(format!("unknown MessageStatus {raw_status:?}")))?;
    tracing::Span::current()
        .record("sid", sid)
        .record("status", status.as_str());
    let Some(workflow_id) = ticket_of(uri) else {
        // Not a callback URL we gave out (another app on the account, or a
        // send from before receipts named their ticket): nobody to tell.
        tracing::info!("status callback without a ticket; ignored");
        return Ok(StatusCode::OK);
    };
    tracing::Span::current().record("workflow_id", workflow_id.as_str());
    let client = state
        .temporal
        .as_ref()
        .ok_or_else(|| ApiError::Unavailable("no Temporal client in this process".into()))?;
    let input = DeliveryStatusInput {
        provider_message_id: sid.to_owned(),
        status: status.as_str().to_owned(),
        error_code: param(params, "ErrorCode").unwrap_or("").to_owned(),
        error_message: param(params, "ErrorMessage").unwrap_or("").to_owned(),
    };
    let signalled = client
        .get_workflow_handle::<TicketWorkflow>(workflow_id)
        .signal(
            TicketWorkflow::delivery_status,
            serde_json::to_value(&input).unwrap_or_default(),
            WorkflowSignalOptions::default(),
        )
        .await;
    match signalled {
        Ok(()) => Ok(StatusCode::OK),
        // The ticket is closed: nobody is waiting for this receipt.
        Err(WorkflowInteractionError::NotFound(_)) => {
            tracing::info!("status callback for a finished ticket");
            Ok(StatusCode::OK)
        }
        // Twilio retries a 5xx: the receipt is not lost while Temporal is away.
        Err(err) => Err(ApiError::Unavailable(err.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ticket_comes_from_the_signed_query() {
        let uri: Uri =
            "/webhooks/twilio/status?ticket=ticket-whatsapp-%2B15550001111&bodySHA256=ab"
                .parse()
                .unwrap();
        assert_eq!(
            ticket_of(&uri).as_deref(),
            Some("ticket-whatsapp-+15550001111")
        );
        let bare: Uri = "/webhooks/twilio/status".parse().unwrap();
        assert_eq!(ticket_of(&bare), None);
        let empty: Uri = "/webhooks/twilio/status?ticket=".parse().unwrap();
        assert_eq!(ticket_of(&empty), None);
    }
}
