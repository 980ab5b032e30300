//! The public HTTP API as an OpenAPI 3.1 document, generated from the
//! handlers' annotations and served at `/api/openapi.json`.

use axum::Json;
use serde::Serialize;
use utoipa::OpenApi;

/// The error body of every non-2xx answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable code: forbidden, bad_request, payload_too_large, unsupported_media_type,
    /// not_found, unavailable, internal.
    pub error: String,
    pub message: String,
}

/// The web support form (`steward_domain::web_form::SupportForm`, which
/// has the rules; this is its shape for the document).
#[derive(Serialize, utoipa::ToSchema)]
pub struct SupportFormBody {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: String,
    pub category: String,
    pub subject: String,
    pub message: String,
    /// The honeypot: left empty by people.
    #[serde(default)]
    pub website: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Steward", description = "Customer-success agent: webhooks, ticket API and operations endpoints."),
    paths(
        crate::twilio_webhooks::whatsapp,
        crate::twilio_webhooks::status,
        crate::gmail_push::push,
        crate::web_form::form_page,
        crate::web_form::asset,
        crate::web_form::status_page,
        crate::web_form::submit,
        crate::tickets_api::get_ticket,
        serve,
        crate::app::health,
        crate::app::ready,
        crate::app::metrics,
    ),
    components(schemas(ErrorBody, Health, SupportFormBody, crate::readiness::ReadinessReport, crate::readiness::CheckResult,
        crate::tickets_api::TicketResponse, crate::tickets_api::PublicTicket, crate::tickets_api::PublicMessage, crate::gmail_push::PushBody, crate::gmail_push::PushMessage)),
    tags(
        (name = "webhooks", description = "Provider callbacks, verified before anything is enqueued"),
        (name = "tickets", description = "The customer-facing ticket API"),
        (name = "web", description = "The web support form and the customer's status page"),
        (name = "operations", description = "Health, readiness, metrics"),
    )
)]
pub struct ApiDoc;

#[utoipa::path(get, path = "/api/openapi.json", tag = "operations",
    responses((status = 200, description = "This document", content_type = "application/json")))]
pub(crate) async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
