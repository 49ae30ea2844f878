//! Ported from `server/resource/govern/govern_resource_test.go`: the router tests of
//! `/v4/default/govern`, without `X-Domain-Name` (the `default` domain).
//!
//! Each Go function registers its service through the service layer (the port: a
//! `POST /microservices`, expected to answer 200) and unregisters it when it returns; its
//! `t.Run`s only read, so each runs alone on the function's service.

use serde_json::{Value, json};

use super::super::server;
use super::{get_outside, len_of};
use crate::common::RegistryClient;

const LIST_NAME: &str = "list_service_detail";

/// Registers a service (`RegisterService` must succeed); its id.
async fn register(reg: &RegistryClient, service: Value) -> String {
    let reply = reg
        .post("/microservices", json!({ "service": service }))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json["serviceId"]
        .as_str()
        .expect("serviceId")
        .to_owned()
}

/// The service of `TestResource_GetServiceDetail` and `TestResource_ListServiceDetail`.
fn detailed(name: &str) -> Value {
    json!({"serviceName": name, "schemas": ["test"], "properties": {"test": "list"}})
}

/// `resp.Statistics.<kind>.Count` must not be 0 (a missing `statistics` fails in Go).
#[track_caller]
fn assert_counted(body: &Value, kind: &str) {
    let count = body["statistics"][kind]["count"].as_i64().unwrap_or(0);
    assert_ne!(count, 0, "statistics.{kind}.count: {body}");
}

fn non_empty_array(v: &Value) -> bool {
    v.as_array().is_some_and(|a| !a.is_empty())
}

/// Ported from server/resource/govern/govern_resource_test.go:
/// "TestResource_GetServiceDetail/query service detail, should ok"
#[tokio::test]
async fn get_service_detail_query_service_detail_should_ok() {
    let (_srv, reg) = server().await;
    let id = register(&reg, detailed("get_service_detail")).await;
    let reply = get_outside(&reg, "govern", &format!("/microservices/{id}?noCache=true")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let service = &reply.json["service"]["microService"];
    assert_eq!(service["serviceId"], id.as_str(), "{}", reply.text);
    assert!(non_empty_array(&service["schemas"]), "{}", reply.text);
    assert!(
        service["properties"]
            .as_object()
            .is_some_and(|p| !p.is_empty()),
        "{}",
        reply.text
    );
}

/// Ported from server/resource/govern/govern_resource_test.go:
/// "TestResource_GetServiceDetail/query not exist service detail, should fail"
#[tokio::test]
async fn get_service_detail_query_not_exist_service_detail_should_fail() {
    let (_srv, reg) = server().await;
    register(&reg, detailed("get_service_detail")).await;
    let reply = get_outside(&reg, "govern", "/microservices/not-exist").await;
    assert_eq!(reply.status, 400, "{}", reply.text);
}

/// Ported from server/resource/govern/govern_resource_test.go:
/// "TestResource_ListServiceDetail/list service detail, should ok"
#[tokio::test]
async fn list_service_detail_list_service_detail_should_ok() {
    let (_srv, reg) = server().await;
    let id = register(&reg, detailed(LIST_NAME)).await;
    let path = format!("/microservices?noCache=true&options=all&serviceName={LIST_NAME}");
    let reply = get_outside(&reg, "govern", &path).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let service = &reply.json["allServicesDetail"][0]["microService"];
    assert_eq!(service["serviceId"], id.as_str(), "{}", reply.text);
    assert!(
        service["properties"]
            .as_object()
            .is_some_and(|p| !p.is_empty()),
        "{}",
        reply.text
    );
    assert!(!non_empty_array(&service["schemas"]), "{}", reply.text);
    assert_counted(&reply.json, "services");
    assert_counted(&reply.json, "apps");
}

/// Ported from server/resource/govern/govern_resource_test.go:
/// "TestResource_ListServiceDetail/list not exist service detail, should ok"
#[tokio::test]
async fn list_service_detail_list_not_exist_service_detail_should_ok() {
    let (_srv, reg) = server().await;
    register(&reg, detailed(LIST_NAME)).await;
    let path = "/microservices?options=all&serviceName=not-exist";
    let reply = get_outside(&reg, "govern", path).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        len_of(&reply.json["allServicesDetail"]),
        0,
        "{}",
        reply.text
    );
    assert_counted(&reply.json, "services");
    assert_counted(&reply.json, "apps");
}

/// Ported from server/resource/govern/govern_resource_test.go:
/// "TestResource_ListServiceDetail/list service detail with properties filter, should ok"
#[tokio::test]
async fn list_service_detail_with_properties_filter_should_ok() {
    let (_srv, reg) = server().await;
    let id = register(&reg, detailed(LIST_NAME)).await;
    let path = format!(
        "/microservices?noCache=true&options=all&serviceName={LIST_NAME}&property=test:list"
    );
    let reply = get_outside(&reg, "govern", &path).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.json["allServicesDetail"][0]["microService"]["serviceId"],
        id.as_str(),
        "{}",
        reply.text
    );
    assert_counted(&reply.json, "services");
    assert_counted(&reply.json, "apps");
}

/// Ported from server/resource/govern/govern_resource_test.go:
/// "TestResource_ListServiceDetail/list service detail with only properties filter, should ok"
#[tokio::test]
async fn list_service_detail_with_only_properties_filter_should_ok() {
    let (_srv, reg) = server().await;
    let id = register(&reg, detailed(LIST_NAME)).await;
    let path = "/microservices?noCache=true&options=all&property=test:list";
    let reply = get_outside(&reg, "govern", path).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.json["allServicesDetail"][0]["microService"]["serviceId"],
        id.as_str(),
        "{}",
        reply.text
    );
    assert_counted(&reply.json, "services");
    assert_counted(&reply.json, "apps");
}

/// Ported from server/resource/govern/govern_resource_test.go:
/// "TestResource_ListServiceDetail/list service detail with not exist properties, should
/// return empty"
#[tokio::test]
async fn list_service_detail_with_not_exist_properties_should_return_empty() {
    let (_srv, reg) = server().await;
    register(&reg, detailed(LIST_NAME)).await;
    let path = format!(
        "/microservices?noCache=true&options=all&serviceName={LIST_NAME}&property=none:none"
    );
    let reply = get_outside(&reg, "govern", &path).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        len_of(&reply.json["allServicesDetail"]),
        0,
        "{}",
        reply.text
    );
}

/// Ported from server/resource/govern/govern_resource_test.go:
/// "TestResource_ListApp/list app, should ok"
#[tokio::test]
async fn list_app_list_app_should_ok() {
    let (_srv, reg) = server().await;
    register(
        &reg,
        json!({"appId": "list_app_app", "serviceName": "list_app"}),
    )
    .await;
    let reply = get_outside(&reg, "govern", "/apps?noCache=true").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let apps = reply.json["appIds"].as_array();
    assert!(
        apps.is_some_and(|apps| apps.iter().any(|a| *a == "list_app_app")),
        "{}",
        reply.text
    );
}
