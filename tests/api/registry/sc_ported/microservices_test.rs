//! Ported from `integration/microservices_test.go` ("MicroService Api Test").
//!
//! The `BeforeEach` of "Testing MicroService API's" registers the fixture service; its
//! `AfterEach` unregisters it with `force=true` and expects 200, unless the test already
//! removed it (Go sets `serviceId = ""`).

use serde_json::{Value, json};

use super::{
    any_with, go_service, integration_server, json_str, len_of, register_service,
    unregister_service,
};
use crate::common::RegistryClient;

const APP: &str = "integrationtestAppId";
const VERSION: &str = "0.0.1";
/// Go's `strconv.Itoa(rand.Intn(15))` for the fixture service, drawn once.
const NAME: &str = "7";
/// Go's `strconv.Itoa(rand.Intn(15))` for the consumer of the dependency tests.
const CONSUMER_NAME: &str = "11";
const CONSUMER_APP: &str = "consumerAppId";
const CONSUMER_VERSION: &str = "2.0.0";

/// The `BeforeEach`: the fixture service, its id.
async fn before_each(reg: &RegistryClient) -> String {
    register_service(reg, go_service(APP, NAME, VERSION)).await
}

/// Go's `getServiceName`: GETSERVICEBYID answers 200; the service's name.
async fn get_service_name(reg: &RegistryClient, id: &str) -> String {
    let reply = reg.get(&format!("/microservices/{id}")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json["service"]["serviceName"]
        .as_str()
        .expect("serviceName is a string")
        .to_owned()
}

/// Registers the consumer of the dependency tests (200 expected); its id.
async fn register_consumer(reg: &RegistryClient) -> String {
    let reply = reg
        .post(
            "/microservices",
            go_service(CONSUMER_APP, CONSUMER_NAME, CONSUMER_VERSION),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    json_str(&reply, "serviceId")
}

fn consumer_key() -> Value {
    json!({"appId": CONSUMER_APP, "serviceName": CONSUMER_NAME, "version": CONSUMER_VERSION})
}

fn dependencies(providers: Value) -> Value {
    json!({"dependencies": [{"consumer": consumer_key(), "providers": providers}]})
}

/// Ported from integration/microservices_test.go: "Register MicroService"
#[tokio::test]
async fn register_micro_service() {
    let (_srv, reg) = integration_server().await;
    let id = register_service(&reg, go_service(APP, NAME, VERSION)).await;
    unregister_service(&reg, &id).await;
}

/// Ported from integration/microservices_test.go: "test valid scenario" (By "Test
/// Micro-Service Unregister API")
#[tokio::test]
async fn unregister_api_test_valid_scenario() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    let reply = reg.delete(&format!("/microservices/{id}?force=true")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

/// Ported from integration/microservices_test.go: "test invalid id" (By "Test Micro-Service
/// Unregister API")
#[tokio::test]
async fn unregister_api_test_invalid_id() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    let reply = reg.delete("/microservices/56565?force=true").await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    unregister_service(&reg, &id).await;
}

/// Ported from integration/microservices_test.go: "test valid scenario" (By "Test if
/// Service Exsist")
#[tokio::test]
async fn service_exist_test_valid_scenario() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    let name = get_service_name(&reg, &id).await;
    let reply = reg
        .get(&format!(
            "/existence?type=microservice&appId={APP}&serviceName={name}&version={VERSION}"
        ))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(json_str(&reply, "serviceId"), id, "{}", reply.text);
    unregister_service(&reg, &id).await;
}

/// Ported from integration/microservices_test.go: "test invalid api params" (By "Test if
/// Service Exsist")
#[tokio::test]
async fn service_exist_test_invalid_api_params() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    let reply = reg
        .get(&format!(
            "/existence?type=microservice&appId=&serviceName={NAME}&version={VERSION}"
        ))
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    unregister_service(&reg, &id).await;
}

/// Ported from integration/microservices_test.go: "test valid scenario" (By "Test Get
/// Service by ServiceID")
#[tokio::test]
async fn get_service_by_id_test_valid_scenario() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    let name = get_service_name(&reg, &id).await;
    let reply = reg.get(&format!("/microservices/{id}")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.json["service"]["serviceName"],
        name.as_str(),
        "{}",
        reply.text
    );
    unregister_service(&reg, &id).await;
}

/// Ported from integration/microservices_test.go: "test invalid api params" (By "Test Get
/// Service by ServiceID")
#[tokio::test]
async fn get_service_by_id_test_invalid_api_params() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    let reply = reg.get("/microservices/abcd").await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    unregister_service(&reg, &id).await;
}

