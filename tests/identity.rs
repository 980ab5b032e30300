//! Cross-channel identity against real Postgres: a self-statement is a
//! claim (recorded with its evidence, believed, never joining anyone until
//! verified), other people's addresses are only proposed, and an unmerge
//! round-trip restores separate customers.

#[path = "identity/same_stated_contact.rs"]
mod same_stated_contact;
mod support;
#[path = "identity/written_from.rs"]
mod written_from;

use steward_activities::identity::{Said, resolve_customer, unmerge};
use steward_domain::Identity;
use support::*;
use uuid::Uuid;

async fn fresh_pool() -> (sqlx::PgPool, String) {
    scratch_database("steward_identity").await
}

async fn resolve(pool: &sqlx::PgPool, sender: &Identity, body: &str) -> Uuid {
    resolve_in(pool, sender, "", body, "GB").await
}

async fn resolve_in(
    pool: &sqlx::PgPool,
    sender: &Identity,
    subject: &str,
    body: &str,
    region: &str,
) -> Uuid {
    let mut tx = pool.begin().await.unwrap();
    let said = Said {
        sender,
        display_name: "",
        subject,
        body,
        source_message_id: "SM1",
    };
    let customer = resolve_customer(&mut tx, said, region).await.unwrap();
    tx.commit().await.unwrap();
    customer
}

/// Whether the claims recorded so far join `a` and `b` (claimant and the
/// holder of what was claimed), and whether that link is verified.
async fn believed(pool: &sqlx::PgPool, a: Uuid, b: Uuid) -> Option<bool> {
    let mut tx = pool.begin().await.unwrap();
    let links = steward_activities::identity::believed_links(&mut tx)
        .await
        .unwrap();
    links
        .into_iter()
        .find(|(x, y, _)| (*x, *y) == (a, b) || (*x, *y) == (b, a))
        .map(|(_, _, verified)| verified)
}

fn email(address: &str) -> Identity {
    Identity::email(address).unwrap()
}

#[tokio::test]
async fn another_help_desks_ticket_references_link_only_their_holder() {
    let (pool, name) = fresh_pool().await;
    // Replying in a help desk's thread shows who holds its reference.
    let owner = resolve_in(
        &pool,
        &email("ravi@northwind.example"),
        "Re: [Acme Help #70455] Webhooks failing",
        "Still failing since Monday.",
        "US",
    )
    .await;
    // A colleague in copy replying in the same thread takes nothing over.
    let copied = resolve_in(
        &pool,
        &email("lee@northwind.example"),
        "RE: [Acme Help #70455] Webhooks failing",
        "Adding the logs.",
        "US",
    )
    .await;
    assert_ne!(copied, owner);
    let personal = resolve_in(
        &pool,
        &email("ravi.home@proton.example"),
        "",
        "Writing from home: this is about my ticket #70455.",
        "US",
    )
    .await;
    assert_ne!(personal, owner, "a stated reference joins nobody");
    assert_eq!(
        believed(&pool, personal, owner).await,
        Some(false),
        "the holder's own reference is an unverified claim"
    );
    let whatsapp = resolve_in(
        &pool,
        &Identity::phone("+351912000111").unwrap(),
        "",
        "olá, é sobre o meu pedido 70455, alguma novidade?",
        "US",
    )
    .await;
    assert_eq!(
        believed(&pool, whatsapp, owner).await,
        Some(false),
        "in the customer's language too"
    );
    let colleague = resolve_in(
        &pool,
        &email("kai@northwind.example"),
        "",
        "Following up on ticket #70455 that my colleague Ravi opened.",
        "US",
    )
    .await;
    assert_ne!(colleague, owner, "someone else's ticket is only proposed");
    assert_eq!(believed(&pool, colleague, owner).await, None);
    drop_database(pool, &name).await;
}

