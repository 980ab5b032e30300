//! Who wrote: one customer across channels.
//!
//! An identity belongs to whoever *used* it through its channel (a signed
//! Twilio webhook from that number, a Gmail message from that address): an
//! exact match of the sender wins. A phone, email or ticket number that a
//! message only *states* as the sender's own is a claim ([`claims`]):
//! recorded with its evidence, shown to humans, and used for nothing a
//! customer can see until a one-time code sent over the claimed channel
//! comes back on the claiming conversation ([`verify`]); only then is it a
//! link (recorded with its evidence, undone by [`unmerge`]). Mentions that
//! are not self-statements are recorded as proposals for a human and
//! change nothing. Names, surnames, company domains and shared phones
//! never merge anyone.

mod claims;
mod codes;
mod delivery;
pub mod expiry;
mod link;
mod persons;
mod stated;
mod unmerge;
mod used;
pub mod verify;
mod wording;

pub use claims::{believed_links, summary_for_humans};
pub use unmerge::{UnmergeError, unmerge};

use sqlx::{Postgres, Transaction};
use steward_domain::identity::canonical_email;
use steward_domain::mentions::{Mention, Mentioned, complete_bare_mailboxes, mentions};
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

/// What one inbound message says about its sender.
pub struct Said<'a> {
    pub sender: &'a Identity,
    pub display_name: &'a str,
    /// The email subject ("" on other channels): a reply's thread tag.
    pub subject: &'a str,
    pub body: &'a str,
    pub source_message_id: &'a str,
}

/// The customer behind the sender (never changed by what the message
/// states); then the person it introduces (on a shared identity), the
/// claims it makes and the references of the threads it replies in.
pub async fn resolve_customer(
    tx: &mut Tx<'_>,
    said: Said<'_>,
    default_region: &str,
) -> Result<Uuid, sqlx::Error> {
    resolve_customer_on(tx, said, default_region, true).await
}

/// [`resolve_customer`] for a message that came through its sender's own
/// channel (`proven`: a signed Twilio webhook, Gmail) or not (a web form,
/// where the address is only typed).
pub async fn resolve_customer_on(
    tx: &mut Tx<'_>,
    said: Said<'_>,
    default_region: &str,
    proven: bool,
) -> Result<Uuid, sqlx::Error> {
    let sender = canonical(said.sender);
    // A bare "ops@" names a mailbox at the sender's own domain.
    let body = match sender.value.rsplit_once('@') {
        Some((_, domain)) if sender.kind == IdentityKind::Email => {
            complete_bare_mailboxes(said.body, domain)
        }
        _ => said.body.to_owned(),
    };
    let stated = mentions(&body, default_region);
    let country = stated::conversation_country(&sender);
    let stated =
        stated::read_national_phones(tx, stated, default_region, country.as_deref()).await?;
    let owner = identity_customer(tx, &sender, &said, &stated, proven).await?;
    let person = introduced_name(said.body);
    let customer = persons::person_on_identity(
        tx,
        &sender,
        owner,
        person.as_deref(),
        steward_domain::persons::disowns_earlier(said.body),
        said.source_message_id,
    )
    .await?;
    claims::record_claims(tx, customer, &sender, &stated, said.source_message_id).await?;
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

/// Who `sender` belongs to: its owner, else a new customer, with the
/// mentions of other people proposed for a human. A self-statement never
/// decides it: it becomes a claim.
async fn identity_customer(
    tx: &mut Tx<'_>,
    sender: &Identity,
    said: &Said<'_>,
    stated: &[Mention],
    proven: bool,
) -> Result<Uuid, sqlx::Error> {
    let source = said.source_message_id;
    let name = said.display_name;
    if let Some(owner) = used::sender_customer(tx, sender, name, proven, source).await? {
        return Ok(owner);
    }
    let mut proposals = Vec::new();
    for mention in stated.iter().filter(|m| !m.self_stated) {
        if matches!(&mention.what, Mentioned::Identity(i) if i == sender) {
            continue;
        }
        if let Some(target) = stated::mention_owner(tx, mention).await? {
            proposals.push((target, mention.evidence.clone()));
        }
    }
    let customer = crate::crm::customer_for_identity(tx, sender, said.display_name).await?;
    if proven {
        used::mark_used(tx, sender).await?;
    }
    for (target, evidence) in proposals {
        if target != customer {
            record_link(
                tx,
                sender,
                target,
                "proposed",
                &evidence,
                said.source_message_id,
            )
            .await?;
        }
    }
    Ok(customer)
}
