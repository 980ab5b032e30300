//! The broker and the Temporal server stopped and started again under a
//! steady stream of webhooks (a private tansu and dev server with storage
//! on disk). While Kafka is down the gateway answers 503, never 200 (the
//! provider retries); while Temporal is down it keeps acknowledging (Kafka
//! holds the messages). Every acknowledged message gets exactly one reply.

use crate::private_stack::PrivateStack;
use crate::replies::*;
use crate::support::standins::*;
use crate::support::*;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use steward::app::Roles;
use steward::webhook_sign::sign_whatsapp;

const UP: u8 = 0;
const CHANGING: u8 = 1;
const BROKER_DOWN: u8 = 2;
const TEMPORAL_DOWN: u8 = 3;

/// One webhook of the load: the phase when it was sent and when answered.
#[derive(Clone, Debug)]
struct Post {
    phone: String,
    params: Vec<(String, String)>,
    phases: (u8, u8),
    sent_at: Instant,
    status: u16,
}

#[derive(Clone, Default)]
struct Load {
    posts: Arc<Mutex<Vec<Post>>>,
    phase: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
}

impl Load {
    /// A new customer every 100 ms, each posted without waiting for the last.
    async fn run(self, base_url: String) {
        let http = reqwest::Client::new();
        let mut inflight = tokio::task::JoinSet::new();
        while !self.stop.load(Ordering::SeqCst) {
            let (load, http, base_url) = (self.clone(), http.clone(), base_url.clone());
            inflight.spawn(async move {
                let phone = unique_phone();
                let params = first_message(&phone);
                let before = load.phase.load(Ordering::SeqCst);
                let sent_at = Instant::now();
                let signed = sign_whatsapp(TWILIO_TOKEN.as_bytes(), &base_url, &params);
                let status = signed.post(&http).await.map_or(0, |r| r.status().as_u16());
                let phases = (before, load.phase.load(Ordering::SeqCst));
                let post = Post {
                    phone,
                    params,
                    phases,
                    sent_at,
                    status,
                };
                load.posts.lock().unwrap().push(post);
            });
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        while inflight.join_next().await.is_some() {}
    }

    fn posts(&self) -> Vec<Post> {
        self.posts.lock().unwrap().clone()
    }

    /// Posts sent and answered wholly within `phase`.
    fn during(&self, phase: u8) -> Vec<Post> {
        self.posts()
            .into_iter()
            .filter(|p| p.phases == (phase, phase))
            .collect()
    }

    async fn until_posts_during(&self, phase: u8, count: usize) {
        eventually(
            "posts during the outage",
            Duration::from_secs(60),
            || async { (self.during(phase).len() >= count).then_some(()) },
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_and_temporal_restarted_under_load_lose_no_acknowledged_message() {
    let started = Instant::now();
    let mut stack = PrivateStack::start().await;
    let twilio = Twilio::default();
    let mut settings = settings_on(&stack.kafka(), &stack.temporal());
    settings.kafka.produce_timeout_ms = 2_000;
    let (settings, _queue) = with_standins(settings, &twilio).await;
    let app = spawn_app_with(settings, Roles::ALL).await;
    import_demo_kb(&app).await;
    let load = Load::default();
    let loader = tokio::spawn(load.clone().run(app.base_url.clone()));
    let replies = || twilio.sent.lock().unwrap().len();
    let more_replies = |than: usize| async move {
        eventually("replies", Duration::from_secs(120), || async {
            (replies() >= than + 5).then_some(())
        })
        .await;
    };
    more_replies(0).await;

    load.phase.store(CHANGING, Ordering::SeqCst);
    stack.stop_broker().await;
    load.phase.store(BROKER_DOWN, Ordering::SeqCst);
    load.until_posts_during(BROKER_DOWN, 5).await;
    load.phase.store(CHANGING, Ordering::SeqCst);
    stack.start_broker().await;
    let restarted = Instant::now();
    eventually(
        "the gateway acknowledging again",
        Duration::from_secs(60),
        || async {
            let posts = load.posts();
            posts
                .iter()
                .any(|p| p.sent_at > restarted && p.status == 200)
                .then_some(())
        },
    )
    .await;
    load.phase.store(UP, Ordering::SeqCst);
    more_replies(replies()).await;
    println!(
        "broker restarted; {} replies at {:.1}s",
        replies(),
        started.elapsed().as_secs_f64()
    );

    load.phase.store(CHANGING, Ordering::SeqCst);
    stack.stop_temporal().await;
    load.phase.store(TEMPORAL_DOWN, Ordering::SeqCst);
    load.until_posts_during(TEMPORAL_DOWN, 10).await;
    load.phase.store(CHANGING, Ordering::SeqCst);
    stack.start_temporal().await;
    load.phase.store(UP, Ordering::SeqCst);
    more_replies(replies()).await;
    load.stop.store(true, Ordering::SeqCst);
    loader.await.unwrap();
    println!(
        "Temporal restarted; {} replies at {:.1}s",
        replies(),
        started.elapsed().as_secs_f64()
    );

    let posts = load.posts();
    let down = load.during(BROKER_DOWN);
    let statuses: Vec<u16> = down.iter().map(|p| p.status).collect();
    assert!(
        statuses.iter().all(|s| *s == 503),
        "while Kafka was down: {statuses:?}"
    );
    for phase in [UP, TEMPORAL_DOWN] {
        let refused: Vec<_> = load
            .during(phase)
            .into_iter()
            .filter(|p| p.status != 200)
            .collect();
        assert!(refused.is_empty(), "refused with Kafka up: {refused:?}");
    }
    // Twilio retries what was not acknowledged; now it is.
    let retried: Vec<&Post> = posts.iter().filter(|p| p.status != 200).collect();
    for post in &down {
        assert!(
            !answered(&twilio, &post.phone),
            "a refused message was answered"
        );
    }
    for post in &retried {
        assert_eq!(app.post_signed_whatsapp(&post.params).await.status(), 200);
    }
    let phones: Vec<String> = posts.iter().map(|p| p.phone.clone()).collect();
    let tally = one_reply_each(&app, &twilio, &phones, Duration::from_secs(240)).await;
    println!(
        "{} webhooks ({} refused while Kafka was down, {} acknowledged while Temporal was down, {} retried): {tally:?}, {:.1}s",
        posts.len(),
        down.len(),
        load.during(TEMPORAL_DOWN).len(),
        retried.len(),
        started.elapsed().as_secs_f64()
    );
    app.stop().await;
    stack.stop().await;
}
