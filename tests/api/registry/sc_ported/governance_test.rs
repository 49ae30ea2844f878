//! Ported from `integration/governance_test.go` ("MicroService Api Test", "Tesing
//! MicroService Governance API's").
//!
//! The `BeforeEach` registers a service and one instance of it; the `AfterEach`
//! unregisters the instance, then the service (`force=true`), each expected to answer 200.

use super::{
    any_with, get_outside, go_instance, go_service, integration_server, json_str, register_service,
    unregister_instance, unregister_service,
};
use crate::common::RegistryClient;

/// Go's `serviceAppId`; the fixture's appId is it plus `strconv.Itoa(rand.Int())`.
const APP_PREFIX: &str = "integrationtestAppIdInstance";
/// The random suffixes, drawn once.
const APP_SUFFIX: &str = "8674665223082153551";
const NAME: &str = "integrationtestInstances6129484611666145821";
const VERSION: &str = "0.0.2";

struct Fixture {
    service: String,
    instance: String,
}

async fn before_each(reg: &RegistryClient) -> Fixture {
    let app = format!("{APP_PREFIX}{APP_SUFFIX}");
    let service = register_service(reg, go_service(&app, NAME, VERSION)).await;
    let reply = reg
        .post(
            &format!("/microservices/{service}/instances"),
            go_instance(9984, 30, 2),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let instance = json_str(&reply, "instanceId");
    Fixture { service, instance }
}

async fn after_each(reg: &RegistryClient, f: &Fixture) {
    unregister_instance(reg, &f.service, &f.instance).await;
    unregister_service(reg, &f.service).await;
}

/// Ported from integration/governance_test.go: "Get ServiceInfo by Governance API"
#[tokio::test]
async fn get_service_info_by_governance_api() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let reply = get_outside(&reg, "govern", &format!("/microservices/{}", f.service)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.json["service"]["microService"]["serviceId"],
        f.service.as_str(),
        "{}",
        reply.text
    );
    after_each(&reg, &f).await;
}

/// Ported from integration/governance_test.go: "Get ServiceInfo by Governance API with
/// non-exsistence serviceID"
#[tokio::test]
async fn get_service_info_by_governance_api_with_non_existence_service_id() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let reply = get_outside(&reg, "govern", "/microservices/XXXXX").await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    after_each(&reg, &f).await;
}

/// Ported from integration/governance_test.go: "Get Relation Graph for all "
#[tokio::test]
async fn get_relation_graph_for_all() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let reply = get_outside(&reg, "govern", "/relations").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(
        any_with(&reply.json["nodes"], "id", &f.service),
        "{}",
        reply.text
    );
    after_each(&reg, &f).await;
}

/// Ported from integration/governance_test.go: "Get All Service Metadata"
#[tokio::test]
async fn get_all_service_metadata() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let reply = get_outside(&reg, "govern", "/microservices").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let found = reply.json["allServicesDetail"]
        .as_array()
        .is_some_and(|details| {
            details
                .iter()
                .any(|d| d["microService"]["serviceId"] == f.service.as_str())
        });
    assert!(found, "{}", reply.text);
    after_each(&reg, &f).await;
}

/// Ported from integration/governance_test.go: "Get All App Ids"
#[tokio::test]
async fn get_all_app_ids() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let reply = get_outside(&reg, "govern", "/apps").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let found = reply.json["appIds"].as_array().is_some_and(|apps| {
        apps.iter()
            .any(|app| app.as_str().is_some_and(|a| a.starts_with(APP_PREFIX)))
    });
    assert!(found, "{}", reply.text);
    after_each(&reg, &f).await;
}
