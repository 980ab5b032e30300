//! Claims: a phone, email or ticket number a message states as the
//! sender's own. Recorded with its evidence and shown to humans; it moves
//! no identity, joins no customer and merges no ticket until the customer
//! proves it (see [`super::verify`]).

use super::{Tx, canonical, stated};
use sqlx::PgPool;
use steward_domain::mentions::{Mention, Mentioned};
use steward_domain::{Identity, IdentityKind};
use uuid::Uuid;

/// What a claim names: (`phone` | `email` | `ticket` | `reference`, value).
fn claimed(mention: &Mention) -> Option<(&'static str, String)> {
    match &mention.what {
        Mentioned::Identity(i) => match i.kind {
            IdentityKind::Phone | IdentityKind::Email => {
                let i = canonical(i);
                Some((i.kind.as_str(), i.value))
            }
            IdentityKind::External => None,
        },
        Mentioned::Ticket(t) => Some(("ticket", t.clone())),
        Mentioned::Reference(r) => Some(("reference", r.clone())),
        Mentioned::NationalPhone(_) => None,
    }
}

/// Records every self-statement of `customer` (writing from `sender`) that
/// names something not already theirs; a restated claim keeps its row
/// (its code budget) and moves to the newest conversation that states it.
pub(super) async fn record_claims(
    tx: &mut Tx<'_>,
    customer: Uuid,
    sender: &Identity,
    stated: &[Mention],
    source_message_id: &str,
) -> Result<(), sqlx::Error> {
    for mention in stated.iter().filter(|m| m.self_stated) {
        let Some((kind, value)) = claimed(mention) else {
            continue;
        };
        if kind == sender.kind.as_str() && value == sender.value {
            continue;
        }
        let holder = match &mention.what {
            Mentioned::Identity(i) => crate::crm::identity_owner(tx, &canonical(i)).await?,
            _ => stated::mention_owner(tx, mention).await?,
        };
        if holder == Some(customer) {
            continue;
        }
        let evidence = &mention.evidence;
        let claimed = (kind, value.as_str());
        insert(tx, customer, sender, claimed, evidence, source_message_id).await?;
    }
    Ok(())
}

/// Records that `customer`, writing from `sender`, claims `claimed`.
pub(super) async fn record(
    tx: &mut Tx<'_>,
    customer: Uuid,
    sender: &Identity,
    claimed: &Identity,
    evidence: &str,
    source_message_id: &str,
) -> Result<(), sqlx::Error> {
    let claimed = (claimed.kind.as_str(), claimed.value.as_str());
    insert(tx, customer, sender, claimed, evidence, source_message_id).await
}

async fn insert(
    tx: &mut Tx<'_>,
    customer: Uuid,
    sender: &Identity,
    (kind, value): (&str, &str),
    evidence: &str,
    source_message_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO identity_claims (claimed_kind, claimed_value, customer_id, claimant_kind,
                                      claimant_value, evidence, source_message_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (customer_id, claimed_kind, claimed_value) DO UPDATE
           SET evidence = EXCLUDED.evidence, source_message_id = EXCLUDED.source_message_id
           WHERE identity_claims.status = 'pending'",
    )
    .bind(kind)
    .bind(value)
    .bind(customer)
    .bind(sender.kind.as_str())
    .bind(&sender.value)
    .bind(evidence)
    .bind(source_message_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The customer a claim by `claimant` names: on a shared phone or mailbox
/// the person the claimant is there ([`super::persons::claimed_person`]),
/// else [`holder`].
pub(super) async fn holder_for(
    tx: &mut Tx<'_>,
    claimant: Uuid,
    kind: &str,
    value: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    if matches!(kind, "phone" | "email")
        && let Some(person) = super::persons::claimed_person(tx, claimant, kind, value).await?
    {
        return Ok(Some(person));
    }
    holder(tx, kind, value).await
}

/// The customer holding what a claim names now, if anyone.
pub(super) async fn holder(
    tx: &mut Tx<'_>,
    kind: &str,
    value: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    match kind {
        "ticket" => stated::ticket_owner(tx, value).await,
        "reference" => stated::reference_owner(tx, value).await,
        _ => {
            sqlx::query_scalar(
                "SELECT customer_id FROM customer_identities WHERE kind = $1 AND value = $2",
            )
            .bind(kind)
            .bind(value)
            .fetch_optional(&mut **tx)
            .await
        }
    }
}

/// Who the system believes is who: (claimant, holder, verified) for every
/// claim that has not failed and whose target someone holds now (or,
/// held by nobody, another sender claimed first). A
/// verified claim is a link; an unverified one only a belief.
pub async fn believed_links(tx: &mut Tx<'_>) -> Result<Vec<(Uuid, Uuid, bool)>, sqlx::Error> {
    let claims: Vec<(Uuid, String, String, bool)> = sqlx::query_as(
        "SELECT customer_id, claimed_kind, claimed_value, status = 'verified'
         FROM identity_claims WHERE status <> 'failed' ORDER BY id",
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut links = Vec::with_capacity(claims.len());
    for (i, (claimant, kind, value, verified)) in claims.iter().enumerate() {
        if let Some(holder) = holder_for(tx, *claimant, kind, value).await? {
            links.push((*claimant, holder, *verified));
            continue;
        }
        // Nobody holds it: two senders who each state the same phone or
        // address as their own name one person (the first claimant), as
        // far as belief goes; nothing is verified without a holder.
        let first = claims[..i]
            .iter()
            .find(|(other, k, v, _)| other != claimant && k == kind && v == value);
        if let Some((first, ..)) = first {
            links.push((*claimant, *first, false));
        }
    }
    Ok(links)
}

/// The ticket's open claims in one line each, for the humans who pick it
/// up (escalations): unverified, so nothing in them is to be trusted.
pub async fn summary_for_humans(pool: &PgPool, ticket_key: &str) -> Result<String, sqlx::Error> {
    let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT claimant_value, claimed_kind, claimed_value, status, evidence
         FROM identity_claims WHERE ticket_key = $1 ORDER BY id",
    )
    .bind(ticket_key)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(claimant, kind, value, status, evidence)| {
            let status = if status == "verified" {
                "verified by code"
            } else {
                "UNVERIFIED: do not share its account details"
            };
            format!("{claimant} claims {kind} {value} ({status}): \"{evidence}\"")
        })
        .collect::<Vec<_>>()
        .join("\n"))
}
