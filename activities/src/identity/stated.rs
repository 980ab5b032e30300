//! What a message's mentions point at, for the resolution in [`super`]:
//! national-notation phones read against the numbers we know, ticket
//! references (ours or another help desk's) and the references a reply's
//! thread tag shows the sender holds.

use super::Tx;
use crate::crm::identity_owner;
use steward_domain::Identity;
use steward_domain::identity::{national_candidates, national_in_region};
use steward_domain::mentions::{Mention, Mentioned};
use uuid::Uuid;

/// Turns each national-notation phone into the identity it is. When the
/// conversation says which country it is in (`country`: the sender's phone
/// or the country-code domain of their address), the number is read there
/// and nowhere else: the same digits under another country code are
/// another person's number. Otherwise: the one known international number
/// it is the national form of; with none known, the number in the default
/// region when that region dials a trunk `0`; dropped when several known
/// numbers fit (different people's numbers must not be guessed between).
pub(super) async fn read_national_phones(
    tx: &mut Tx<'_>,
    stated: Vec<Mention>,
    default_region: &str,
    country: Option<&str>,
) -> Result<Vec<Mention>, sqlx::Error> {
    let mut read = Vec::with_capacity(stated.len());
    for mention in stated {
        let Mentioned::NationalPhone(national) = &mention.what else {
            read.push(mention);
            continue;
        };
        if let Some(country) = country {
            if let Some(identity) = national_in_region(national, country) {
                read.push(Mention {
                    what: Mentioned::Identity(identity),
                    ..mention
                });
            }
            continue;
        }
        let candidates: Vec<String> = national_candidates(national)
            .into_iter()
            .map(|i| i.value)
            .collect();
        let known: Vec<String> = sqlx::query_scalar(
            "SELECT value FROM customer_identities WHERE kind = 'phone' AND value = ANY($1)",
        )
        .bind(&candidates)
        .fetch_all(&mut **tx)
        .await?;
        let identity = match known.as_slice() {
            [one] => Identity::phone(one).ok(),
            [] => national_in_region(national, default_region),
            _ => None,
        };
        if let Some(identity) = identity {
            read.push(Mention {
                what: Mentioned::Identity(identity),
                ..mention
            });
        }
    }
    Ok(read)
}

/// The customer holding a bare reference (`#48213`): whoever first wrote
/// about it as theirs or replied in its thread. Never our own ticket of
/// that number: ours are written `TKT-…`, and a bare number is as often an
/// invoice or another help desk's case.
pub(super) async fn reference_owner(
    tx: &mut Tx<'_>,
    reference: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT customer_id FROM ticket_references WHERE reference = $1")
        .bind(reference)
        .fetch_optional(&mut **tx)
        .await
}

/// The country a conversation is in, if its sender says so: their phone's
/// country, or their address's country-code domain (`.co.uk`, `.fr`).
/// Country codes used as generic domains (`.io`, `.co`, `.ai`, `.me`,
/// `.tv`, `.app`-like) say nothing about where someone is.
pub(super) fn conversation_country(sender: &Identity) -> Option<String> {
    match sender.kind {
        steward_domain::IdentityKind::Phone => {
            steward_domain::identity::phone_region(&sender.value)
        }
        steward_domain::IdentityKind::Email => {
            let tld = sender.value.rsplit('.').next()?.to_ascii_lowercase();
            const GENERIC: &[&str] = &["io", "co", "ai", "me", "tv", "fm", "ly", "to", "cc", "ws"];
            if tld.len() != 2 || GENERIC.contains(&tld.as_str()) {
                return None;
            }
            Some(if tld == "uk" {
                "GB".to_owned()
            } else {
                tld.to_ascii_uppercase()
            })
        }
        _ => None,
    }
}

pub(super) async fn ticket_owner(
    tx: &mut Tx<'_>,
    ticket: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT customer_id FROM tickets WHERE ticket_number = $1")
        .bind(ticket)
        .fetch_optional(&mut **tx)
        .await
}

/// The customer a mention points at, if anyone holds it.
pub(super) async fn mention_owner(
    tx: &mut Tx<'_>,
    mention: &Mention,
) -> Result<Option<Uuid>, sqlx::Error> {
    match &mention.what {
        Mentioned::Identity(i) => identity_owner(tx, i).await,
        Mentioned::Ticket(t) => ticket_owner(tx, t).await,
        Mentioned::Reference(r) => reference_owner(tx, r).await,
        // Read into identities by `read_national_phones` before this.
        Mentioned::NationalPhone(_) => Ok(None),
    }
}

/// Records that `customer` holds the references of the threads this
/// message replies in, and those it mentions as its own or without naming
/// anyone else ("ticket #51907: our webhook…", not "on behalf of Inês on
/// #48213"), unless someone already does: the first holder keeps it.
pub(super) async fn hold_references(
    tx: &mut Tx<'_>,
    customer: Uuid,
    references: &[String],
    source_message_id: &str,
) -> Result<(), sqlx::Error> {
    for reference in references {
        sqlx::query(
            "INSERT INTO ticket_references (reference, customer_id, evidence, source_message_id)
             VALUES ($1, $2, $3, $4) ON CONFLICT (reference) DO NOTHING",
        )
        .bind(reference)
        .bind(customer)
        .bind(format!("wrote about #{reference} first"))
        .bind(source_message_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
