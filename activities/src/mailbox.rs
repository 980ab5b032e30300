//! The Gmail mailbox's activities: history sync (new inbound mails become
//! inbound envelopes on Kafka, like every other channel's messages) and
//! watch renewal. The mailbox workflow calls them one at a time.
//!
//! The stored history id only moves forward after every mail up to it was
//! published, so a crash re-publishes (the ticket drops the duplicate by
//! `Message-ID`) and never skips.

use crate::config::GmailSettings;
use crate::gmail::{Gmail, GmailError, mime};
use futures::future::BoxFuture;
use sqlx::PgPool;
use std::sync::Arc;
use steward_domain::{Channel, Identity, InboundMessage};
use steward_workflows::contracts::{MailboxSyncInput, MailboxSyncOutcome, WatchRenewal};
use temporalio_macros::activities;
use temporalio_sdk::ApplicationFailure;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use uuid::Uuid;

/// Where synced mails go: the inbound topic (the binary wires the gateway's
/// producer in; this crate does not link Kafka).
pub trait EnvelopeSink: Send + Sync {
    fn publish<'a>(&'a self, message: &'a InboundMessage) -> BoxFuture<'a, Result<(), String>>;
}

pub struct MailboxActivities {
    pool: PgPool,
    gmail: Arc<Gmail>,
    sink: Arc<dyn EnvelopeSink>,
}

fn gmail_failure(err: GmailError) -> ActivityError {
    match err {
        GmailError::Permanent(_) => {
            ApplicationFailure::non_retryable(anyhow::Error::from(err)).into()
        }
        other => anyhow::Error::from(other).into(),
    }
}

impl MailboxActivities {
    pub fn new(pool: PgPool, settings: &GmailSettings, sink: Arc<dyn EnvelopeSink>) -> Self {
        Self {
            pool,
            gmail: Arc::new(Gmail::new(settings.clone())),
            sink,
        }
    }

    async fn stored(&self, mailbox: &str) -> Result<Option<(u64, Option<i64>)>, sqlx::Error> {
        let row: Option<(String, Option<chrono::DateTime<chrono::Utc>>)> =
            sqlx::query_as("SELECT history_id::text, watch_expires_at FROM gmail_mailboxes WHERE email_address = $1")
                .bind(mailbox)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(h, w)| (h.parse().unwrap_or(0), w.map(|w| w.timestamp_millis()))))
    }

    async fn store(&self, mailbox: &str, history_id: u64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO gmail_mailboxes (email_address, history_id) VALUES ($1, $2::numeric)
             ON CONFLICT (email_address) DO UPDATE
             SET history_id = GREATEST(gmail_mailboxes.history_id, EXCLUDED.history_id), updated_at = now()",
        )
        .bind(mailbox)
        .bind(history_id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// One new mail as an envelope; `None` for what is not a customer's mail
    /// (our own sent replies, drafts, mail from our own address).
    async fn envelope(
        &self,
        mailbox: &str,
        id: &str,
    ) -> Result<Option<InboundMessage>, GmailError> {
        let message = self.gmail.raw_message(id).await?;
        if message
            .label_ids
            .iter()
            .any(|l| l == "SENT" || l == "DRAFT")
            || !message.label_ids.iter().any(|l| l == "INBOX")
        {
            return Ok(None);
        }
        let mail = match mime::parse_inbound(&message.raw) {
            Ok(mail) => mail,
            Err(err) => {
                tracing::warn!(gmail_id = %id, %err, "skipping a mail Steward cannot read");
                return Ok(None);
            }
        };
        if mail.from_address.eq_ignore_ascii_case(mailbox) {
            return Ok(None);
        }
        let Ok(sender) = Identity::email(&mail.from_address) else {
            tracing::warn!(gmail_id = %id, "skipping a mail with an unusable From address");
            return Ok(None);
        };
        let provider_message_id = if mail.message_id.is_empty() {
            message.id.clone()
        } else {
            mail.message_id
        };
        Ok(Some(InboundMessage {
            envelope_id: Uuid::new_v4().to_string(),
            correlation_id: Uuid::new_v4().to_string(),
            channel: Channel::Email,
            provider_message_id,
            conversation_key: message.thread_id,
            sender,
            sender_name: mail.from_name,
            subject: mail.subject,
            body: mail.text,
            received_at_unix_ms: chrono::Utc::now().timestamp_millis(),
            media: Vec::new(),
            recipient: mailbox.to_owned(),
            reply_address: mail.from_address.clone(),
        }))
    }
}

