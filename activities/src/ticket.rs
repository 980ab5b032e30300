//! The ticket activities, bound to the contracts in `steward_workflows::contracts`.

use crate::channels::{Channels, DeliveryError};
use crate::config::ActivitySettings;
use crate::identity::expiry::CodeExpiryTimers;
use crate::ledger::{self, SendError};
use crate::llm::{Llm, LlmError};
use crate::{crm, kb};
use secrecy::ExposeSecret;
use serde_json::json;
use sqlx::PgPool;
use std::sync::Arc;
use steward_domain::guardrails::Triage;
use steward_domain::reply_check::{self, ReplyProblem};
use steward_workflows::contracts::*;
use temporalio_macros::activities;
use temporalio_sdk::ApplicationFailure;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// Every activity a ticket uses; the SDK shares one instance (behind an
/// `Arc`) between concurrent activity tasks.
pub struct TicketActivities {
    pool: PgPool,
    settings: ActivitySettings,
    channels: Channels,
    llm: Llm,
    http: reqwest::Client,
    /// Starts each claim code's expiry workflow (the worker's client).
    code_timers: Option<Arc<dyn CodeExpiryTimers>>,
}

impl TicketActivities {
    pub fn new(pool: PgPool, settings: ActivitySettings) -> Self {
        Self {
            channels: Channels::new(settings.twilio.clone(), settings.gmail.clone()),
            llm: Llm::new(settings.llm.clone()),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            pool,
            settings,
            code_timers: None,
        }
    }

    /// Claim codes sent from now on get an expiry workflow through `timers`.
    pub fn with_code_timers(mut self, timers: Arc<dyn CodeExpiryTimers>) -> Self {
        self.code_timers = Some(timers);
        self
    }

    /// Posts a Slack-compatible message to the human queue, if configured.
    async fn post_to_queue(&self, payload: serde_json::Value) -> Result<(), ActivityError> {
        let Some(url) = &self.settings.human_queue_webhook else {
            return Ok(());
        };
        // `without_url`: the URL is the secret, and errors end up in logs
        // and in the workflow's history.
        let response = self
            .http
            .post(url.expose_secret())
            .json(&payload)
            .send()
            .await
            .map_err(reqwest::Error::without_url)?;
        if !response.status().is_success() {
            return Err(anyhow::anyhow!("human queue answered {}", response.status()).into());
        }
        Ok(())
    }
}

fn permanent(err: impl std::fmt::Display) -> ActivityError {
    ActivityError::application(ApplicationFailure::non_retryable(anyhow::anyhow!("{err}")))
}

#[activities]
impl TicketActivities {
    #[activity(definition = steward_workflows::contracts::LoadPolicy)]
    pub async fn load_policy(
        self: Arc<Self>,
        _ctx: ActivityContext,
    ) -> Result<TicketPolicy, ActivityError> {
        Ok(self.settings.policy.clone())
    }

