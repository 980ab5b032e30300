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
