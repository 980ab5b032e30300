//! Handing one envelope to Temporal, or to the dead-letter topic.

use super::Intake;
use crate::producer::headers;
use crate::producer::{MAILBOX_SCHEMA, MailboxNotice};
use rdkafka::Message;
use rdkafka::message::{Header, Headers, OwnedHeaders, OwnedMessage};
use rdkafka::producer::FutureRecord;
use rdkafka::util::Timeout;
use std::time::Duration;
use steward_domain::desk_view::start_summary;
use steward_domain::{InboundMessage, ticket_workflow_id};
use steward_workflows::{
    MailboxPush, MailboxStart, MailboxWorkflow, TicketStart, TicketWorkflow, mailbox_workflow_id,
};
use temporalio_client::errors::WorkflowStartError;
use temporalio_client::{WorkflowIdConflictPolicy, WorkflowStartOptions};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// What became of one message.
pub(crate) enum Outcome {
    /// Temporal accepted it, or the DLQ did: store the offset.
    Done,
    /// Shutting down before it was accepted: leave the offset alone.
    Interrupted,
}

impl Intake {
    pub(crate) async fn handle(
        &self,
        message: &OwnedMessage,
        shutdown: &CancellationToken,
    ) -> Outcome {
        if header_value(message, headers::SCHEMA).as_deref() == Some(MAILBOX_SCHEMA) {
            return self.handle_mailbox_notice(message, shutdown).await;
        }
        let inbound = match InboundMessage::decode_envelope(message.payload().unwrap_or_default()) {
            Ok(m) => m,
            Err(err) => return self.dead_letter(message, &err.to_string(), shutdown).await,
        };
        let workflow_id = ticket_workflow_id(inbound.channel, &inbound.conversation_key);
        let span =
            tracing::info_span!("intake", correlation_id = %inbound.correlation_id, %workflow_id);
        match self
            .deliver(&workflow_id, &inbound, shutdown)
            .instrument(span)
            .await
        {
            Ok(Outcome::Done) => {
                crate::metrics::INTAKE_MESSAGES
                    .with_label_values(&["accepted"])
                    .inc();
                Outcome::Done
            }
            Ok(outcome) => outcome,
            Err(reason) => self.dead_letter(message, &reason, shutdown).await,
        }
    }

    /// Signal-with-start, retried with back-off while Temporal is
    /// unavailable; `Err` with the reason when the message can never be taken.
    async fn deliver(
        &self,
        workflow_id: &str,
        inbound: &InboundMessage,
        shutdown: &CancellationToken,
    ) -> Result<Outcome, String> {
        let outcome = self
            .with_backoff(shutdown, || self.signal_with_start(workflow_id, inbound))
            .await;
        if let Ok(Outcome::Done) = outcome {
            tracing::info!(provider_message_id = %inbound.provider_message_id, "ticket signalled");
        }
        outcome
    }

    /// A Gmail push: signal-with-start the mailbox's sync workflow.
    async fn handle_mailbox_notice(
        &self,
        message: &OwnedMessage,
        shutdown: &CancellationToken,
    ) -> Outcome {
        let notice: MailboxNotice =
            match serde_json::from_slice(message.payload().unwrap_or_default()) {
                Ok(n) => n,
                Err(err) => {
                    let reason = format!("not a mailbox notice: {err}");
                    return self.dead_letter(message, &reason, shutdown).await;
                }
            };
        let workflow_id = mailbox_workflow_id(&notice.email_address);
        let options =
            WorkflowStartOptions::new(self.config.task_queue.clone(), workflow_id.clone())
                .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
                .build();
        let attempt = || {
            self.client.signal_with_start_workflow(
                MailboxWorkflow::run,
                MailboxStart {
                    mailbox: notice.email_address.clone(),
                    watch_expires_unix_ms: None,
                },
                MailboxWorkflow::push,
                MailboxPush {
                    history_id: notice.history_id,
                },
                options.clone(),
            )
        };
        match self
            .with_backoff(shutdown, || async { attempt().await.map(|_| ()) })
            .await
        {
            Ok(outcome) => outcome,
            Err(reason) => self.dead_letter(message, &reason, shutdown).await,
        }
    }

