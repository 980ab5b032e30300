//! Undoing a link: `steward customers unmerge`.

use super::canonical;
use crate::crm::identity_owner;
use sqlx::PgPool;
use steward_domain::Identity;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum UnmergeError {
    #[error("no customer has the identity {0}:{1}")]
    Unknown(String, String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Undoes a link: the identity moves to a customer of its own again, and
/// the links that had joined it are marked reverted. Returns the new customer.
pub async fn unmerge(pool: &PgPool, identity: &Identity) -> Result<Uuid, UnmergeError> {
    let identity = canonical(identity);
    let mut tx = pool.begin().await?;
    identity_owner(&mut tx, &identity).await?.ok_or_else(|| {
        UnmergeError::Unknown(identity.kind.as_str().into(), identity.value.clone())
    })?;
    let customer = crate::crm::new_customer(&mut *tx, "").await?;
    sqlx::query("UPDATE customer_identities SET customer_id = $3 WHERE kind = $1 AND value = $2")
        .bind(identity.kind.as_str())
        .bind(&identity.value)
        .bind(customer)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE identity_links SET status = 'reverted', reverted_at = now()
         WHERE identity_kind = $1 AND identity_value = $2 AND status = 'applied'",
    )
    .bind(identity.kind.as_str())
    .bind(&identity.value)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(customer)
}
