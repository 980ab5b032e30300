//! The web form in a real browser: Debian's headless Chromium driven by
//! playwright-core (`tests/browser/form.mjs`, installed by the project's
//! provisioning) against the whole stack — gateway, Kafka, intake, the
//! ticket workflow and the offline responder; and the Temporal Web UI
//! (`tests/browser/temporal_ui.mjs`) as an agent uses it: the escalated
//! view with ticket columns, a ticket's card and named timers and
//! activities, and an Update refused by its validator, shown in the dialog.
//! With `STEWARD_SCREENSHOTS=docs` the UI test saves the README's pictures.

mod support;

use std::time::Duration;
use steward::app::Roles;
use support::*;

/// Runs `tests/browser/<script>` in Node (playwright-core and Chromium come
/// from provisioning) and fails the test with its output if it fails.
async fn run_browser_script(script: &str, args: &[&std::ffi::OsStr]) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser")
        .join(script);
    let run = tokio::process::Command::new("node")
        .arg(&path)
        .args(args)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(180), run)
        .await
        .expect("the browser script finishes within 3 minutes")
        .expect("node runs (provisioning installs Node's playwright-core and Chromium)");
    assert!(
        output.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_submits_the_form_and_sees_the_bot_reply() {
    let app = spawn_app_with(test_settings().await, Roles::ALL).await;
    let demo_kb = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-kb");
    steward_activities::kb::import_dir(&app.pool, &demo_kb)
        .await
        .unwrap();
    run_browser_script("form.mjs", &[app.base_url.as_str().as_ref()]).await;
    app.stop().await;
}

/// A Temporal dev server with its Web UI (the shared test server is
/// headless), on free ports, stopped when dropped.
fn temporal_with_ui(dir: &std::path::Path) -> (steward::stack::Supervised, String, String) {
    let free = || steward::stack::port_below_ephemeral().unwrap();
    let (port, ui_port) = (free(), free());
    let args = steward::stack::throwaway_temporal_args(port, &[("--ui-port", ui_port)]).unwrap();
    let server = steward::stack::Supervised::spawn(
        "temporal-ui",
        &steward::stack::temporal_binary(None).unwrap(),
        &args,
        dir,
        &dir.join("temporal.log"),
    )
    .unwrap();
    (
        server,
        format!("127.0.0.1:{port}"),
        format!("http://127.0.0.1:{ui_port}"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_temporal_ui_is_a_desk_listing_tickets_with_cards_named_steps_and_refusals() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("temporal-ui-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let (_server, address, ui) = temporal_with_ui(&dir);
    steward::stack::wait_for_port(&address, Duration::from_secs(90))
        .await
        .unwrap();
    let ui_addr = ui.trim_start_matches("http://").to_owned();
    steward::stack::wait_for_port(&ui_addr, Duration::from_secs(90))
        .await
        .unwrap();
    let mut settings = test_settings().await;
    settings.temporal.address = Some(address);
    let app = spawn_app_with(settings, Roles::ALL).await;
    let (workflow_id, number) = app.escalated_refund_ticket().await;
    let mut args = vec![
        std::ffi::OsString::from(&ui),
        workflow_id.into(),
        number.into(),
    ];
    if let Some(shots) = std::env::var_os("STEWARD_SCREENSHOTS") {
        args.push(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(shots)
                .into(),
        );
    }
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    run_browser_script("temporal_ui.mjs", &args).await;
    app.stop().await;
}