    /// Runs `attempt` until it succeeds, backing off while Temporal is
    /// unavailable; `Err` with the reason when it can never succeed.
    async fn with_backoff<F, Fut>(
        &self,
        shutdown: &CancellationToken,
        attempt: F,
    ) -> Result<Outcome, String>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<(), WorkflowStartError>>,
    {
        let mut backoff = Duration::from_millis(100);
        loop {
            match attempt().await {
                Ok(()) => {
                    return Ok(Outcome::Done);
                }
                Err(err) if is_permanent(&err) => return Err(err.to_string()),
                Err(err) => {
                    tracing::warn!(%err, ?backoff, "temporal unavailable; retrying");
                    tokio::select! {
                        _ = shutdown.cancelled() => return Ok(Outcome::Interrupted),
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_millis(self.config.max_backoff_ms));
                }
            }
        }
    }

    async fn signal_with_start(
        &self,
        workflow_id: &str,
        inbound: &InboundMessage,
    ) -> Result<(), WorkflowStartError> {
        // The summary only takes effect when this message starts the ticket.
        let options =
            WorkflowStartOptions::new(self.config.task_queue.clone(), workflow_id.to_owned())
                .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
                .static_summary(start_summary(inbound))
                .build();
        self.client
            .signal_with_start_workflow(
                TicketWorkflow::run,
                TicketStart::default(),
                TicketWorkflow::customer_message,
                serde_json::to_value(inbound).unwrap_or_default(),
                options,
            )
            .await
            .map(|_| ())
    }

    /// Copies the message to the DLQ with the reason in a header.
    async fn dead_letter(
        &self,
        message: &OwnedMessage,
        reason: &str,
        shutdown: &CancellationToken,
    ) -> Outcome {
        let source = format!(
            "{}/{}/{}",
            message.topic(),
            message.partition(),
            message.offset()
        );
        tracing::error!(%reason, %source, "message sent to the dead-letter topic");
        let mut dlq_headers = OwnedHeaders::new();
        if let Some(original) = message.headers() {
            for h in original.iter() {
                dlq_headers = dlq_headers.insert(Header {
                    key: h.key,
                    value: h.value,
                });
            }
        }
        let dlq_headers = dlq_headers
            .insert(Header {
                key: headers::DLQ_REASON,
                value: Some(reason),
            })
            .insert(Header {
                key: headers::DLQ_SOURCE,
                value: Some(source.as_str()),
            });
        loop {
            let mut record = FutureRecord::to(&self.dlq_topic)
                .payload(message.payload().unwrap_or_default())
                .headers(dlq_headers.clone());
            if let Some(key) = message.key() {
                record = record.key(key);
            }
            match self.dlq.send(record, Timeout::Never).await {
                Ok(_) => {
                    crate::metrics::INTAKE_MESSAGES
                        .with_label_values(&["dlq"])
                        .inc();
                    return Outcome::Done;
                }
                Err((err, _)) => {
                    tracing::warn!(%err, "dead-letter produce failed; retrying");
                    tokio::select! {
                        _ = shutdown.cancelled() => return Outcome::Interrupted,
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        }
    }
}

/// Errors that a retry cannot fix: the payload itself is unacceptable.
fn is_permanent(err: &WorkflowStartError) -> bool {
    use temporalio_client::tonic::Code;
    match err {
        WorkflowStartError::PayloadConversion(_) => true,
        WorkflowStartError::Rpc(status) => matches!(status.code(), Code::InvalidArgument),
        _ => false,
    }
}

fn header_value(message: &OwnedMessage, name: &str) -> Option<String> {
    let headers = message.headers()?;
    headers
        .iter()
        .find(|h| h.key == name)
        .and_then(|h| h.value)
        .map(|v| String::from_utf8_lossy(v).into_owned())
}
