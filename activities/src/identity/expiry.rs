//! Code expiry as a workflow of its own: after a code goes out, its watch
//! ([`ClaimCodeWatch`]) is started through [`CodeExpiryTimers`] (the
//! worker's Temporal client; none in tests that call the steps directly),
//! and when the watch's timer fires, [`expire`] kills the code unless it
//! was echoed or replaced first. A watch that cannot start (Temporal down)
//! is logged: the stored `code_expires_at` still bounds the code.

use super::codes::CODE_TTL_SECS;
use futures::future::BoxFuture;
use sqlx::PgPool;
use steward_domain::ticket_io::{ClaimCodeFate, ClaimCodeWatch};

/// Starts a code's watching workflow (idempotent per code).
pub trait CodeExpiryTimers: Send + Sync {
    fn start<'a>(&'a self, watch: &'a ClaimCodeWatch) -> BoxFuture<'a, Result<(), String>>;
}

/// The watch for code `serial` of claim `claim_id`, just sent.
pub(super) fn watch_for(claim_id: i64, serial: i32, claimed: String) -> ClaimCodeWatch {
    ClaimCodeWatch {
        claim_id,
        serial,
        claimed,
        expires_in_secs: CODE_TTL_SECS as u64,
    }
}

/// Starts the watch when there is a timer service; a failure to start is
/// logged, never the send's failure (the code went out).
pub(super) async fn start_watch(timers: Option<&dyn CodeExpiryTimers>, watch: ClaimCodeWatch) {
    let Some(timers) = timers else {
        return;
    };
    if let Err(err) = timers.start(&watch).await {
        tracing::warn!(claim = watch.claim_id, serial = watch.serial, %err,
            "the code's expiry watch did not start; its stored expiry still applies");
    }
}

/// Kills the code of `watch` if it is still the claim's live code and the
/// claim is pending; says what became of it otherwise.
pub async fn expire(pool: &PgPool, watch: &ClaimCodeWatch) -> Result<ClaimCodeFate, sqlx::Error> {
    let row: Option<(String, i32)> =
        sqlx::query_as("SELECT status, codes_sent FROM identity_claims WHERE id = $1")
            .bind(watch.claim_id)
            .fetch_optional(pool)
            .await?;
    let fate = match row {
        None => ClaimCodeFate::Closed,
        Some((status, _)) if status == "verified" => ClaimCodeFate::Verified,
        Some((status, _)) if status != "pending" => ClaimCodeFate::Closed,
        Some((_, sent)) if sent > watch.serial => ClaimCodeFate::Superseded,
        Some(_) => {
            sqlx::query(
                "UPDATE identity_claims SET code_expires_at = LEAST(code_expires_at, now())
                 WHERE id = $1 AND status = 'pending' AND codes_sent = $2",
            )
            .bind(watch.claim_id)
            .bind(watch.serial)
            .execute(pool)
            .await?;
            ClaimCodeFate::Expired
        }
    };
    tracing::info!(
        claim = watch.claim_id,
        serial = watch.serial,
        ?fate,
        "claim code watch ended"
    );
    Ok(fate)
}