/// Ported from integration/microservices_test.go: "test valid scenario" (By "Test Get All
/// Services in SC")
#[tokio::test]
async fn get_all_services_test_valid_scenario() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    let name = get_service_name(&reg, &id).await;
    let reply = reg.get("/microservices").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(
        any_with(&reply.json["services"], "serviceName", &name),
        "{}",
        reply.text
    );
    unregister_service(&reg, &id).await;
}

/// Ported from integration/microservices_test.go: "test get all service with wrong domain
/// name"
#[tokio::test]
async fn get_all_services_test_get_all_service_with_wrong_domain_name() {
    let (srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    let reply = srv
        .registry()
        .with_domain("default1")
        .get("/microservices")
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.text.trim(), "{}");
    unregister_service(&reg, &id).await;
}

/// Ported from integration/microservices_test.go: "test valid scenario" (By "Test Update
/// MicroService Properties")
#[tokio::test]
async fn update_properties_test_valid_scenario() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    let reply = reg
        .put(
            &format!("/microservices/{id}/properties"),
            Some(json!({"properties": {"attr2": "bb"}})),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    unregister_service(&reg, &id).await;
}

/// Ported from integration/microservices_test.go: "test invalid scenario with wrong
/// serviceID"
#[tokio::test]
async fn update_properties_test_invalid_scenario_with_wrong_service_id() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    let reply = reg
        .put(
            "/microservices/WrongID/properties",
            Some(json!({"properties": {"attr2": "bb"}})),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    unregister_service(&reg, &id).await;
}

/// Ported from integration/microservices_test.go: "test invalid scenario with wrong
/// propertyType"
#[tokio::test]
async fn update_properties_test_invalid_scenario_with_wrong_property_type() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    let reply = reg
        .put(
            "/microservices/WrongID/properties",
            Some(json!({"wrongtype": {"attr2": "bb"}})),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    unregister_service(&reg, &id).await;
}

/// Ported from integration/microservices_test.go: "test Valid dependency creation"
#[tokio::test]
async fn dependency_api_test_valid_dependency_creation() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    let name = get_service_name(&reg, &id).await;
    let consumer = register_consumer(&reg).await;

    let provider = json!({"appId": APP, "serviceName": name, "version": VERSION});
    let reply = reg
        .put("/dependencies", Some(dependencies(json!([provider]))))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    // The consumer first, then the provider; the AfterEach has nothing left to delete.
    unregister_service(&reg, &consumer).await;
    unregister_service(&reg, &id).await;
}

/// Ported from integration/microservices_test.go: "Get Dependencies for providers and
/// consumers"
#[tokio::test]
async fn dependency_api_get_dependencies_for_providers_and_consumers() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    let name = get_service_name(&reg, &id).await;
    let consumer = register_consumer(&reg).await;

    let provider = json!({"appId": APP, "serviceName": name, "version": VERSION});
    let reply = reg
        .put("/dependencies", Some(dependencies(json!([provider]))))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    // Add the consumer itself as a provider.
    let reply = reg
        .post("/dependencies", dependencies(json!([consumer_key()])))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    let providers_path = format!("/microservices/{consumer}/providers");
    let reply = reg.get(&providers_path).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(
        any_with(&reply.json["providers"], "serviceName", &name),
        "{}",
        reply.text
    );

    let reply = reg.get(&format!("/microservices/{id}/consumers")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(
        any_with(&reply.json["consumers"], "serviceName", CONSUMER_NAME),
        "{}",
        reply.text
    );

    let reply = reg.get(&providers_path).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(
        any_with(&reply.json["providers"], "serviceName", CONSUMER_NAME),
        "{}",
        reply.text
    );

    // Override with no providers at all.
    let reply = reg
        .put("/dependencies", Some(dependencies(json!([]))))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = reg.get(&providers_path).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(len_of(&reply.json["providers"]), 0, "{}", reply.text);

    unregister_service(&reg, &consumer).await;
    unregister_service(&reg, &id).await;
}

/// Ported from integration/microservices_test.go: "Invalid scenario for GET Providers and
/// Consumers"
#[tokio::test]
async fn dependency_api_invalid_scenario_for_get_providers_and_consumers() {
    let (_srv, reg) = integration_server().await;
    let id = before_each(&reg).await;
    let reply = reg.get("/microservices/wrongID/providers").await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    let reply = reg.get("/microservices/wrongID/consumers").await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    unregister_service(&reg, &id).await;
}
