//! Several people behind one phone or mailbox (see
//! `steward_domain::persons`): each person introduced on a shared identity
//! is recorded with the customer they are, so a family phone's second
//! user, or a shared `ops@` mailbox's second signer, is a customer of
//! their own, every split an audited row.

use super::Tx;
use steward_domain::Identity;
use steward_domain::persons::same_person;
use uuid::Uuid;

/// The customer writing from `sender` (owned by `owner`) as the person
/// `name`: the customer that person was before on this identity; the owner
/// when nobody was introduced on it yet (the first person introduced is
/// the one it belongs to) unless the writer `disowns` its earlier use (a
/// recycled number); otherwise a new customer for this person.
pub(super) async fn person_on_identity(
    tx: &mut Tx<'_>,
    sender: &Identity,
    owner: Uuid,
    name: Option<&str>,
    disowns: bool,
    source_message_id: &str,
) -> Result<Uuid, sqlx::Error> {
    let Some(name) = name else {
        return Ok(owner);
    };
    let known: Vec<(String, Uuid)> = sqlx::query_as(
        "SELECT person_name, customer_id FROM identity_persons
         WHERE identity_kind = $1 AND identity_value = $2 ORDER BY id",
    )
    .bind(sender.kind.as_str())
    .bind(&sender.value)
    .fetch_all(&mut **tx)
    .await?;
    if let Some((_, customer)) = known.iter().find(|(known, _)| same_person(known, name)) {
        return Ok(*customer);
    }
    let (customer, evidence) = if known.is_empty() && !disowns {
        (owner, format!("introduced as {name}"))
    } else {
        let customer = crate::crm::new_customer(&mut **tx, name).await?;
        let others: Vec<&str> = known.iter().map(|(n, _)| n.as_str()).collect();
        let evidence = if others.is_empty() {
            format!("introduced as {name}, disowning this identity's earlier use")
        } else {
            format!(
                "introduced as {name} on an identity {} also wrote from",
                others.join(", ")
            )
        };
        (customer, evidence)
    };
    sqlx::query(
        "INSERT INTO identity_persons (identity_kind, identity_value, person_name, customer_id, evidence, source_message_id)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(sender.kind.as_str())
    .bind(&sender.value)
    .bind(name)
    .bind(customer)
    .bind(evidence)
    .bind(source_message_id)
    .execute(&mut **tx)
    .await?;
    Ok(customer)
}

/// The customer a claim by `claimant` on a shared phone or mailbox names:
/// the person recorded on it whom the claimant is (by an introduced name
/// or their display name), when there is one; `None` leaves the identity's
/// holder. "I also wrote from office@…" by Tobias is Tobias's messages
/// there, not those of Petra, who shares the mailbox.
pub(super) async fn claimed_person(
    tx: &mut Tx<'_>,
    claimant: Uuid,
    kind: &str,
    value: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    let on_identity: Vec<(String, Uuid)> = sqlx::query_as(
        "SELECT person_name, customer_id FROM identity_persons
         WHERE identity_kind = $1 AND identity_value = $2 ORDER BY id",
    )
    .bind(kind)
    .bind(value)
    .fetch_all(&mut **tx)
    .await?;
    if on_identity.is_empty() {
        return Ok(None);
    }
    let mut names: Vec<String> =
        sqlx::query_scalar("SELECT person_name FROM identity_persons WHERE customer_id = $1")
            .bind(claimant)
            .fetch_all(&mut **tx)
            .await?;
    let display: Option<String> =
        sqlx::query_scalar("SELECT display_name FROM customers WHERE id = $1")
            .bind(claimant)
            .fetch_optional(&mut **tx)
            .await?;
    names.extend(display.and_then(|d| d.split_whitespace().next().map(str::to_owned)));
    Ok(on_identity
        .iter()
        .find(|(person, _)| names.iter().any(|n| same_person(n, person)))
        .map(|(_, customer)| *customer))
}
