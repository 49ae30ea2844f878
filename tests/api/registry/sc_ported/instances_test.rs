//! Ported from `integration/instances_test.go` ("MicroService Api Test", "Tesing
//! MicroService Instances API's").
//!
//! The `BeforeEach` registers a provider (with an alias), a consumer `C_<name>` and one
//! instance of the provider; the `AfterEach` unregisters that instance and then the
//! provider (`force=true`), each expected to answer 200. The consumer is left behind, as
//! in Go.

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    get_as, go_instance, go_service, integration_server, json_str, register_service,
    unregister_instance, unregister_service,
};
use crate::common::{RegistryClient, Reply};

const APP: &str = "integrationtestAppIdInstance";
const VERSION: &str = "0.0.2";
/// Go's `strconv.Itoa(rand.Intn(15))`, drawn once.
const NAME: &str = "7";

struct Fixture {
    name: String,
    alias: String,
    provider: String,
    consumer: String,
    instance: String,
}

impl Fixture {
    fn instance_path(&self, instance_id: &str) -> String {
        format!("/microservices/{}/instances/{instance_id}", self.provider)
    }

    fn instances_path(&self) -> String {
        format!("/microservices/{}/instances", self.provider)
    }

    fn find_query(&self, service_name: &str) -> String {
        format!("appId={APP}&serviceName={service_name}&version={VERSION}")
    }
}

async fn before_each(reg: &RegistryClient) -> Fixture {
    let name = NAME.to_owned();
    let alias = format!("{APP}:{name}");
    let mut body = go_service(APP, &name, VERSION);
    body["service"]["alias"] = json!(alias);
    let provider = register_service(reg, body).await;

    let consumer_body =
        json!({"service": {"serviceName": format!("C_{name}"), "appId": APP, "version": VERSION}});
    let reply = reg.post("/microservices", consumer_body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let consumer = json_str(&reply, "serviceId");

    let reply = reg
        .post(
            &format!("/microservices/{provider}/instances"),
            go_instance(9984, 30, 2),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let instance = json_str(&reply, "instanceId");
    Fixture {
        name,
        alias,
        provider,
        consumer,
        instance,
    }
}

async fn after_each(reg: &RegistryClient, f: &Fixture) {
    unregister_instance(reg, &f.provider, &f.instance).await;
    unregister_service(reg, &f.provider).await;
}

/// Go's loops over `instances`: the entry with this instance id, if any.
fn entry<'a>(list: &'a Value, instance_id: &str) -> Option<&'a Value> {
    list.as_array()?
        .iter()
        .find(|item| item["instanceId"] == instance_id)
}

/// `resp.Header.Get("X-Resource-Revision")`: "" without one.
fn revision(reply: &Reply) -> String {
    reply
        .headers
        .get("x-resource-revision")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Go's check of a batch find part: some `failed` group has first index 1 and `code`.
fn failed_at_one(part: &Value, code: &str) -> bool {
    part["failed"].as_array().is_some_and(|groups| {
        groups
            .iter()
            .any(|g| g["indexes"][0] == 1 && g["error"]["errorCode"] == code)
    })
}

/// Ported from integration/instances_test.go: "Register MicroService Instance with invalid
/// params"
#[tokio::test]
async fn register_micro_service_instance_with_invalid_params() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let body = json!({"instancse": {
        "hostName": "cse", "status": "UP", "environment": "production"
    }});
    let reply = reg.post(&f.instances_path(), body).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    after_each(&reg, &f).await;
}

/// Ported from integration/instances_test.go: "Register MicroService Instance with duplicate
/// Params"
#[tokio::test]
async fn register_micro_service_instance_with_duplicate_params() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let mut body = go_instance(9984, 30, 2);
    body["instance"]["instanceId"] = json!(f.instance);
    let reply = reg.post(&f.instances_path(), body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(json_str(&reply, "instanceId"), f.instance, "{}", reply.text);
    after_each(&reg, &f).await;
}

/// Ported from integration/instances_test.go: "Register MicroService Instance with valid
/// params"
#[tokio::test]
async fn register_micro_service_instance_with_valid_params() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let reply = reg
        .post(&f.instances_path(), go_instance(9985, 60, 3))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let second = json_str(&reply, "instanceId");
    assert_ne!(second, f.instance);
    unregister_instance(&reg, &f.provider, &second).await;
    after_each(&reg, &f).await;
}

