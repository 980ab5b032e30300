//! The worker crashes again and again under load: `steward worker` runs as
//! its own process and is killed with SIGKILL while tickets are in flight
//! (mid-activity, mid-send), then started again. Whatever a crash cuts
//! short is retried (activities on their timeouts, workflow tasks on the
//! next worker) and the send ledger keeps a retried send from going out
//! twice: every customer gets exactly one reply.

use crate::replies::*;
use crate::support::fail_loudly::fail_loudly;
use crate::support::standins::*;
use crate::support::worker_process::WorkerProcess;
use crate::support::*;
use std::time::{Duration, Instant};
use steward::app::Roles;

/// Short variant by default; `STEWARD_SOAK=1` for the long soak.
fn soak() -> bool {
    std::env::var("STEWARD_SOAK").is_ok_and(|v| v == "1")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_killed_again_and_again_every_ticket_gets_exactly_one_reply() {
    fail_loudly();
    let (tickets, kills): (usize, usize) = if soak() { (600, 30) } else { (150, 10) };
    let started = Instant::now();
    let twilio = Twilio::default();
    let (settings, _queue) = with_standins(test_settings().await, &twilio).await;
    let roles = Roles {
        gateway: true,
        intake: true,
        worker: false,
    };
    let app = spawn_app_with(settings.clone(), roles).await;
    import_demo_kb(&app).await;
    let log = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("faults-worker.log");
    let _ = std::fs::remove_file(&log);
    let mut worker = WorkerProcess::spawn(&settings, Some(&log));

    // One wave of new customers per kill (and one after the last): each
    // kill lands while its wave is being answered.
    let phones: Vec<String> = (0..tickets).map(|_| unique_phone()).collect();
    let bound = |n: usize| n * tickets / (kills + 1);
    let waves: Vec<&[String]> = (0..=kills)
        .map(|n| &phones[bound(n)..bound(n + 1)])
        .collect();
    for (n, wave) in waves.iter().enumerate() {
        let posts = wave.iter().map(|phone| async {
            app.post_signed_whatsapp(&first_message(phone))
                .await
                .status()
        });
        let statuses = futures::future::join_all(posts).await;
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
        if n == kills {
            break;
        }
        // The worker (a fresh one after a kill) is answering this wave:
        // some replies are out, others are still on their way. Kill it.
        let wave_answered = || wave.iter().filter(|p| answered(&twilio, p)).count();
        eventually(
            "the worker answering its wave",
            Duration::from_secs(120),
            || async { (wave_answered() >= wave.len() / 3).then_some(()) },
        )
        .await;
        worker.kill();
        println!(
            "kill {}: {} of the wave's {} answered, {} replies in all, at {:.1}s",
            n + 1,
            wave_answered(),
            wave.len(),
            twilio.sent.lock().unwrap().len(),
            started.elapsed().as_secs_f64()
        );
        worker = WorkerProcess::spawn(&settings, Some(&log));
    }

    let tally = one_reply_each(&app, &twilio, &phones, Duration::from_secs(300)).await;
    println!(
        "{tickets} tickets, {kills} kills: {} replies, {} found at Twilio after a crash mid-send, {} send requests, {:.1}s",
        tally.replies,
        tally.reconciled,
        tally.twilio_requests,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(tally.replies, tickets);
    worker.kill();
    app.stop().await;
}
