//! A proven claim becomes a link, recorded like every link (an applied
//! `identity_links` row with its evidence, undone by `unmerge`).

use super::verify::LiveClaim;
use super::{Tx, claims, record_link};
use steward_domain::{Identity, IdentityKind};

fn identity(kind: &str, value: &str) -> Option<Identity> {
    let kind = match kind {
        "phone" => IdentityKind::Phone,
        "email" => IdentityKind::Email,
        _ => return None,
    };
    Some(Identity {
        kind,
        value: value.to_owned(),
    })
}

/// The proven claim becomes a link: an identity nobody holds becomes the
/// claimant's; when someone holds it (or the claimed ticket), the
/// claimant's own identity and this conversation join that customer. Each
/// an applied link with its evidence, undone by `unmerge`.
pub(super) async fn link(
    tx: &mut Tx<'_>,
    claim: &LiveClaim,
    source: &str,
) -> Result<String, sqlx::Error> {
    let (kind, value) = (&claim.claimed_kind, &claim.claimed_value);
    let evidence = format!(
        "verified by a one-time code sent to {kind} {value}; claimed as \"{}\"",
        claim.evidence
    );
    match claims::holder_for(tx, claim.customer_id, kind, value).await? {
        Some(holder) if holder == claim.customer_id => {}
        Some(holder) => {
            sqlx::query(
                "UPDATE customer_identities SET customer_id = $3 WHERE kind = $1 AND value = $2",
            )
            .bind(&claim.claimant_kind)
            .bind(&claim.claimant_value)
            .bind(holder)
            .execute(&mut **tx)
            .await?;
            sqlx::query(
                "UPDATE tickets SET customer_id = $2 WHERE ticket_key IN
                     (SELECT ticket_key FROM identity_claims WHERE id = $1)",
            )
            .bind(claim.id)
            .bind(holder)
            .execute(&mut **tx)
            .await?;
            if let Some(claimant) = identity(&claim.claimant_kind, &claim.claimant_value) {
                record_link(tx, &claimant, holder, "applied", &evidence, source).await?;
            }
        }
        None => {
            if let Some(claimed) = identity(kind, value) {
                sqlx::query(
                    "INSERT INTO customer_identities (customer_id, kind, value, verified)
                     VALUES ($1, $2, $3, true) ON CONFLICT (kind, value) DO NOTHING",
                )
                .bind(claim.customer_id)
                .bind(kind)
                .bind(value)
                .execute(&mut **tx)
                .await?;
                record_link(
                    tx,
                    &claimed,
                    claim.customer_id,
                    "applied",
                    &evidence,
                    source,
                )
                .await?;
            }
        }
    }
    sqlx::query(
        "UPDATE identity_claims SET status = 'verified', verified_at = now(),
             code_hash = NULL, code_salt = NULL WHERE id = $1",
    )
    .bind(claim.id)
    .execute(&mut **tx)
    .await?;
    Ok(evidence)
}
