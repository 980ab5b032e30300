//! "I wrote earlier from …": a sender who says where they wrote from,
//! with words between the verb and the contact ("I wrote earlier on
//! WhatsApp from our family phone (+34 …)", "I asked … from our shared
//! ops@ mailbox"), is believed to be the person who wrote there, not
//! whoever else shares that phone or mailbox.

use super::*;

#[tokio::test]
async fn a_sender_who_wrote_from_a_shared_mailbox_is_its_signer_not_its_other_user() {
    let (pool, name) = fresh_pool().await;
    let ops = email("ops@lantern.example");
    let aisha = resolve(&pool, &ops, "How do we add a second approver? - Aisha").await;
    let marco = resolve(
        &pool,
        &ops,
        "Hello, separate question from me: our zap stopped. Cheers, Marco",
    )
    .await;
    assert_ne!(aisha, marco, "a shared mailbox is split by signer");
    let personal = resolve(
        &pool,
        &email("aisha.rahman@lantern.example"),
        "Hi, I asked about approvers earlier from our shared ops@ mailbox. Reply here.",
    )
    .await;
    assert_eq!(believed(&pool, personal, aisha).await, Some(false));
    assert_eq!(believed(&pool, personal, marco).await, None);
    drop_database(pool, &name).await;
}

#[tokio::test]
async fn wrote_earlier_from_a_phone_links_and_receiving_from_one_does_not() {
    let (pool, name) = fresh_pool().await;
    let phone = Identity::phone("+447700900123").unwrap();
    let carmen = resolve(
        &pool,
        &phone,
        "Hola, soy Carmen. How do I change my password?",
    )
    .await;
    let said_so = resolve(
        &pool,
        &email("carmen@estudio.example"),
        "Hola, I wrote earlier on WhatsApp from our phone (+44 7700 900123) about my password.",
    )
    .await;
    assert_eq!(believed(&pool, said_so, carmen).await, Some(false));
    let stranger = resolve(
        &pool,
        &email("finance@other.example"),
        "I asked for a refund from our supplier, who called from +44 7700 900123.",
    )
    .await;
    assert_eq!(believed(&pool, stranger, carmen).await, None);
    drop_database(pool, &name).await;
}
