//! Ported from `integration/tags_test.go` ("MicroService Api Test", "Tesing MicroService
//! Tags API's").
//!
//! The `BeforeEach` registers the fixture service; the `AfterEach` unregisters it
//! (`force=true`) and expects 200.

use serde_json::{Value, json};

use super::{get_as, go_service, integration_server, register_service, unregister_service};
use crate::common::RegistryClient;

const APP: &str = "integrationtestAppIdInstance";
const VERSION: &str = "0.0.2";
/// Go's `"integrationtestInstances" + strconv.Itoa(rand.Int())`, drawn once.
const NAME: &str = "integrationtestInstances5577006791947779410";

async fn before_each(reg: &RegistryClient) -> String {
    register_service(reg, go_service(APP, NAME, VERSION)).await
}

fn tags_path(id: &str) -> String {
    format!("/microservices/{id}/tags")
}

fn test_tags() -> Value {
    json!({"tags": {"testkey": "testValue"}})
}

/// "//Add Tag": ADDTAGE with `testkey: testValue`, expected to answer 200.
async fn add_tag(reg: &RegistryClient, id: &str) {
    let reply = reg.post(&tags_path(id), test_tags()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

/// Ported from integration/tags_test.go: "Create MicroService tags"
#[tokio::test]
async fn create_micro_service_tags() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    let reply = reg.post(&tags_path(&id), test_tags()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    unregister_service(&reg, &id).await;
}

/// Ported from integration/tags_test.go: "Create MicroService tags with empty collections,
/// should be pass"
#[tokio::test]
async fn create_micro_service_tags_with_empty_collections_should_be_pass() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    let reply = reg.post(&tags_path(&id), json!({})).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = reg.post(&tags_path(&id), json!({"tags": {}})).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    unregister_service(&reg, &id).await;
}

/// Ported from integration/tags_test.go: "Create MicroService tags with invalid serviceID"
#[tokio::test]
async fn create_micro_service_tags_with_invalid_service_id() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    let reply = reg.post(&tags_path("XXX"), test_tags()).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    unregister_service(&reg, &id).await;
}

/// Ported from integration/tags_test.go: "Get Tags for MicroService"
#[tokio::test]
async fn get_tags_for_micro_service() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    add_tag(&reg, &id).await;
    let reply = get_as(&reg, &tags_path(&id), &id).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json, test_tags(), "{}", reply.text);
    unregister_service(&reg, &id).await;
}

/// Ported from integration/tags_test.go: "Get Empty Tags for MicroService"
#[tokio::test]
async fn get_empty_tags_for_micro_service() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    let reply = get_as(&reg, &tags_path(&id), &id).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.text.trim(), "{}");
    unregister_service(&reg, &id).await;
}

/// Ported from integration/tags_test.go: "Get Tags for Invalid MicroService"
#[tokio::test]
async fn get_tags_for_invalid_micro_service() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    let reply = reg.get(&tags_path("XXXX")).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    unregister_service(&reg, &id).await;
}

/// Ported from integration/tags_test.go: "Update MicroService tag with proper value"
#[tokio::test]
async fn update_micro_service_tag_with_proper_value() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    add_tag(&reg, &id).await;
    let reply = reg
        .put(
            &format!("/microservices/{id}/tags/testkey?value=newValue"),
            None,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = get_as(&reg, &tags_path(&id), &id).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.json,
        json!({"tags": {"testkey": "newValue"}}),
        "{}",
        reply.text
    );
    unregister_service(&reg, &id).await;
}

/// Ported from integration/tags_test.go: "Update MicroService tag with non-exsisting tags"
#[tokio::test]
async fn update_micro_service_tag_with_non_existing_tags() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    add_tag(&reg, &id).await;
    let reply = reg
        .put(
            &format!("/microservices/{id}/tags/unknownkey?value=newValue"),
            None,
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    unregister_service(&reg, &id).await;
}

/// Ported from integration/tags_test.go: "Update MicroService tag with non-exsisting
/// serviceID"
#[tokio::test]
async fn update_micro_service_tag_with_non_existing_service_id() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    let reply = reg
        .put("/microservices/XXXXX/tags/unknownkey?value=newValue", None)
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    unregister_service(&reg, &id).await;
}

/// Ported from integration/tags_test.go: "Delete MicroService tag with proper value"
#[tokio::test]
async fn delete_micro_service_tag_with_proper_value() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    add_tag(&reg, &id).await;
    let reply = reg
        .delete(&format!("/microservices/{id}/tags/testkey"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = get_as(&reg, &tags_path(&id), &id).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.text.trim(), "{}");
    unregister_service(&reg, &id).await;
}

/// Ported from integration/tags_test.go: "Delete MicroService tag with non-exsisting tags"
#[tokio::test]
async fn delete_micro_service_tag_with_non_existing_tags() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    add_tag(&reg, &id).await;
    let reply = reg
        .delete(&format!("/microservices/{id}/tags/unknowTag"))
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    let reply = get_as(&reg, &tags_path(&id), &id).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json, test_tags(), "{}", reply.text);
    unregister_service(&reg, &id).await;
}

/// Ported from integration/tags_test.go: "Delete MicroService tag with non-exsiting service
/// id"
#[tokio::test]
async fn delete_micro_service_tag_with_non_existing_service_id() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    let reply = reg.delete("/microservices/XXX/tags/testkey").await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    unregister_service(&reg, &id).await;
}
