//! Ported from `integration/admin_test.go` ("Admin Api Test").
//!
//! Go registers nothing: Service Center has registered itself (`SERVICECENTER`, in
//! `default/default`) before any test runs, so its dump always holds a service.
//! cloudtwin stores no such service, so the test first registers one with Service Center's
//! own key in its place.

use serde_json::json;

use super::{get_outside, integration_server};

/// Ported from integration/admin_test.go: "dump"
#[tokio::test]
async fn dump() {
    let (_srv, reg) = integration_server().await;
    // Stands in for Service Center's self-registration.
    let body = json!({"service": {
        "appId": "default",
        "serviceName": "SERVICECENTER",
        "alias": "SERVICECENTER",
        "version": "2.2.0",
        "environment": "production",
        "level": "BACK",
        "status": "UP",
        "properties": {"allowCrossApp": "true"}
    }});
    let reply = reg.post("/microservices", body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    let reply = get_outside(&reg, "admin", "/dump").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let services = reply.json["cache"]["services"].as_array();
    assert_ne!(services.map_or(0, Vec::len), 0, "{}", reply.text);
}
