//! A failed fault test is reported even when its teardown then hangs.
//!
//! libtest prints a test's panic message only when the test returns, and a
//! fault test that fails mid-run drops live Kafka clients and servers while
//! unwinding; its runtime's shutdown then blocked forever (seen in CI, and
//! here with the broker down and with it up), with the reason never
//! printed. So a
//! panic on a watched test thread is written straight to the process's
//! stderr (which libtest does not capture), and if that test's thread has
//! not ended [`GRACE`] later the process exits with the failure status. A
//! thread that does end (the test's runtime, dropped after the test body,
//! is where teardown hangs, so the thread's end is what counts) cancels
//! the exit, and the binary's other tests run on.

use std::collections::HashSet;
use std::io::Write;
use std::sync::{Mutex, OnceLock};
use std::thread::ThreadId;
use std::time::Duration;

/// How long unwinding and teardown may take after a failure.
const GRACE: Duration = Duration::from_secs(120);

#[derive(Default)]
struct Threads {
    watched: HashSet<ThreadId>,
    /// Watched threads that have ended.
    finished: HashSet<ThreadId>,
}

fn threads() -> &'static Mutex<Threads> {
    static THREADS: OnceLock<Mutex<Threads>> = OnceLock::new();
    THREADS.get_or_init(|| Mutex::new(Threads::default()))
}

fn install_hook() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let id = std::thread::current().id();
            let watched = threads().lock().is_ok_and(|t| t.watched.contains(&id));
            if watched {
                let name = std::thread::current().name().unwrap_or("?").to_owned();
                let _ = writeln!(std::io::stderr(), "\n[{name}] FAILED: {info}");
                // `Builder::spawn` returns an error where `thread::spawn`
                // would panic inside the hook (and abort).
                let _ = std::thread::Builder::new().spawn(move || {
                    std::thread::sleep(GRACE);
                    if threads().lock().is_ok_and(|t| t.finished.contains(&id)) {
                        return;
                    }
                    let _ = writeln!(
                        std::io::stderr(),
                        "[{name}] teardown after the failure above did not finish in {GRACE:?}; exiting"
                    );
                    std::process::exit(101);
                });
            }
            previous(info);
        }));
    });
}

/// Marks its thread ended when the thread's locals are destroyed (holding
/// the id: `thread::current()` is unavailable by then).
struct Ended(ThreadId);

impl Drop for Ended {
    fn drop(&mut self) {
        if let Ok(mut t) = threads().lock() {
            t.finished.insert(self.0);
        }
    }
}

thread_local! {
    static ENDED: Ended = Ended(std::thread::current().id());
}

/// Watches the calling thread (a test's own thread: `#[tokio::test]` runs
/// the test body on it), so that a panic on it is reported at once. Panics
/// on other threads (runtime workers, caught activity panics) are left to
/// the default hook.
pub fn fail_loudly() {
    install_hook();
    // Registers the thread-local whose destruction marks the thread ended.
    ENDED.with(|_| {});
    if let Ok(mut t) = threads().lock() {
        t.watched.insert(std::thread::current().id());
    }
}
