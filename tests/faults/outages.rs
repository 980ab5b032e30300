//! The broker and the Temporal server stopped and started again under a
//! steady stream of webhooks (a private tansu and dev server with storage
//! on disk). While Kafka is down the gateway answers 503, never 200 (the
//! provider retries); while Temporal is down it keeps acknowledging (Kafka
//! holds the messages). Every acknowledged message gets exactly one reply.

use crate::load::*;
use crate::private_stack::PrivateStack;
use crate::replies::*;
use crate::support::fail_loudly::fail_loudly;
use crate::support::standins::*;
use crate::support::*;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use steward::app::{self, Roles};
use steward::webhook_sign::sign_whatsapp;

/// A private stack, the core roles (intake, worker) and a gateway apart
/// (as deployed), the stand-ins, and a load posting to the gateway.
/// Fields drop in order: after a failure the apps drop before the servers
/// stop, so their Kafka clients are not left facing a stopped broker (the
/// runtime's shutdown can still block after a failure: `fail_loudly`
/// bounds that).
struct Run {
    twilio: Twilio,
    core: TestApp,
    gateway: app::RunningApp,
    load: Load,
    loader: tokio::task::JoinHandle<()>,
    started: Instant,
    stack: PrivateStack,
}

impl Run {
    async fn start() -> Self {
        fail_loudly();
        let started = Instant::now();
        let stack = PrivateStack::start().await;
        let twilio = Twilio::default();
        let mut settings = settings_on(&stack.kafka(), &stack.temporal());
        settings.kafka.produce_timeout_ms = 2_000;
        let (settings, _queue) = with_standins(settings, &twilio).await;
        let core = spawn_app_with(
            settings.clone(),
            Roles {
                gateway: false,
                ..Roles::ALL
            },
        )
        .await;
        import_demo_kb(&core).await;
        let gateway = app::start(&settings, Roles::GATEWAY).await.unwrap();
        let load = Load::default();
        *load.gateway.lock().unwrap() = gateway.public_base_url.clone().unwrap();
        let loader = tokio::spawn(load.clone().run());
        let run = Self {
            twilio,
            core,
            gateway,
            load,
            loader,
            started,
            stack,
        };
        run.more_replies().await;
        run
    }

    fn replies(&self) -> usize {
        self.twilio.sent.lock().unwrap().len()
    }

    /// Waits for five more replies than now.
    async fn more_replies(&self) {
        let than = self.replies();
        eventually("more replies", Duration::from_secs(120), || async {
            (self.replies() >= than + 5).then_some(())
        })
        .await;
        println!(
            "{} replies at {:.1}s",
            self.replies(),
            self.started.elapsed().as_secs_f64()
        );
    }

    /// Stops the load; every webhook made with Kafka up was acknowledged,
    /// the refused ones are posted again (as Twilio retries) and must be
    /// acknowledged now; then one reply per customer.
    async fn finish(self) {
        self.load.stop.store(true, Ordering::SeqCst);
        self.loader.await.unwrap();
        let posts = self.load.posts();
        for phase in [UP, TEMPORAL_DOWN] {
            let refused: Vec<_> = self
                .load
                .during(phase)
                .into_iter()
                .filter(|p| p.status != 200)
                .collect();
            assert!(refused.is_empty(), "refused with Kafka up: {refused:?}");
        }
        let retried: Vec<&Post> = posts.iter().filter(|p| p.status != 200).collect();
        let base_url = self.gateway.public_base_url.clone().unwrap();
        for post in &retried {
            let signed = sign_whatsapp(TWILIO_TOKEN.as_bytes(), &base_url, &post.params);
            let status = signed.post(&self.core.http).await.unwrap().status();
            assert_eq!(status, 200);
        }
        let phones: Vec<String> = posts.iter().map(|p| p.phone.clone()).collect();
        let tally =
            one_reply_each(&self.core, &self.twilio, &phones, Duration::from_secs(240)).await;
        println!(
            "{} webhooks ({} refused while Kafka was down, {} acknowledged while Temporal was down, {} posted again): {} replies, {:.1}s",
            posts.len(),
            self.load.during(BROKER_DOWN).len(),
            self.load.during(TEMPORAL_DOWN).len(),
            retried.len(),
            tally.replies,
            self.started.elapsed().as_secs_f64()
        );
        // Every assertion is made: a teardown that hangs is reported, not
        // waited for.
        let teardown = async {
            self.gateway.shutdown().await;
            self.core.stop().await;
            self.stack.stop().await;
        };
        if tokio::time::timeout(Duration::from_secs(90), teardown)
            .await
            .is_err()
        {
            eprintln!("the run's teardown did not finish in 90 s");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_restarted_under_load_refuses_while_down_and_loses_no_acknowledged_message() {
    let mut run = Run::start().await;
    let load = run.load.clone();
    load.phase.store(CHANGING, Ordering::SeqCst);
    run.stack.stop_broker().await;
    load.phase.store(BROKER_DOWN, Ordering::SeqCst);
    load.until_posts_during(BROKER_DOWN, 5).await;
    let statuses: Vec<u16> = load.during(BROKER_DOWN).iter().map(|p| p.status).collect();
    assert!(
        statuses.iter().all(|s| *s == 503),
        "while Kafka was down: {statuses:?}"
    );
    assert!(
        load.during(BROKER_DOWN)
            .iter()
            .all(|p| !answered(&run.twilio, &p.phone))
    );
    load.phase.store(CHANGING, Ordering::SeqCst);
    run.stack.start_broker().await;
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
    run.more_replies().await;
    run.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporal_restarted_under_load_loses_no_acknowledged_message() {
    let mut run = Run::start().await;
    let load = run.load.clone();
    load.phase.store(CHANGING, Ordering::SeqCst);
    run.stack.stop_temporal().await;
    load.phase.store(TEMPORAL_DOWN, Ordering::SeqCst);
    // Kafka holds what the gateway acknowledges meanwhile.
    load.until_posts_during(TEMPORAL_DOWN, 10).await;
    load.phase.store(CHANGING, Ordering::SeqCst);
    run.stack.start_temporal().await;
    load.phase.store(UP, Ordering::SeqCst);
    run.more_replies().await;
    run.finish().await;
}
