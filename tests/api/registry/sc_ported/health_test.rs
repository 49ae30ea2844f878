//! Ported from `integration/health_test.go` ("Basic Api Test", "Testing Basic Health
//! Functions").

use super::integration_server;

/// Ported from integration/health_test.go: "health test"
#[tokio::test]
async fn health_test() {
    let (_srv, reg) = integration_server().await;
    let reply = reg.get("/health").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

/// Ported from integration/health_test.go: "version test"
#[tokio::test]
async fn version_test() {
    let (_srv, reg) = integration_server().await;
    let reply = reg.get("/version").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["apiVersion"], "4.0.0", "{}", reply.text);
}