/// Ported from integration/instances_test.go: "Find Micro-service Info by AppID"
#[tokio::test]
async fn find_micro_service_info_by_app_id() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let reply = reg
        .find(&f.find_query(&f.name), Some(f.consumer.as_str()))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(
        entry(&reply.json["instances"], &f.instance).is_some(),
        "{}",
        reply.text
    );

    let reply = reg
        .get(&format!("/microservices/{}/providers", f.consumer))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.json["providers"][0]["serviceId"],
        f.provider.as_str(),
        "{}",
        reply.text
    );

    let reply = reg
        .get(&format!("/microservices/{}/consumers", f.provider))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let found = reply.json["consumers"]
        .as_array()
        .is_some_and(|list| list.iter().any(|c| c["serviceId"] == f.consumer.as_str()));
    assert!(found, "{}", reply.text);
    after_each(&reg, &f).await;
}

/// Ported from integration/instances_test.go: "Find Micro-service Info by invalid AppID"
#[tokio::test]
async fn find_micro_service_info_by_invalid_app_id() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let query = format!("appId=XXXX&serviceName={}&version={VERSION}", f.name);
    let reply = reg.find(&query, Some(f.consumer.as_str())).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    after_each(&reg, &f).await;
}

/// Ported from integration/instances_test.go: "Find Micro-Service Instance by ServiceID"
#[tokio::test]
async fn find_micro_service_instance_by_service_id() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let path = format!("{}?noCache=true", f.instances_path());
    let reply = get_as(&reg, &path, &f.consumer).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(
        entry(&reply.json["instances"], &f.instance).is_some(),
        "{}",
        reply.text
    );
    after_each(&reg, &f).await;
}

/// Ported from integration/instances_test.go: "Find Micro-Service Instance by Invalid
/// ServiceID"
#[tokio::test]
async fn find_micro_service_instance_by_invalid_service_id() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let reply = get_as(&reg, "/microservices/XX/instances", &f.consumer).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    after_each(&reg, &f).await;
}

/// Ported from integration/instances_test.go: "Find MicroServiceInstance with Service and
/// IstanceID"
#[tokio::test]
async fn find_micro_service_instance_with_service_and_instance_id() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let reply = get_as(&reg, &f.instance_path(&f.instance), &f.consumer).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.json["instance"]["instanceId"],
        f.instance.as_str(),
        "{}",
        reply.text
    );
    after_each(&reg, &f).await;
}

/// Ported from integration/instances_test.go: "Find Micro-Service Instance by Invalid
/// InstanceID"
#[tokio::test]
async fn find_micro_service_instance_by_invalid_instance_id() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let reply = get_as(&reg, &f.instance_path("XX"), &f.consumer).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    after_each(&reg, &f).await;
}

/// Ported from integration/instances_test.go: "Find Micro-service Info by alias"
#[tokio::test]
async fn find_micro_service_info_by_alias() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let query = format!("noCache=true&{}", f.find_query(&f.alias));
    let reply = reg.find(&query, Some(f.consumer.as_str())).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(
        entry(&reply.json["instances"], &f.instance).is_some(),
        "{}",
        reply.text
    );
    after_each(&reg, &f).await;
}

/// Ported from integration/instances_test.go: "Find Micro-Service Instance with rev"
#[tokio::test]
async fn find_micro_service_instance_with_rev() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let query = f.find_query(&f.name);
    let reply = reg.find(&query, Some(f.consumer.as_str())).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let rev = revision(&reply);
    assert!(!rev.is_empty());

    let reply = reg
        .find(&format!("{query}&rev={rev}"), Some(f.consumer.as_str()))
        .await;
    assert_eq!(reply.status, 304, "{}", reply.text);
    assert!(!revision(&reply).is_empty());
    after_each(&reg, &f).await;
}

