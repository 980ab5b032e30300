//! "A web form that mentions an existing ticket continues it": the ticket
//! reference (`W-…`) or number (`TKT-…`) named in the subject or message,
//! when it is a web ticket of the same customer (the submitted email is one
//! of that customer's identities). Someone else's ticket number starts a
//! new ticket: naming a number proves nothing.
//!
//! A web form proves nobody's address either, so the answer to a
//! continuation never carries that ticket's status link (its token would
//! show the whole conversation to whoever typed the address): the worker
//! sends the link to the address on that ticket (`activities::status_link`)
//! and the answer says so.

use crate::error::ApiError;
use crate::state::AppState;
use crate::web_form::web_workflow_id;
use axum::Json;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;
use steward_domain::web_form::ValidSubmission;

/// What a continuation answers: no reference (a `TKT-…` number would be
/// mapped to its web reference) and no link, only that it went on.
pub(crate) fn continued_response(wants_json: bool) -> Response {
    if !wants_json {
        return Redirect::to("/support?continued=1").into_response();
    }
    Json(json!({
        "continued": true,
        "status_url": "/support",
        "notice": "Thanks, we've added your message to that ticket and sent its link to the \
                   address on that ticket: a ticket's link is never shown to a later submission.",
    }))
    .into_response()
}

/// Ticket references and numbers in `text`, in order.
fn named_tickets(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter_map(|word| {
            let upper = word.to_ascii_uppercase();
            let web = upper
                .strip_prefix("W-")
                .is_some_and(|r| r.len() == 10 && r.chars().all(|c| c.is_ascii_hexdigit()));
            if web {
                return Some(upper);
            }
            // `TKT-42` names TKT-000042: one parser, one form.
            steward_domain::TicketNumber::parse(word)
                .ok()
                .map(|n| n.to_string())
        })
        .collect()
}

/// The reference of the sender's earlier web ticket the message names.
pub(crate) async fn earlier_ticket(
    state: &AppState,
    valid: &ValidSubmission,
) -> Result<Option<String>, ApiError> {
    let named = named_tickets(&format!("{} {}", valid.subject, valid.message));
    let Some(pool) = state.db.as_ref() else {
        return Ok(None);
    };
    for name in named {
        let workflow_id = if name.starts_with("W-") {
            web_workflow_id(&name)
        } else {
            let found: Option<String> =
                sqlx::query_scalar("SELECT workflow_id FROM tickets WHERE ticket_number = $1")
                    .bind(&name)
                    .fetch_optional(pool)
                    .await
                    .map_err(|e| ApiError::Unavailable(e.to_string()))?;
            match found {
                Some(id) => id,
                None => continue,
            }
        };
        let Some(reference) = workflow_id.strip_prefix(&web_workflow_id("")) else {
            continue;
        };
        let same_customer: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM tickets t JOIN customer_identities i ON i.customer_id = t.customer_id
             WHERE t.workflow_id = $1 AND i.kind = 'email' AND i.value = $2)",
        )
        .bind(&workflow_id)
        .bind(&valid.email.value)
        .fetch_one(pool)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        if same_customer {
            return Ok(Some(reference.to_owned()));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_references_and_numbers() {
        assert_eq!(
            named_tickets("Re: w-1a2b3c4d5e, see also TKT-000042."),
            ["W-1A2B3C4D5E", "TKT-000042"]
        );
        assert!(named_tickets("W-12 TKT- tkt-x").is_empty());
        // Written short, it is still the padded number the database holds.
        assert_eq!(named_tickets("about tkt-42 please"), ["TKT-000042"]);
    }
}
