//! Two senders who each state the same phone as their own, when nobody
//! holds it yet, are believed to be one person (a belief, never verified
//! without a holder); a third who gives it as someone else's is not.

use super::*;

#[tokio::test]
async fn the_same_contact_stated_as_ones_own_by_two_senders_names_one_person() {
    let (pool, name) = fresh_pool().await;
    let assistant = resolve(
        &pool,
        &email("office@kestrel.example"),
        "Could you send me the invoice steps?\n\nLena Vogt\nAssistant\n+49 69 555 0130",
    )
    .await;
    let personal = resolve(
        &pool,
        &email("lena.vogt@kestrel.example"),
        "Phone: +49 69 5550130\nLena again: any news on the invoice steps?",
    )
    .await;
    assert_ne!(personal, assistant, "a belief joins nobody");
    assert_eq!(
        believed(&pool, personal, assistant).await,
        Some(false),
        "both state the number as their own: one person, unverified"
    );
    let boss = resolve(
        &pool,
        &email("r.hartmann@kestrel.example"),
        "Please call my assistant on +49 69 555 0130 about it.",
    )
    .await;
    assert_eq!(believed(&pool, boss, assistant).await, None);
    assert_eq!(believed(&pool, boss, personal).await, None);
    drop_database(pool, &name).await;
}