#[activities]
impl MailboxActivities {
    #[activity(definition = steward_workflows::contracts::SyncMailbox)]
    pub async fn sync_mailbox(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: MailboxSyncInput,
    ) -> Result<MailboxSyncOutcome, ActivityError> {
        let settings = self.gmail.settings().clone();
        let mailbox = input.mailbox.as_str();
        let stored = self.stored(mailbox).await?;
        // Pub/Sub redelivers, and a push can announce what an earlier sync
        // already read: nothing new, no Gmail calls.
        if let (Some((from, watch)), Some(announced)) = (stored, input.announced_history_id)
            && announced <= from
        {
            return Ok(MailboxSyncOutcome {
                published: 0,
                history_id: from,
                watch_expires_unix_ms: watch,
                poll_interval_secs: settings.poll_interval_secs,
                renew_before_secs: settings.renew_before_secs,
            });
        }
        let (ids, next) = match stored {
            // First contact: answer what arrives from now on, not the backlog.
            None => (
                Vec::new(),
                self.gmail
                    .current_history_id()
                    .await
                    .map_err(gmail_failure)?,
            ),
            Some((from, _)) => match self.gmail.history_since(from).await {
                Ok(delta) => (delta.message_ids, delta.history_id),
                Err(GmailError::HistoryExpired(_)) => {
                    tracing::warn!(%mailbox, "history expired; falling back to the last two days of inbox");
                    let now = self
                        .gmail
                        .current_history_id()
                        .await
                        .map_err(gmail_failure)?;
                    (self.gmail.recent_inbox().await.map_err(gmail_failure)?, now)
                }
                Err(err) => return Err(gmail_failure(err)),
            },
        };
        let mut published = 0;
        for id in &ids {
            if let Some(message) = self.envelope(mailbox, id).await.map_err(gmail_failure)? {
                self.sink
                    .publish(&message)
                    .await
                    .map_err(anyhow::Error::msg)?;
                published += 1;
            }
        }
        self.store(mailbox, next).await?;
        tracing::info!(%mailbox, published, history_id = next, "mailbox synced");
        Ok(MailboxSyncOutcome {
            published,
            history_id: next,
            // Storing the history id leaves the watch's expiry as it was.
            watch_expires_unix_ms: stored.and_then(|(_, watch)| watch),
            poll_interval_secs: settings.poll_interval_secs,
            renew_before_secs: settings.renew_before_secs,
        })
    }

    #[activity(definition = steward_workflows::contracts::RenewMailboxWatch)]
    pub async fn renew_mailbox_watch(
        self: Arc<Self>,
        _ctx: ActivityContext,
        mailbox: String,
    ) -> Result<WatchRenewal, ActivityError> {
        let expires = self.gmail.watch().await.map_err(gmail_failure)?;
        sqlx::query(
            "UPDATE gmail_mailboxes SET watch_expires_at = to_timestamp($2::double precision / 1000), updated_at = now()
             WHERE email_address = $1",
        )
        .bind(&mailbox)
        .bind(expires as f64)
        .execute(&self.pool)
        .await?;
        tracing::info!(%mailbox, expires, "gmail watch renewed");
        Ok(WatchRenewal {
            watch_expires_unix_ms: expires,
        })
    }
}
