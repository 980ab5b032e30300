//! An identity belongs to whoever *used* it through its channel: a signed
//! Twilio webhook from a number, a Gmail message from an address. A web
//! form proves neither (anyone can type any address), so an address known
//! only from web forms is held loosely (`verified = false`): the first
//! message that really comes from it takes it over, and the web customer
//! keeps only a claim. A web form typing an address that was really used
//! gets a customer of its own and a claim (a code goes to that address).

use super::{Tx, claims};
use steward_domain::Identity;
use uuid::Uuid;

/// The customer `sender` resolves to from its own row, if it has one;
/// `proven` when the message came through the identity's own channel.
pub(super) async fn sender_customer(
    tx: &mut Tx<'_>,
    sender: &Identity,
    display_name: &str,
    proven: bool,
    source_message_id: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    let row: Option<(Uuid, bool)> = sqlx::query_as(
        "SELECT customer_id, verified FROM customer_identities
         WHERE kind = $1 AND value = $2 FOR UPDATE",
    )
    .bind(sender.kind.as_str())
    .bind(&sender.value)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((owner, used)) = row else {
        return Ok(None);
    };
    if used == proven {
        return Ok(Some(owner));
    }
    let customer = crate::crm::new_customer(&mut **tx, display_name).await?;
    if proven {
        // Its real owner writes: the web customer who typed it keeps a claim.
        sqlx::query(
            "UPDATE customer_identities SET customer_id = $3, verified = true
             WHERE kind = $1 AND value = $2",
        )
        .bind(sender.kind.as_str())
        .bind(&sender.value)
        .bind(customer)
        .execute(&mut **tx)
        .await?;
        let evidence = format!(
            "typed {} into the web form before it wrote to us through its own channel",
            sender.value
        );
        claims::record(tx, owner, sender, sender, &evidence, "").await?;
    } else {
        let evidence = format!("typed {} into the web form", sender.value);
        claims::record(tx, customer, sender, sender, &evidence, source_message_id).await?;
    }
    Ok(Some(customer))
}

/// The sender's row, just created, was used through its own channel.
pub(super) async fn mark_used(tx: &mut Tx<'_>, sender: &Identity) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE customer_identities SET verified = true WHERE kind = $1 AND value = $2")
        .bind(sender.kind.as_str())
        .bind(&sender.value)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
