//! The web form in a real browser: Debian's headless Chromium driven by
//! playwright-core (`tests/browser/form.mjs`, installed by the project's
//! provisioning) against the whole stack — gateway, Kafka, intake, the
//! ticket workflow and the offline responder.

mod support;

use std::time::Duration;
use steward::app::Roles;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_submits_the_form_and_sees_the_bot_reply() {
    let app = spawn_app_with(test_settings().await, Roles::ALL).await;
    let demo_kb = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-kb");
    steward_activities::kb::import_dir(&app.pool, &demo_kb)
        .await
        .unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/form.mjs");
    let run = tokio::process::Command::new("node")
        .arg(&script)
        .arg(&app.base_url)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(180), run)
        .await
        .expect("the browser test finishes within 3 minutes")
        .expect("node runs (provisioning installs Node's playwright-core and Chromium)");
    assert!(
        output.status.success(),
        "browser test failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    app.stop().await;
}