/// Ported from integration/instances_test.go: "Batch Find Micro-service Instance"
#[tokio::test]
async fn batch_find_micro_service_instance() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let body = json!({
        "services": [
            {"service": {"appId": APP, "serviceName": f.name, "version": VERSION}},
            {"service": {"appId": APP, "serviceName": "notexisted", "version": VERSION}}
        ],
        "instances": [
            {"instance": {"serviceId": f.provider, "instanceId": f.instance}},
            {"instance": {"serviceId": f.provider, "instanceId": "notexisted"}}
        ]
    });
    let consumer = [("X-ConsumerId", f.consumer.as_str())];
    let reply = reg
        .send(
            Method::POST,
            "/instances/action",
            None,
            &consumer,
            Some(&body),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text);

    let reply = reg
        .send(
            Method::POST,
            "/instances/action?type=query",
            None,
            &consumer,
            Some(&body),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    for (part, code) in [("services", "400012"), ("instances", "400017")] {
        let result = &reply.json[part];
        assert!(failed_at_one(result, code), "{part}: {}", reply.text);
        assert_eq!(result["updated"][0]["index"], 0, "{part}: {}", reply.text);
        let instances = result["updated"][0]["instances"].as_array();
        assert!(
            instances.is_some_and(|list| !list.is_empty()),
            "{part}: {}",
            reply.text
        );
    }
    after_each(&reg, &f).await;
}

/// Ported from integration/instances_test.go: "Update Micro-Service Instance Properties"
#[tokio::test]
async fn update_micro_service_instance_properties() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let properties = json!({"_TAGS": "A,B", "attr1": "NewValue", "nodeIP": "two"});
    let path = format!("{}/properties", f.instance_path(&f.instance));
    let reply = reg
        .put(&path, Some(json!({ "properties": properties })))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    let reply = get_as(&reg, &f.instances_path(), &f.consumer).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    if let Some(instance) = entry(&reply.json["instances"], &f.instance) {
        assert_eq!(instance["properties"], properties, "{}", reply.text);
    }
    after_each(&reg, &f).await;
}

/// Ported from integration/instances_test.go: "Update Micro-Service Instance Properties with
/// invalid params"
#[tokio::test]
async fn update_micro_service_instance_properties_with_invalid_params() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let path = format!("{}/properties", f.instance_path("WRONGINSTANCEID"));
    let reply = reg.put(&path, Some(json!({"properties": {}}))).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    after_each(&reg, &f).await;
}

/// Ported from integration/instances_test.go: "Update Micro-Service Instance Status"
#[tokio::test]
async fn update_micro_service_instance_status() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let path = format!("{}/status?value=DOWN", f.instance_path(&f.instance));
    let reply = reg.put(&path, None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    let reply = get_as(&reg, &f.instances_path(), &f.consumer).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    if let Some(instance) = entry(&reply.json["instances"], &f.instance) {
        assert_eq!(instance["status"], "DOWN", "{}", reply.text);
    }
    after_each(&reg, &f).await;
}

/// Ported from integration/instances_test.go: "Update Micro-Service Instance Status with
/// invalid Status"
#[tokio::test]
async fn update_micro_service_instance_status_with_invalid_status() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let path = format!("{}/status?value=INVALID", f.instance_path(&f.instance));
    let reply = reg.put(&path, None).await;
    assert_eq!(reply.status, 400, "{}", reply.text);

    let reply = get_as(&reg, &f.instances_path(), &f.consumer).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    if let Some(instance) = entry(&reply.json["instances"], &f.instance) {
        assert_eq!(instance["status"], "UP", "{}", reply.text);
    }
    after_each(&reg, &f).await;
}

/// Ported from integration/instances_test.go: "Send HeartBeat for micro-service instance"
#[tokio::test]
async fn send_heartbeat_for_micro_service_instance() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let path = format!("{}/heartbeat", f.instance_path(&f.instance));
    let reply = reg.put(&path, None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    after_each(&reg, &f).await;
}

/// Ported from integration/instances_test.go: "Send HeartBeat for wrong micro-service
/// instance"
#[tokio::test]
async fn send_heartbeat_for_wrong_micro_service_instance() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let path = format!("{}/heartbeat", f.instance_path("XXX"));
    let reply = reg.put(&path, None).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    after_each(&reg, &f).await;
}

/// Ported from integration/instances_test.go: "Call the watcher API " (a plain GET, no
/// WebSocket upgrade)
#[tokio::test]
async fn call_the_watcher_api() {
    let (_srv, reg) = integration_server().await;
    let f = before_each(&reg).await;
    let reply = reg
        .get(&format!("/microservices/{}/watcher", f.provider))
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    after_each(&reg, &f).await;
}
