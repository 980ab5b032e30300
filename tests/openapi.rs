//! The OpenAPI document is generated from the handlers; this keeps it equal
//! to what the gateway actually routes and serves.

mod support;

use std::collections::BTreeSet;
use steward::app::Roles;
use steward_gateway::openapi::ApiDoc;
use support::*;
use utoipa::OpenApi;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_document_matches_the_routes() {
    let app = spawn_app_with(test_settings().await, Roles::GATEWAY).await;
    let served: serde_json::Value = app
        .http
        .get(format!("{}/api/openapi.json", app.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served, serde_json::to_value(ApiDoc::openapi()).unwrap());
    assert!(served["openapi"].as_str().unwrap().starts_with("3."));

    let documented: BTreeSet<(String, String)> = served["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    let routed: BTreeSet<(String, String)> = steward_gateway::app::route_table()
        .into_iter()
        .map(|(m, p)| (m.to_owned(), p.to_owned()))
        .collect();
    assert_eq!(
        documented, routed,
        "every route documented, nothing documented that is not routed"
    );

    let webhook = &served["paths"]["/webhooks/twilio/whatsapp"]["post"]["responses"];
    for status in ["200", "400", "403", "413", "415", "503"] {
        assert!(
            webhook.get(status).is_some(),
            "webhook response {status} undocumented"
        );
    }
    // Each documented GET path answers (no 404/405 from the router itself).
    for (method, path) in &routed {
        if method == "get" && !path.contains('{') {
            let status = app
                .http
                .get(format!("{}{path}", app.base_url))
                .send()
                .await
                .unwrap()
                .status();
            assert!(status != 404 && status != 405, "{path}: {status}");
        }
    }
    app.stop().await;
}

/// schemathesis (PyPI, installed by scripts/provision.sh) drives every
/// documented operation of the running gateway with generated requests,
/// hostile ones included: no 5xx, and every status code, content type and
/// body is one the document promises. Bounded: `STEWARD_SCHEMATHESIS_EXAMPLES`
/// examples per operation (default 100) with a fixed seed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_undocumented_answer() {
    let mut settings = test_settings().await;
    // Generated submissions must reach validation, not the per-IP limit.
    settings.gateway.web_form_per_ip_per_hour = 100_000;
    let app = spawn_gateway(settings).await;
    let examples =
        std::env::var("STEWARD_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "100".to_owned());
    let report = std::env::temp_dir().join(format!("schemathesis-{}.xml", app.database_name));
    let output = tokio::process::Command::new("schemathesis")
        .arg("run")
        .arg(format!("{}/api/openapi.json", app.base_url))
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance",
            "--max-examples",
            &examples,
            "--seed",
            "20261130",
            "--workers",
            "2",
            "--request-timeout",
            "10",
            "--report",
            "junit",
            "--report-junit-path",
        ])
        .arg(&report)
        .env("NO_COLOR", "1")
        .output()
        .await
        .expect("schemathesis is installed (scripts/provision.sh)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("test cases") || l.contains("passed") || l.contains("Test cases"))
        .collect();
    println!("schemathesis: {}", summary.join(" | "));
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    app.stop().await;
}
