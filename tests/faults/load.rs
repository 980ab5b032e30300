//! A steady load of new customers' webhooks, each recorded with its answer
//! and the phase of the outage it was sent and answered in.

use crate::replies::first_message;
use crate::support::*;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use steward::webhook_sign::sign_whatsapp;

pub(crate) const UP: u8 = 0;
pub(crate) const CHANGING: u8 = 1;
pub(crate) const BROKER_DOWN: u8 = 2;
pub(crate) const TEMPORAL_DOWN: u8 = 3;

/// One webhook of the load: the phase when it was sent and when answered.
#[derive(Clone, Debug)]
pub(crate) struct Post {
    pub(crate) phone: String,
    pub(crate) params: Vec<(String, String)>,
    pub(crate) phases: (u8, u8),
    pub(crate) sent_at: Instant,
    pub(crate) status: u16,
}

#[derive(Clone, Default)]
pub(crate) struct Load {
    /// The gateway the next webhooks go to.
    pub(crate) gateway: Arc<Mutex<String>>,
    pub(crate) posts: Arc<Mutex<Vec<Post>>>,
    pub(crate) phase: Arc<AtomicU8>,
    pub(crate) stop: Arc<AtomicBool>,
}

impl Load {
    /// A new customer every 250 ms, each posted without waiting for the last.
    pub(crate) async fn run(self) {
        let http = reqwest::Client::new();
        let mut inflight = tokio::task::JoinSet::new();
        while !self.stop.load(Ordering::SeqCst) {
            let base_url = self.gateway.lock().unwrap().clone();
            let (load, http) = (self.clone(), http.clone());
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
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        while inflight.join_next().await.is_some() {}
    }

    pub(crate) fn posts(&self) -> Vec<Post> {
        self.posts.lock().unwrap().clone()
    }

    /// Posts sent and answered wholly within `phase`.
    pub(crate) fn during(&self, phase: u8) -> Vec<Post> {
        self.posts()
            .into_iter()
            .filter(|p| p.phases == (phase, phase))
            .collect()
    }

    pub(crate) async fn until_posts_during(&self, phase: u8, count: usize) {
        eventually(
            "posts during the outage",
            Duration::from_secs(60),
            || async { (self.during(phase).len() >= count).then_some(()) },
        )
        .await;
    }
}
