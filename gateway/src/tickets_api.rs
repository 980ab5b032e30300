//! `GET /api/tickets/{id}?token=…`: a ticket's state and conversation, for
//! the customer's status page. Backed by the workflow's `status` and
//! `transcript` queries (the workflow is the source of truth), readable
//! without login but only with the ticket's unguessable link token.

use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use steward_workflows::{TicketView, TicketWorkflow, ticket::state::TranscriptLine};
use subtle::ConstantTimeEq;
use temporalio_client::WorkflowQueryOptions;
use temporalio_client::errors::WorkflowQueryError;

/// The link token of a ticket (one definition, shared with the worker).
pub use steward_domain::ticket_link::token as ticket_token;

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// Whether `token` is the link token of `ticket_id` (constant time).
pub(crate) fn token_matches(state: &AppState, ticket_id: &str, token: &str) -> bool {
    use secrecy::ExposeSecret;
    let expected = ticket_token(
        state.config.ticket_link_secret.expose_secret().as_bytes(),
        ticket_id,
    );
    bool::from(expected.as_bytes().ct_eq(token.as_bytes()))
}

/// What the customer's status page may show: the ticket's state and its
/// own conversation. Never the workflow's view as such: that names the
/// owner, the customer id, escalation reasons and internal refusals.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TicketResponse {
    /// Absent while a just-submitted web ticket is being opened.
    pub ticket: Option<PublicTicket>,
    /// The conversation: the customer's messages and ours.
    pub transcript: Vec<PublicMessage>,
    /// The message is accepted (durable on Kafka) but its ticket is not
    /// open yet.
    pub pending: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicTicket {
    /// `TKT-000042`.
    pub ticket_id: Option<String>,
    /// `new`, `open`, `escalated` (with our team), `human`, `resolved`, `closed`.
    pub status: String,
    /// When a first reply is due (Unix ms), while one is.
    pub first_response_due_unix_ms: Option<i64>,
    /// Customer messages received on this ticket.
    pub messages_received: u32,
    /// Replies sent by the bot or a person.
    pub replies: u32,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicMessage {
    pub at_unix_ms: i64,
    /// `customer`, `support` (the assistant and automatic notices) or
    /// `agent` (a person; never their name).
    pub from: String,
    pub text: String,
}

impl From<&TicketView> for PublicTicket {
    fn from(v: &TicketView) -> Self {
        Self {
            ticket_id: v.ticket_id.clone(),
            status: v.status.as_str().to_owned(),
            first_response_due_unix_ms: v.deadlines.first_response_unix_ms,
            messages_received: v.messages_recorded,
            replies: v.bot_replies + v.agent_replies,
        }
    }
}

impl From<TranscriptLine> for PublicMessage {
    fn from(line: TranscriptLine) -> Self {
        let from = match line.from.as_str() {
            "customer" => "customer",
            agent if agent.starts_with("agent:") => "agent",
            _ => "support",
        };
        Self {
            at_unix_ms: line.at_unix_ms,
            from: from.to_owned(),
            text: line.text,
        }
    }
}

#[utoipa::path(get, path = "/api/tickets/{id}", tag = "tickets",
    params(("id" = String, Path, description = "Ticket number (TKT-000042) or web reference (W-…)"),
           ("token" = String, Query, description = "The ticket link's token")),
    responses(
        (status = 200, description = "The ticket's state and conversation", body = TicketResponse),
        (status = 404, description = "Unknown ticket or wrong token", body = crate::openapi::ErrorBody),
        (status = 503, description = "Temporal unavailable", body = crate::openapi::ErrorBody)))]
pub async fn get_ticket(
    State(state): State<AppState>,
    Path(ticket_id): Path<String>,
    Query(query): Query<TokenQuery>,
) -> Result<Json<TicketResponse>, ApiError> {
    if !token_matches(&state, &ticket_id, &query.token) {
        // Same answer for unknown tickets and bad tokens: ids are not probeable.
        return Err(ApiError::NotFound);
    }
    let web = ticket_id.starts_with("W-");
    let workflow_id = if web {
        crate::web_form::web_workflow_id(&ticket_id)
    } else {
        let pool = state.db.as_ref().ok_or(ApiError::NotFound)?;
        let workflow_id: Option<String> =
            sqlx::query_scalar("SELECT workflow_id FROM tickets WHERE ticket_number = $1")
                .bind(&ticket_id)
                .fetch_optional(pool)
                .await
                .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        workflow_id.ok_or(ApiError::NotFound)?
    };
    let client = state
        .temporal
        .as_ref()
        .ok_or_else(|| ApiError::Unavailable("no Temporal client in this process".into()))?;
    let handle = client.get_workflow_handle::<TicketWorkflow>(workflow_id);
    let ticket = match handle
        .query(TicketWorkflow::status, (), WorkflowQueryOptions::default())
        .await
    {
        Ok(ticket) => ticket,
        // A web reference is handed out before intake opens the ticket.
        Err(WorkflowQueryError::NotFound(_)) if web => {
            return Ok(Json(TicketResponse {
                ticket: None,
                transcript: Vec::new(),
                pending: true,
            }));
        }
        Err(e) => return Err(ApiError::Unavailable(e.to_string())),
    };
    let transcript = handle
        .query(
            TicketWorkflow::transcript,
            (),
            WorkflowQueryOptions::default(),
        )
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(Json(TicketResponse {
        ticket: Some(PublicTicket::from(&ticket)),
        transcript: transcript.into_iter().map(PublicMessage::from).collect(),
        pending: false,
    }))
}
