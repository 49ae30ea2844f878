//! Service Center's own HTTP tests, ported: its integration suite (`integration/*_test.go`,
//! ginkgo against a running Service Center) and the router tests of its schema and govern
//! resources (`server/resource/disco/schema_resource_test.go`,
//! `server/resource/govern/govern_resource_test.go`), as of
//! apache/servicecomb-service-center `983f3f39` (2024-08-13).
//!
//! One module per Go file and one test per `It` (or `t.Run`), named after it. Every test
//! has its own server, so what Go shares runs inside the test, with Go's assertions: the
//! `BeforeEach`/`AfterEach` of a context, and, for Go's ordered specs (`schema_test.go`,
//! the `t.Run`s of one Go function), the steps before it. The tests assert what Go asserts
//! (mostly status codes), no more. Go's waits for Service Center's cache and dependency
//! queue are left out: cloudtwin writes in the request. Go's random names
//! (`rand.Intn(15)`, `rand.Int()`) are fixed ones. The integration tests send
//! `X-Domain-Name: default` on every request, and so does [`integration_server`]'s client;
//! the router tests send none.

mod admin_test;
mod govern_resource_test;
mod governance_test;
mod health_test;
mod instances_test;
mod microservices_test;
mod schema_resource_test;
mod schema_test;
mod tags_test;

use reqwest::Method;
use serde_json::{Value, json};

use super::server;
use crate::common::{RegistryClient, Reply, TestServer};

/// `LengthUUID` of `integrationtest_suite_test.go`: the length of a service id.
const LENGTH_UUID: usize = 40;

/// A server, and its registry called as the integration tests call Service Center: with
/// `X-Domain-Name: default` on every request.
async fn integration_server() -> (TestServer, RegistryClient) {
    let (srv, reg) = server().await;
    (srv, reg.with_domain("default"))
}

/// gojson's `Get(key).Tostring()`: the string at `key`, or "" without one.
fn json_str(reply: &Reply, key: &str) -> String {
    reply.json[key].as_str().unwrap_or_default().to_owned()
}

/// Go's search loops over a decoded list: whether an entry has `key` equal to `value`.
fn any_with(list: &Value, key: &str, value: &str) -> bool {
    list.as_array()
        .is_some_and(|items| items.iter().any(|item| item[key] == value))
}

/// Go's `len()` of a decoded slice: 0 when the key is absent.
fn len_of(list: &Value) -> usize {
    list.as_array().map_or(0, Vec::len)
}

/// A GET with `X-ConsumerId: consumer`.
async fn get_as(reg: &RegistryClient, path: &str, consumer: &str) -> Reply {
    reg.send(Method::GET, path, None, &[("X-ConsumerId", consumer)], None)
        .await
}

/// A GET of `/v4/default/{area}{path}`, beside the registry (`govern`, `admin`).
async fn get_outside(reg: &RegistryClient, area: &str, path: &str) -> Reply {
    let root = reg.path("").replace("/registry", &format!("/{area}"));
    reg.api()
        .send(Method::GET, &format!("{root}{path}"), &[], None)
        .await
}

/// The service body of the integration fixtures.
fn go_service(app: &str, name: &str, version: &str) -> Value {
    json!({"service": {
        "serviceName": name,
        "appId": app,
        "version": version,
        "description": "examples",
        "level": "FRONT",
        "schemas": ["testSchema"],
        "status": "UP",
        "properties": {"attr1": "aa"}
    }})
}

/// The instance body of the integration fixtures.
fn go_instance(port: u16, interval: i64, times: i64) -> Value {
    json!({"instance": {
        "endpoints": [format!("cse://127.0.0.1:{port}")],
        "hostName": "cse",
        "status": "UP",
        "environment": "production",
        "properties": {"_TAGS": "A,B", "attr1": "a", "nodeIP": "one"},
        "healthCheck": {"mode": "push", "interval": interval, "times": times}
    }})
}

/// A `BeforeEach` registration (REGISTERMICROSERVICE): 200 and a 40-character id.
async fn register_service(reg: &RegistryClient, body: Value) -> String {
    let reply = reg.post("/microservices", body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let id = json_str(&reply, "serviceId");
    assert_eq!(id.len(), LENGTH_UUID, "{}", reply.text);
    id
}

/// UNREGISTERMICROSERVICE (`?force=true`), which the Go tests expect to answer 200.
async fn unregister_service(reg: &RegistryClient, service_id: &str) {
    let reply = reg
        .delete(&format!("/microservices/{service_id}?force=true"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

/// UNREGISTERINSTANCE, which the Go tests expect to answer 200.
async fn unregister_instance(reg: &RegistryClient, service_id: &str, instance_id: &str) {
    let reply = reg
        .delete(&format!(
            "/microservices/{service_id}/instances/{instance_id}"
        ))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}
