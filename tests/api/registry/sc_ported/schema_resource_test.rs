//! Ported from `server/resource/disco/schema_resource_test.go`: the router tests of the
//! schema resource, without `X-Domain-Name` (the `default` domain).
//!
//! Each Go function registers its service through the service layer (the port: a
//! `POST /microservices`, expected to answer 200) and runs its `t.Run`s in order on it.
//! A test here runs the `t.Run`s of its function up to its own, each with its assertions.

use serde_json::{Value, json};

use super::super::server;
use super::len_of;
use crate::common::{RegistryClient, Reply};

/// `RegisterService` with a name and one declared schema id (must succeed); the id.
async fn register(reg: &RegistryClient, name: &str, schema_id: &str) -> String {
    let body = json!({"service": {"serviceName": name, "schemas": [schema_id]}});
    let reply = reg.post("/microservices", body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json["serviceId"]
        .as_str()
        .expect("serviceId")
        .to_owned()
}

#[track_caller]
fn expect(reply: &Reply, status: u16) {
    assert_eq!(reply.status, status, "{}: {}", reply.request, reply.text);
}

/// `GetService` (must succeed): the service's declared schema ids.
async fn declared(reg: &RegistryClient, id: &str) -> Value {
    let reply = reg.get(&format!("/microservices/{id}")).await;
    expect(&reply, 200);
    reply.json["service"]["schemas"].clone()
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_default()
}

/// `TestSchemaRouter_PutSchema`, its `t.Run`s 1 to `last`.
async fn put_schema(last: usize) {
    let (_srv, reg) = server().await;
    let id = register(&reg, "put_schema", "1").await;
    let path = format!("/microservices/{id}/schemas");
    for run in 1..=last {
        match run {
            1 => {
                let body = json!({"schema": "xxx", "summary": "hash"});
                expect(&reg.put(&format!("{path}/1"), Some(body)).await, 200);
            }
            2 => {
                let body = json!({"schema": "yyy"});
                expect(&reg.put(&format!("{path}/1"), Some(body)).await, 200);
            }
            3 => {
                let body = json!({"schema": "zzz"});
                expect(&reg.put(&format!("{path}/2"), Some(body)).await, 200);
                assert_eq!(declared(&reg, &id).await, json!(["1", "2"]));
            }
            // An empty body.
            _ => expect(&reg.put(&format!("{path}/2"), None).await, 400),
        }
    }
}

/// Ported from server/resource/disco/schema_resource_test.go:
/// "TestSchemaRouter_PutSchema/put schema, should ok"
#[tokio::test]
async fn put_schema_put_schema_should_ok() {
    put_schema(1).await;
}

/// Ported from server/resource/disco/schema_resource_test.go:
/// "TestSchemaRouter_PutSchema/put schema again, should ok"
#[tokio::test]
async fn put_schema_put_schema_again_should_ok() {
    put_schema(2).await;
}

/// Ported from server/resource/disco/schema_resource_test.go:
/// "TestSchemaRouter_PutSchema/put a new schema, should ok"
#[tokio::test]
async fn put_schema_put_a_new_schema_should_ok() {
    put_schema(3).await;
}

/// Ported from server/resource/disco/schema_resource_test.go:
/// "TestSchemaRouter_PutSchema/put an invalid schema, should failed"
#[tokio::test]
async fn put_schema_put_an_invalid_schema_should_failed() {
    put_schema(4).await;
}

/// `TestSchemaRouter_GetSchema`, its `t.Run`s 1 to `last`.
async fn get_schema(last: usize) {
    let (_srv, reg) = server().await;
    let id = register(&reg, "get_schema", "1").await;
    let path = format!("/microservices/{id}/schemas/1");
    for run in 1..=last {
        if run == 1 {
            expect(&reg.get(&path).await, 400);
            continue;
        }
        let body = json!({"schema": "xxx", "summary": "hash"});
        expect(&reg.put(&path, Some(body)).await, 200);
        let reply = reg.get(&path).await;
        expect(&reply, 200);
        assert_eq!(str_of(&reply.json, "schema"), "xxx", "{}", reply.text);
        assert_eq!(str_of(&reply.json, "schemaSummary"), "", "{}", reply.text);
        let summary = reply.headers.get("x-schema-summary");
        assert_eq!(
            summary.and_then(|v| v.to_str().ok()),
            Some("hash"),
            "{:?}",
            reply.headers
        );
    }
}

/// Ported from server/resource/disco/schema_resource_test.go:
/// "TestSchemaRouter_GetSchema/get a not exist schema, should failed"
#[tokio::test]
async fn get_schema_get_a_not_exist_schema_should_failed() {
    get_schema(1).await;
}

/// Ported from server/resource/disco/schema_resource_test.go:
/// "TestSchemaRouter_GetSchema/get schema, should ok"
#[tokio::test]
async fn get_schema_get_schema_should_ok() {
    get_schema(2).await;
}

/// `TestSchemaRouter_DeleteSchema`, its `t.Run`s 1 to `last`.
async fn delete_schema(last: usize) {
    let (_srv, reg) = server().await;
    let id = register(&reg, "delete_schema", "1").await;
    let path = format!("/microservices/{id}/schemas/1");
    for run in 1..=last {
        if run == 1 {
            expect(&reg.delete(&path).await, 400);
            continue;
        }
        let body = json!({"schema": "xxx", "summary": "hash"});
        expect(&reg.put(&path, Some(body)).await, 200);
        expect(&reg.delete(&path).await, 200);
        expect(&reg.get(&path).await, 400);
    }
}

/// Ported from server/resource/disco/schema_resource_test.go:
/// "TestSchemaRouter_DeleteSchema/delete a not exist schema, should failed"
#[tokio::test]
async fn delete_schema_delete_a_not_exist_schema_should_failed() {
    delete_schema(1).await;
}

/// Ported from server/resource/disco/schema_resource_test.go:
/// "TestSchemaRouter_DeleteSchema/delete schema, should ok"
#[tokio::test]
async fn delete_schema_delete_schema_should_ok() {
    delete_schema(2).await;
}

/// `TestSchemaRouter_PutSchemas`, its `t.Run`s 1 to `last`.
async fn put_schemas(last: usize) {
    let (_srv, reg) = server().await;
    let id = register(&reg, "put_schema", "1").await;
    let path = format!("/microservices/{id}/schemas");
    for run in 1..=last {
        let (schemas, status) = match run {
            1 => (
                json!([{"schemaId": "1", "schema": "xxx", "summary": "hash"}]),
                200,
            ),
            2 => (
                json!([{"schemaId": "1", "schema": "yyy", "summary": "hash"}]),
                200,
            ),
            3 => (
                json!([{"schemaId": "2", "schema": "zzz", "summary": "hash"}]),
                200,
            ),
            4 => (json!([]), 400),
            // Without a summary.
            _ => (json!([{"schemaId": "2", "schema": "zzz"}]), 400),
        };
        let reply = reg.post(&path, json!({ "schemas": schemas })).await;
        expect(&reply, status);
        if run == 3 {
            assert_eq!(declared(&reg, &id).await, json!(["2"]));
        }
    }
}

/// Ported from server/resource/disco/schema_resource_test.go:
/// "TestSchemaRouter_PutSchemas/put schemas, should ok"
#[tokio::test]
async fn put_schemas_put_schemas_should_ok() {
    put_schemas(1).await;
}

/// Ported from server/resource/disco/schema_resource_test.go:
/// "TestSchemaRouter_PutSchemas/put schemas again, should ok"
#[tokio::test]
async fn put_schemas_put_schemas_again_should_ok() {
    put_schemas(2).await;
}

/// Ported from server/resource/disco/schema_resource_test.go:
/// "TestSchemaRouter_PutSchemas/put new schemas, should ok"
#[tokio::test]
async fn put_schemas_put_new_schemas_should_ok() {
    put_schemas(3).await;
}

/// Ported from server/resource/disco/schema_resource_test.go:
/// "TestSchemaRouter_PutSchemas/put an invalid schema, should failed"
#[tokio::test]
async fn put_schemas_put_an_invalid_schema_should_failed() {
    put_schemas(4).await;
}

/// Ported from server/resource/disco/schema_resource_test.go:
/// "TestSchemaRouter_PutSchemas/put schemas without summary, should failed"
#[tokio::test]
async fn put_schemas_put_schemas_without_summary_should_failed() {
    put_schemas(5).await;
}

/// `TestSchemaRouter_ListSchema`, its `t.Run`s 1 to `last`.
async fn list_schema(last: usize) {
    let (_srv, reg) = server().await;
    let id = register(&reg, "TestSchemaRouter_ListSchema", "schemaID_1").await;
    let path = format!("/microservices/{id}/schemas");
    for run in 1..=last {
        if run == 1 {
            let reply = reg.get(&path).await;
            expect(&reply, 200);
            assert_eq!(len_of(&reply.json["schemas"]), 1, "{}", reply.text);
            let schema = &reply.json["schemas"][0];
            assert_eq!(str_of(schema, "schemaId"), "schemaID_1", "{}", reply.text);
            assert_eq!(str_of(schema, "schema"), "", "{}", reply.text);
            continue;
        }
        let body = json!({"schemas": [
            {"schemaId": "schemaID_2", "schema": "schema_2", "summary": "summary2"}
        ]});
        expect(&reg.post(&path, body).await, 200);
        for (query, content) in [("", ""), ("?withSchema=1", "schema_2")] {
            let reply = reg.get(&format!("{path}{query}")).await;
            expect(&reply, 200);
            assert_eq!(len_of(&reply.json["schemas"]), 1, "{}", reply.text);
            let schema = &reply.json["schemas"][0];
            assert_eq!(str_of(schema, "schemaId"), "schemaID_2", "{}", reply.text);
            assert_eq!(str_of(schema, "summary"), "summary2", "{}", reply.text);
            assert_eq!(str_of(schema, "schema"), content, "{}", reply.text);
        }
    }
}

/// Ported from server/resource/disco/schema_resource_test.go:
/// "TestSchemaRouter_ListSchema/list schemas before upload content, should return only
/// schemaID"
#[tokio::test]
async fn list_schema_list_schemas_before_upload_content_should_return_only_schema_id() {
    list_schema(1).await;
}

/// Ported from server/resource/disco/schema_resource_test.go:
/// "TestSchemaRouter_ListSchema/list schema after put schemas, should ok"
#[tokio::test]
async fn list_schema_list_schema_after_put_schemas_should_ok() {
    list_schema(2).await;
}