    /// Customer, ticket and message in one transaction, so a retry after a
    /// crash either finds everything or nothing.
    #[activity(definition = steward_workflows::contracts::RecordInbound)]
    #[tracing::instrument(skip_all, fields(
        workflow_id = %input.workflow_id,
        correlation_id = %input.message.correlation_id,
        provider_message_id = %input.message.provider_message_id,
    ))]
    pub async fn record_inbound(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: RecordInboundInput,
    ) -> Result<RecordedInbound, ActivityError> {
        let message = &input.message;
        let mut tx = self.pool.begin().await?;
        let said = crate::identity::Said {
            sender: &message.sender,
            display_name: &message.sender_name,
            subject: &message.subject,
            body: &message.body,
            source_message_id: &message.provider_message_id,
        };
        // A web form only types an address; the other channels prove theirs.
        let proven = message.channel != steward_domain::Channel::Web;
        let region = &self.settings.default_region;
        let customer_id =
            crate::identity::resolve_customer_on(&mut tx, said, region, proven).await?;
        let (ticket_row, ticket_number) = crm::ticket_for_key(
            &mut tx,
            &input.ticket_key,
            &input.workflow_id,
            customer_id,
            input.channel,
            &message.subject,
        )
        .await?;
        let inserted = crm::insert_inbound_message(&mut tx, ticket_row, message).await?;
        let checked = crate::identity::verify::check_message(
            &mut tx,
            &input.ticket_key,
            ticket_row,
            message,
            inserted,
        )
        .await?;
        tx.commit().await?;
        // Codes go out after the commit: the claims they prove are stored.
        let verification = crate::identity::verify::send_codes(
            &self.pool,
            &self.channels,
            self.code_timers.as_deref(),
            input.channel,
            checked,
        )
        .await?;
        if let (true, Some(links)) = (inserted, &self.settings.status_links) {
            crate::status_link::send_on_continuation(
                &self.pool,
                &self.channels,
                links,
                ticket_row,
                &input.workflow_id,
                message,
            )
            .await?;
        }
        // A verified claim may have moved this conversation to another customer.
        let customer_id: uuid::Uuid =
            sqlx::query_scalar("SELECT customer_id FROM tickets WHERE id = $1")
                .bind(ticket_row)
                .fetch_optional(&self.pool)
                .await?
                .unwrap_or(customer_id);
        tracing::info!(ticket = %ticket_number, inserted, verification = ?verification.as_ref().map(|v| v.outcome), "inbound message recorded");
        Ok(RecordedInbound {
            ticket_id: ticket_number,
            customer_id: customer_id.to_string(),
            inserted,
            verification,
        })
    }

    #[activity(definition = steward_workflows::contracts::TriageMessage)]
    pub async fn triage_message(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: TriageInput,
    ) -> Result<Triage, ActivityError> {
        let triage = crate::triage::classify(&input.subject, &input.body).await;
        tracing::info!(ticket = %input.ticket_id, escalate = ?triage.escalate, evidence = ?triage.evidence, model = ?triage.model_version, "triaged");
        Ok(triage)
    }

    #[activity(definition = steward_workflows::contracts::SearchKb)]
    pub async fn search_kb(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: KbQuery,
    ) -> Result<KbResults, ActivityError> {
        Ok(kb::search(&self.pool, &input.query, input.limit).await?)
    }

    #[activity(definition = steward_workflows::contracts::DraftReply)]
    pub async fn draft_reply(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: DraftInput,
    ) -> Result<Draft, ActivityError> {
        Ok(kb::answerable::draft(&self.pool, &input).await?)
    }

    #[activity(definition = steward_workflows::contracts::LlmComplete)]
    pub async fn llm_complete(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: LlmInput,
    ) -> Result<LlmOutput, ActivityError> {
        match self.llm.complete(&input).await {
            Ok(out) => Ok(out),
            Err(err @ LlmError::Rejected(_)) => Err(permanent(err)),
            Err(err) => Err(anyhow::Error::from(err).into()),
        }
    }

    #[activity(definition = steward_workflows::contracts::CheckReply)]
    pub async fn check_reply(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: CheckReplyInput,
    ) -> Result<Vec<ReplyProblem>, ActivityError> {
        Ok(reply_check::check_reply(input.channel, &input.text))
    }

    #[activity(definition = steward_workflows::contracts::SendReply)]
    #[tracing::instrument(skip_all, fields(ticket = %input.ticket_id, key = %input.idempotency_key, correlation_id = %input.correlation_id))]
    pub async fn send_reply(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: SendInput,
    ) -> Result<SendOutcome, ActivityError> {
        // A permanent refusal comes back as `Undeliverable`; errors here
        // (database, a provider that may accept later) are worth retrying.
        let workflow_id = ctx.info().workflow_id.clone().unwrap_or_default();
        Ok(
            ledger::send(&self.pool, &self.channels, &input, &workflow_id)
                .await
                .map_err(anyhow::Error::from)?,
        )
    }

    #[activity(definition = steward_workflows::contracts::RecordDeliveryReceipt)]
    pub async fn record_delivery_receipt(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: DeliveryStatusInput,
    ) -> Result<ReceiptRecorded, ActivityError> {
        match crate::receipts::record(&self.pool, &input).await {
            Ok(recorded) => Ok(recorded),
            Err(err @ crate::receipts::ReceiptError::UnknownStatus(_)) => Err(permanent(err)),
            Err(err) => Err(anyhow::Error::from(err).into()),
        }
    }

    #[activity(definition = steward_workflows::contracts::RedeliverFailed)]
    pub async fn redeliver_failed(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: RedeliverInput,
    ) -> Result<RedeliveryOutcome, ActivityError> {
        match ledger::redeliver_by_email(&self.pool, &self.channels, &input).await {
            Ok(Some(outcome)) if outcome.status != SendStatus::Undeliverable => {
                Ok(RedeliveryOutcome {
                    via: Some(steward_domain::Channel::Email),
                    provider_message_id: outcome.provider_message_id,
                })
            }
            Ok(_) => Ok(RedeliveryOutcome {
                via: None,
                provider_message_id: None,
            }),
            Err(SendError::Delivery(err @ DeliveryError::Permanent(_))) => Err(permanent(err)),
            Err(err) => Err(anyhow::Error::from(err).into()),
        }
    }

    #[activity(definition = steward_workflows::contracts::FindOpenTicket)]
    pub async fn find_open_ticket(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: OpenTicketQuery,
    ) -> Result<Option<OpenTicket>, ActivityError> {
        Ok(crm::find_open_ticket(&self.pool, &input).await?)
    }

    #[activity(definition = steward_workflows::contracts::MarkMerged)]
    pub async fn mark_merged(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: MergeInput,
    ) -> Result<(), ActivityError> {
        Ok(crm::mark_merged(&self.pool, &input).await?)
    }

    #[activity(definition = steward_workflows::contracts::Escalate)]
    pub async fn escalate(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: EscalateInput,
    ) -> Result<(), ActivityError> {
        crm::record_escalation(&self.pool, &input).await?;
        // Humans see what was only claimed, marked as such.
        let claims = crate::identity::summary_for_humans(&self.pool, &input.ticket_key).await?;
        let due = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(input.ack_due_unix_ms)
            .unwrap_or_default();
        let claims_line = if claims.is_empty() {
            String::new()
        } else {
            format!("\nIdentity claims on this ticket:\n{claims}")
        };
        self.post_to_queue(json!({
            "text": format!("[tier {}] {} escalated ({}): respond by {}. {}{claims_line}", input.tier, input.ticket_id,
                input.reason.as_str(), due.to_rfc3339(), input.summary.chars().take(300).collect::<String>()),
            "ticket_id": input.ticket_id,
            "identity_claims": claims,
            "reason": input.reason.as_str(),
            "tier": input.tier,
            "ack_due": due.to_rfc3339(),
        }))
        .await
    }

    #[activity(definition = steward_workflows::contracts::NotifyHumans)]
    pub async fn notify_humans(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: NoticeInput,
    ) -> Result<(), ActivityError> {
        let kind = serde_json::to_value(input.kind)?;
        self.post_to_queue(json!({
            "text": format!("[tier {}] {} {}: {}", input.tier, input.ticket_id, kind.as_str().unwrap_or(""),
                input.text.chars().take(300).collect::<String>()),
            "ticket_id": input.ticket_id,
            "kind": kind,
            "tier": input.tier,
        }))
        .await
    }

    #[activity(definition = steward_workflows::contracts::RecordTicketEvent)]
    pub async fn record_ticket_event(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: TicketEvent,
    ) -> Result<(), ActivityError> {
        Ok(crm::record_ticket_event(&self.pool, &input).await?)
    }
}
