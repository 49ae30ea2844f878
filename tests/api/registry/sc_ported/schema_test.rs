//! Ported from `integration/schema_test.go` ("MicroService Api schema Test").
//!
//! Go's specs run in order on one service: each test here registers it and replays the
//! specs before its own, with their assertions, then runs its own.

use serde_json::json;

use super::{integration_server, json_str};
use crate::common::RegistryClient;

/// The Go specs after "create microService", in order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Spec {
    CreateSchema,
    CreateSchemas,
    GetSchema,
    GetSchemas,
    DeleteSchema,
    DeleteService,
}

const SPECS: [Spec; 6] = [
    Spec::CreateSchema,
    Spec::CreateSchemas,
    Spec::GetSchema,
    Spec::GetSchemas,
    Spec::DeleteSchema,
    Spec::DeleteService,
];

/// "create microService": Go checks only that the request was sent.
async fn register_fixture(reg: &RegistryClient) -> String {
    let body = json!({"service": {
        "serviceName": "schema_test_serviceName",
        "appId": "schema_test_appId",
        "version": "1.0.0",
        "description": "examples",
        "level": "FRONT",
        "schemas": ["first_schemaId", "second_schemaId"],
        "status": "UP",
        "properties": {"attr1": "aa"}
    }});
    let reply = reg.post("/microservices", body).await;
    json_str(&reply, "serviceId")
}

/// One spec, with its assertion (every one expects 200).
async fn run(reg: &RegistryClient, id: &str, spec: Spec) {
    let reply = match spec {
        Spec::CreateSchema => {
            reg.put(
                &format!("/microservices/{id}/schemas/first_schemaId"),
                Some(json!({"schema": "first_schema"})),
            )
            .await
        }
        Spec::CreateSchemas => {
            let body = json!({"schemas": [{
                "schema": "second_schema",
                "summary": "second0summary",
                "schemaId": "second_schemaId"
            }]});
            reg.post(&format!("/microservices/{id}/schemas"), body)
                .await
        }
        Spec::GetSchema => {
            reg.get(&format!("/microservices/{id}/schemas/second_schemaId"))
                .await
        }
        Spec::GetSchemas => reg.get(&format!("/microservices/{id}/schemas")).await,
        Spec::DeleteSchema => {
            reg.delete(&format!("/microservices/{id}/schemas/second_schemaId"))
                .await
        }
        Spec::DeleteService => reg.delete(&format!("/microservices/{id}?force=true")).await,
    };
    assert_eq!(reply.status, 200, "{}", reply.text);
}

/// Registers the service and runs every spec up to `last`, in Go's order.
async fn run_through(last: Option<Spec>) {
    let (_srv, reg) = integration_server().await;
    let id = register_fixture(&reg).await;
    for spec in SPECS.into_iter().filter(|s| Some(*s) <= last) {
        run(&reg, &id, spec).await;
    }
}

/// Ported from integration/schema_test.go: "create microService"
#[tokio::test]
async fn create_micro_service() {
    run_through(None).await;
}

/// Ported from integration/schema_test.go: "create schema"
#[tokio::test]
async fn create_schema() {
    run_through(Some(Spec::CreateSchema)).await;
}

/// Ported from integration/schema_test.go: "create schemas"
#[tokio::test]
async fn create_schemas() {
    run_through(Some(Spec::CreateSchemas)).await;
}

/// Ported from integration/schema_test.go: "get schema"
#[tokio::test]
async fn get_schema() {
    run_through(Some(Spec::GetSchema)).await;
}

/// Ported from integration/schema_test.go: "get schemas"
#[tokio::test]
async fn get_schemas() {
    run_through(Some(Spec::GetSchemas)).await;
}

/// Ported from integration/schema_test.go: "delete schema"
#[tokio::test]
async fn delete_schema() {
    run_through(Some(Spec::DeleteSchema)).await;
}

/// Ported from integration/schema_test.go: "delete service"
#[tokio::test]
async fn delete_service() {
    run_through(Some(Spec::DeleteService)).await;
}
