//! A failed fault test is reported even when its teardown then hangs.
//!
//! libtest prints a test's panic message only when the test returns, and a
//! fault test that fails mid-run drops live Kafka clients and servers while
//! unwinding; a client waiting on a stopped broker can block that forever,
//! and the run then hangs with the reason never printed (seen in CI). So a
//! panic on a registered test thread is written straight to the process's
//! stderr (which libtest does not capture), and if the process has not
//! finished [`GRACE`] later it exits with the failure status.

use std::collections::HashSet;
use std::io::Write;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// How long unwinding and teardown may take after a failure.
const GRACE: Duration = Duration::from_secs(120);

fn watched() -> &'static Mutex<HashSet<String>> {
    static THREADS: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    THREADS.get_or_init(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let name = std::thread::current().name().unwrap_or_default().to_owned();
            let is_watched = watched()
                .lock()
                .map(|threads| threads.contains(&name))
                .unwrap_or(false);
            if is_watched {
                let _ = writeln!(std::io::stderr(), "\n[{name}] FAILED: {info}");
                std::thread::spawn(move || {
                    std::thread::sleep(GRACE);
                    let _ = writeln!(
                        std::io::stderr(),
                        "[{name}] teardown after the failure above did not finish in {GRACE:?}; exiting"
                    );
                    std::process::exit(101);
                });
            }
            previous(info);
        }));
        Mutex::new(HashSet::new())
    })
}

/// Registers the calling thread (a test's own thread: `#[tokio::test]`
/// runs the test body on it) so that a panic on it is reported at once.
/// Panics on other threads (runtime workers, caught activity panics) are
/// left to the default hook.
pub fn fail_loudly() {
    let name = std::thread::current().name().unwrap_or_default().to_owned();
    if let Ok(mut threads) = watched().lock() {
        threads.insert(name);
    }
}