#[tokio::test]
async fn national_numbers_match_the_known_international_number() {
    let (pool, name) = fresh_pool().await;
    let dutch = Identity::phone("whatsapp:+31612345678").unwrap();
    let helena = resolve_in(&pool, &dutch, "", "any news on the SAML setup?", "US").await;
    // The default region dials no trunk 0, so "06 …" is read against the
    // numbers we know: the Dutch one.
    let same = resolve_in(
        &pool,
        &email("hv@noordlicht.example"),
        "",
        "You can reach me on WhatsApp at 06 12345678.",
        "US",
    )
    .await;
    assert_ne!(same, helena);
    assert_eq!(believed(&pool, same, helena).await, Some(false));
    // Same digits, nobody known under them: no guess, a customer of its own.
    let unknown = resolve_in(
        &pool,
        &email("pierre@exemple.example"),
        "",
        "Call me on 06 99887766 please.",
        "US",
    )
    .await;
    assert_ne!(unknown, helena);
    assert_eq!(believed(&pool, unknown, helena).await, None);
    // In a region that dials a trunk 0 the number is read there and
    // claimed: its later owner is believed to be the claimant, not joined.
    let grace = resolve_in(
        &pool,
        &email("grace@fernhill.example"),
        "",
        "Following up on the timer.\n\nGrace Okafor | Fernhill\nMobile: 07700 900123",
        "GB",
    )
    .await;
    let uk = Identity::phone("+447700900123").unwrap();
    let owner = resolve_in(&pool, &uk, "", "hi again", "GB").await;
    assert_ne!(owner, grace);
    assert_eq!(believed(&pool, grace, owner).await, Some(false));
    drop_database(pool, &name).await;
}

#[tokio::test]
async fn self_statements_are_claims_other_mentions_are_proposed_and_unmerge_restores() {
    let (pool, name) = fresh_pool().await;
    let email = Identity::email("Jon.Baptiste@gmail.com").unwrap();
    let jon = resolve(&pool, &email, "The invite link doesn't work.").await;
    // The same mailbox written differently is the same customer.
    let again = resolve(
        &pool,
        &Identity::email("jonbaptiste+lumen@gmail.com").unwrap(),
        "hi",
    )
    .await;
    assert_eq!(again, jon);

    let phone = Identity::phone("+12125550101").unwrap();
    let linked = resolve(
        &pool,
        &phone,
        "hey it's jon, my lumen email is jon.baptiste@gmail.com",
    )
    .await;
    assert_ne!(linked, jon, "a self-stated address joins nobody");
    let (status, evidence): (String, String) = sqlx::query_as(
        "SELECT status, evidence FROM identity_claims WHERE claimant_value = '+12125550101'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(status, "pending");
    assert!(evidence.contains("my lumen email"), "{evidence}");
    assert_eq!(believed(&pool, linked, jon).await, Some(false));
    let links: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM identity_links WHERE identity_value = '+12125550101'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(links, 0, "no link before verification");

    // A colleague's address is proposed for a human, never applied.
    let colleague = Identity::email("kim@fernhill.io").unwrap();
    let kim = resolve(
        &pool,
        &colleague,
        "I'm writing on behalf of jon.baptiste@gmail.com, please call him.",
    )
    .await;
    assert_ne!(kim, jon);
    let proposed: String = sqlx::query_scalar(
        "SELECT status FROM identity_links WHERE identity_value = 'kim@fernhill.io'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(proposed, "proposed");

    // Unmerge (of a verified link: see tests/claims.rs) gives the phone a
    // customer of its own; the mailbox keeps its customer.
    let separate = unmerge(&pool, &phone).await.unwrap();
    assert_ne!(separate, jon);
    assert_eq!(resolve(&pool, &phone, "hello again").await, separate);
    assert_eq!(resolve(&pool, &email, "hello").await, jon);
    drop_database(pool, &name).await;
}

#[tokio::test]
async fn people_sharing_a_phone_are_separate_customers_with_an_audit_row() {
    let (pool, name) = fresh_pool().await;
    let family = Identity::phone("+34611222333").unwrap();
    let marta = resolve(&pool, &family, "Hola, soy Marta. ¿Cómo exporto mis horas?").await;
    assert_eq!(
        resolve(&pool, &family, "any news on the export?").await,
        marta,
        "a message naming nobody stays with the phone's customer"
    );
    let tomas = resolve(
        &pool,
        &family,
        "Hi, this is Tomás, Marta's son. I'm using her phone for my own account.",
    )
    .await;
    assert_ne!(
        tomas, marta,
        "a second person introduced is a customer of their own"
    );
    assert_eq!(
        resolve(
            &pool,
            &family,
            "Tomas again: did you find my invoice?\n\n- Tomas"
        )
        .await,
        tomas,
        "and is recognised again by name, accents aside"
    );
    assert_eq!(resolve(&pool, &family, "Marta here, thanks!").await, marta);
    let evidence: Vec<String> = sqlx::query_scalar(
        "SELECT evidence FROM identity_persons WHERE identity_value = '+34611222333' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(evidence.len(), 2, "{evidence:?}");
    assert!(
        evidence[1].contains("Marta also wrote from"),
        "{evidence:?}"
    );
    drop_database(pool, &name).await;
}
