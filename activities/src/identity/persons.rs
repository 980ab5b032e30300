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
/// the one it belongs to); otherwise a new customer for this person.
pub(super) async fn person_on_identity(
    tx: &mut Tx<'_>,
    sender: &Identity,
    owner: Uuid,
    name: Option<&str>,
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
    let (customer, evidence) = if known.is_empty() {
        (owner, format!("introduced as {name}"))
    } else {
        let customer = crate::crm::new_customer(&mut **tx, name).await?;
        let others: Vec<&str> = known.iter().map(|(n, _)| n.as_str()).collect();
        let evidence = format!(
            "introduced as {name} on an identity {} also wrote from",
            others.join(", ")
        );
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
