//! A claim becomes a link only when the customer proves it: Steward sends
//! a one-time code over the claimed channel ([`super::delivery`]) and the
//! customer echoes it on the conversation that made the claim. This part
//! runs inside the `record_inbound` transaction: it ties the message's
//! claims to its conversation, records them as ticket events for humans,
//! and checks a code the message carries.

use super::codes::{MAX_ATTEMPTS, MAX_SENDS, MAX_SENDS_PER_DAY, codes_in, matches};
use super::link::link;
use super::{Tx, wording};
use steward_domain::InboundMessage;
use steward_domain::ticket_io::VerificationNote;
use uuid::Uuid;

pub use super::delivery::send_codes;

/// A claim whose code is due to go out once the transaction commits.
#[derive(Debug)]
pub struct Due {
    pub(super) claim_id: i64,
    pub(super) kind: String,
    pub(super) value: String,
    pub(super) codes_sent: i32,
}

/// What the message did to verification before any code goes out.
#[derive(Debug, Default)]
pub struct Checked {
    pub(super) note: Option<VerificationNote>,
    pub(super) due: Vec<Due>,
}

async fn ticket_event(
    tx: &mut Tx<'_>,
    ticket: Uuid,
    event: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ticket_events (ticket_id, event, status, detail)
         SELECT id, $2, status, $3 FROM tickets WHERE id = $1",
    )
    .bind(ticket)
    .bind(event)
    .bind(detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The message's claims belong to its conversation (`ticket_key`); a
/// newly stored message's claims are shown on the ticket, and a code it
/// carries is checked against the conversation's live codes.
pub async fn check_message(
    tx: &mut Tx<'_>,
    ticket_key: &str,
    ticket: Uuid,
    message: &InboundMessage,
    inserted: bool,
) -> Result<Checked, sqlx::Error> {
    let made: Vec<(i64, String, String, i32, bool, String)> = sqlx::query_as(
        "UPDATE identity_claims SET ticket_key = $1
         WHERE source_message_id = $2 AND status = 'pending'
         RETURNING id, claimed_kind, claimed_value, codes_sent,
                   COALESCE(code_expires_at > now(), false), evidence",
    )
    .bind(ticket_key)
    .bind(&message.provider_message_id)
    .fetch_all(&mut **tx)
    .await?;
    if !inserted {
        return Ok(Checked::default());
    }
    for (_, kind, value, _, _, evidence) in &made {
        let detail = format!(
            "{} {} claims {kind} {value} as theirs (\"{evidence}\"): UNVERIFIED, used for nothing until a code sent to it comes back",
            message.channel, message.sender.value
        );
        ticket_event(tx, ticket, "identity_claimed", &detail).await?;
    }
    if let Some(note) = echo(tx, ticket_key, ticket, message).await? {
        return Ok(Checked {
            note: Some(note),
            due: Vec::new(),
        });
    }
    let mut checked = Checked::default();
    let mut sent_today: i64 = sqlx::query_scalar(
        "SELECT COALESCE(SUM(codes_sent), 0) FROM identity_claims
         WHERE customer_id IN (SELECT customer_id FROM identity_claims WHERE source_message_id = $1)
           AND created_at > now() - interval '1 day'",
    )
    .bind(&message.provider_message_id)
    .fetch_one(&mut **tx)
    .await?;
    for (claim_id, kind, value, codes_sent, live, _) in made {
        if live {
            continue; // a code is out already: restating it sends no other
        }
        if codes_sent >= MAX_SENDS || sent_today >= MAX_SENDS_PER_DAY {
            let detail = format!("claim of {kind} {value}: its codes for now are used, none sent");
            checked
                .note
                .get_or_insert(wording::not_sent(&kind, &value, detail));
            continue;
        }
        sent_today += 1;
        checked.due.push(Due {
            claim_id,
            kind,
            value,
            codes_sent,
        });
    }
    Ok(checked)
}

#[derive(sqlx::FromRow)]
pub(super) struct LiveClaim {
    pub(super) id: i64,
    pub(super) claimed_kind: String,
    pub(super) claimed_value: String,
    pub(super) customer_id: Uuid,
    pub(super) claimant_kind: String,
    pub(super) claimant_value: String,
    pub(super) evidence: String,
    pub(super) code_salt: Vec<u8>,
    pub(super) code_hash: Vec<u8>,
}

/// A code in the message against the conversation's live codes: the
/// matching claim is linked; otherwise each live claim loses an attempt.
async fn echo(
    tx: &mut Tx<'_>,
    ticket_key: &str,
    ticket: Uuid,
    message: &InboundMessage,
) -> Result<Option<VerificationNote>, sqlx::Error> {
    let codes = codes_in(&message.body);
    if codes.is_empty() {
        return Ok(None);
    }
    let live: Vec<LiveClaim> = sqlx::query_as(
        "SELECT id, claimed_kind, claimed_value, customer_id, claimant_kind, claimant_value,
                evidence, code_salt, code_hash
         FROM identity_claims
         WHERE ticket_key = $1 AND status = 'pending' AND code_hash IS NOT NULL
           AND code_expires_at > now()
         ORDER BY id FOR UPDATE",
    )
    .bind(ticket_key)
    .fetch_all(&mut **tx)
    .await?;
    if live.is_empty() {
        return Ok(None); // six digits on a conversation without a code are just text
    }
    // Every candidate is checked against every claim: no early exit whose
    // timing would tell which code was close.
    let matched = live
        .iter()
        .filter(|c| {
            codes.iter().fold(false, |hit, code| {
                hit | matches(&c.code_salt, &c.code_hash, *code)
            })
        })
        .map(|c| c.id)
        .next();
    if let Some(claim) = live.iter().find(|c| Some(c.id) == matched) {
        let detail = link(tx, claim, &message.provider_message_id).await?;
        ticket_event(tx, ticket, "identity_verified", &detail).await?;
        return Ok(Some(wording::verified(
            &claim.claimed_kind,
            &claim.claimed_value,
            detail,
        )));
    }
    let ids: Vec<i64> = live.iter().map(|c| c.id).collect();
    let attempts: Vec<i32> = sqlx::query_scalar(
        "UPDATE identity_claims SET attempts = attempts + 1,
             status = CASE WHEN attempts + 1 >= $2 THEN 'failed' ELSE status END,
             code_hash = CASE WHEN attempts + 1 >= $2 THEN NULL ELSE code_hash END
         WHERE id = ANY($1) RETURNING attempts",
    )
    .bind(&ids)
    .bind(MAX_ATTEMPTS)
    .fetch_all(&mut **tx)
    .await?;
    let left = MAX_ATTEMPTS - attempts.into_iter().max().unwrap_or(MAX_ATTEMPTS);
    let detail = format!("a wrong verification code on this conversation; {left} attempt(s) left");
    ticket_event(tx, ticket, "identity_code_wrong", &detail).await?;
    Ok(Some(wording::code_wrong(left, detail)))
}
