//! The key cache under a storm of tokens naming unknown keys.

use super::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// A JWKS endpoint that counts requests and answers after `delay_ms`.
async fn jwks_server(hits: Arc<AtomicU64>, delay_ms: Arc<AtomicU64>) -> String {
    let app = axum::Router::new().route(
        "/certs",
        axum::routing::get(move || {
            let (hits, delay_ms) = (hits.clone(), delay_ms.clone());
            async move {
                hits.fetch_add(1, Ordering::SeqCst);
                let delay = delay_ms.load(Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(delay)).await;
                axum::Json(serde_json::json!({"keys": [{"kid": "k1", "n": "AQAB", "e": "AQAB"}]}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/certs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kids_cost_one_fetch_and_delay_no_known_key() {
    let (hits, delay) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let cache = Arc::new(KeyCache::new(
        &jwks_server(hits.clone(), delay.clone()).await,
    ));
    assert!(cache.key("k1").await.is_ok());
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // A refetch is due again, and Google is slow today.
    cache.backdate(REFETCH_EVERY * 2).await;
    delay.store(2_000, Ordering::SeqCst);
    let storm: Vec<_> = (0..200)
        .map(|i| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.key(&format!("forged-{i}")).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;

    let started = Instant::now();
    assert!(cache.key("k1").await.is_ok());
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "a valid key waited {:?} behind the refetch",
        started.elapsed()
    );
    for forged in storm {
        assert!(matches!(
            forged.await.unwrap(),
            Err(JwtError::UnknownKey(_))
        ));
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        2,
        "one refetch for the whole storm"
    );
}
