//! Who wrote: one customer across channels.
//!
//! An exact identity match wins. A new identity joins an existing customer
//! only when the message states the other identity (or a ticket number) as
//! the sender's own; that link is recorded with its evidence and can be
//! undone; a stated identity nobody owns yet becomes the sender's (so the
//! customer is recognised when they write from it). Mentions that are not
//! self-statements are recorded as proposals
//! for a human and change nothing. Names, surnames, company domains and
//! shared phones never merge anyone.

mod persons;
mod stated;
mod unmerge;

pub use unmerge::{UnmergeError, unmerge};

use crate::crm::identity_owner;
use sqlx::{Postgres, Transaction};
use steward_domain::identity::canonical_email;
use steward_domain::mentions::{Mention, Mentioned, mentions};
use steward_domain::persons::introduced_name;
use steward_domain::references::thread_references;
use steward_domain::{Identity, IdentityKind};
use uuid::Uuid;

type Tx<'a> = Transaction<'a, Postgres>;

/// The form identities are stored and matched in.
pub fn canonical(identity: &Identity) -> Identity {
    match identity.kind {
        IdentityKind::Email => {
            canonical_email(&identity.value).unwrap_or_else(|_| identity.clone())
        }
        _ => identity.clone(),
    }
}

async fn record_link(
    tx: &mut Tx<'_>,
    identity: &Identity,
    customer: Uuid,
    status: &str,
    evidence: &str,
    source: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO identity_links (identity_kind, identity_value, customer_id, status, evidence, source_message_id)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(identity.kind.as_str())
    .bind(&identity.value)
    .bind(customer)
    .bind(status)
    .bind(evidence)
    .bind(source)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Identities the sender states as their own ("my email is …", their
/// signature) that nobody has yet become theirs, so that a later message
/// from that address or number finds them (each one an applied, reversible
/// link with its evidence). Identities someone else owns are never taken.
async fn claim_unowned(
    tx: &mut Tx<'_>,
    customer: Uuid,
    stated: &[Mention],
    source_message_id: &str,
) -> Result<(), sqlx::Error> {
    for mention in stated.iter().filter(|m| m.self_stated) {
        let Mentioned::Identity(identity) = &mention.what else {
            continue;
        };
        let identity = canonical(identity);
        claim(
            tx,
            &identity,
            customer,
            &mention.evidence,
            source_message_id,
        )
        .await?;
    }
    Ok(())
}

/// Gives `identity` to `customer` with an applied link, unless someone
/// owns it already; whether it was given.
async fn claim(
    tx: &mut Tx<'_>,
    identity: &Identity,
    customer: Uuid,
    evidence: &str,
    source_message_id: &str,
) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query(
        "INSERT INTO customer_identities (customer_id, kind, value) VALUES ($1, $2, $3)
         ON CONFLICT (kind, value) DO NOTHING",
    )
    .bind(customer)
    .bind(identity.kind.as_str())
    .bind(&identity.value)
    .execute(&mut **tx)
    .await?;
    let given = claimed.rows_affected() == 1;
    if given {
        record_link(
            tx,
            identity,
            customer,
            "applied",
            evidence,
            source_message_id,
        )
        .await?;
    }
    Ok(given)
}

/// What one inbound message says about its sender.
pub struct Said<'a> {
    pub sender: &'a Identity,
    pub display_name: &'a str,
    /// The email subject ("" on other channels): a reply's thread tag.
    pub subject: &'a str,
    pub body: &'a str,
    pub source_message_id: &'a str,
}

/// The customer behind the sender, linking or proposing from what the
/// message states; then the person it introduces (on a shared identity),
/// what it states as theirs and the references of the threads it replies in.
pub async fn resolve_customer(
    tx: &mut Tx<'_>,
    said: Said<'_>,
    default_region: &str,
) -> Result<Uuid, sqlx::Error> {
    let sender = canonical(said.sender);
    let stated = mentions(said.body, default_region);
    let country = stated::conversation_country(&sender);
    let stated =
        stated::read_national_phones(tx, stated, default_region, country.as_deref()).await?;
    let owner = identity_customer(tx, &sender, &said, &stated).await?;
    let person = introduced_name(said.body);
    let customer = persons::person_on_identity(
        tx,
        &sender,
        owner,
        person.as_deref(),
        said.source_message_id,
    )
    .await?;
    claim_unowned(tx, customer, &stated, said.source_message_id).await?;
    let mut held = thread_references(if said.subject.is_empty() {
        said.body
    } else {
        said.subject
    });
    for mention in stated.iter().filter(|m| !m.others) {
        if let Mentioned::Reference(r) = &mention.what
            && !held.contains(r)
        {
            held.push(r.clone());
        }
    }
    stated::hold_references(tx, customer, &held, said.source_message_id).await?;
    Ok(customer)
}

/// Who `sender` belongs to: its owner; else the customer a self-stated
/// mention points at (the sender joins them); else a new customer, with
/// the other mentions proposed for a human.
async fn identity_customer(
    tx: &mut Tx<'_>,
    sender: &Identity,
    said: &Said<'_>,
    stated: &[Mention],
) -> Result<Uuid, sqlx::Error> {
    if let Some(owner) = identity_owner(tx, sender).await? {
        return Ok(owner);
    }
    let source_message_id = said.source_message_id;
    let mut proposals = Vec::new();
    for mention in stated {
        if matches!(&mention.what, Mentioned::Identity(i) if i == sender) {
            continue;
        }
        let target = stated::mention_owner(tx, mention).await?;
        let Some(target) = target else { continue };
        if mention.self_stated {
            if claim(tx, sender, target, &mention.evidence, source_message_id).await? {
                return Ok(target);
            }
            // Someone registered this identity meanwhile: it decides.
            if let Some(customer) = identity_owner(tx, sender).await? {
                return Ok(customer);
            }
        } else {
            proposals.push((target, mention.evidence.clone()));
        }
    }
    let customer = crate::crm::customer_for_identity(tx, sender, said.display_name).await?;
    for (target, evidence) in proposals {
        if target != customer {
            record_link(tx, sender, target, "proposed", &evidence, source_message_id).await?;
        }
    }
    Ok(customer)
}
