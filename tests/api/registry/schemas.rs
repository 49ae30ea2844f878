//! Schemas: put, get with summary, existence, POST replacing the set, delete.

use serde_json::json;

use super::{assert_error, server};

#[tokio::test]
async fn schemas() {
    let (_srv, reg) = server().await;
    let sid = reg.create_service("sch", "svc", "1.0.0").await;
    let base = format!("/microservices/{sid}/schemas");
    let reply = reg
        .put(
            &format!("{base}/first"),
            Some(json!({"schema": "a: 1", "summary": "sum1"})),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = reg.get(&format!("{base}/first")).await;
    assert_eq!(reply.json, json!({"schema": "a: 1"}));
    assert_eq!(reply.headers["x-schema-summary"], "sum1");
    assert_eq!(
        reg.get(&format!("/microservices/{sid}")).await.json["service"]["schemas"],
        json!(["first"])
    );

    let reply = reg
        .get(&format!(
            "/existence?type=schema&serviceId={sid}&schemaId=first"
        ))
        .await;
    assert_eq!(reply.json["schemaId"], "first");
    assert_eq!(reply.headers["x-schema-summary"], "sum1");
    assert_error(
        &reg.get(&format!(
            "/existence?type=schema&serviceId={sid}&schemaId=nope"
        ))
        .await,
        400,
        "400016",
    );

    // POST replaces the whole set; as in Service Center 2.x, each item needs a summary
    // (this test sent one without before; the refusal leaves the set as it was).
    assert_error(
        &reg.post(
            &base,
            json!({"schemas": [{"schemaId": "s1", "schema": "x"}]}),
        )
        .await,
        400,
        "400001",
    );
    assert_eq!(reg.get(&format!("{base}/first")).await.status, 200);
    let reply = reg.post(&base,
        json!({"schemas": [{"schemaId": "s1", "schema": "x", "summary": "a"}, {"schemaId": "s2", "schema": "y", "summary": "b"}]}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = reg.get(&base).await;
    assert_eq!(
        reply.json,
        json!({"schemas": [{"schemaId": "s1", "summary": "a"}, {"schemaId": "s2", "summary": "b"}]})
    );
    let reply = reg.get(&format!("{base}?withSchema=1")).await;
    assert_eq!(reply.json["schemas"][1]["schema"], "y");
    assert_error(&reg.get(&format!("{base}/first")).await, 400, "400016");
    assert_error(
        &reg.post(&base, json!({"schemas": []})).await,
        400,
        "400001",
    );

    assert_eq!(reg.delete(&format!("{base}/s1")).await.status, 200);
    assert_error(&reg.delete(&format!("{base}/s1")).await, 400, "400016");
    assert_error(&reg.get("/microservices/nope/schemas").await, 400, "400012");
    assert_error(
        &reg.put(&format!("{base}/bad%20id"), Some(json!({"schema": "x"})))
            .await,
        400,
        "400001",
    );
}

/// Service Center's `TestSchemaRouter_ListSchema`: ids a service declares at creation are
/// listed before anything is uploaded, with only their id.
#[tokio::test]
async fn declared_schemas_are_listed_before_upload() {
    let (_srv, reg) = server().await;
    let reply = reg
        .post(
            "/microservices",
            json!({"service": {"appId": "sch", "serviceName": "declared", "version": "1.0.0",
                   "schemas": ["schemaID_1", "schemaID_2"]}}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let sid = reply.json["serviceId"].as_str().unwrap().to_owned();
    let base = format!("/microservices/{sid}/schemas");
    assert_eq!(
        reg.get(&base).await.json,
        json!({"schemas": [{"schemaId": "schemaID_1"}, {"schemaId": "schemaID_2"}]})
    );
    let reply = reg
        .put(
            &format!("{base}/schemaID_2"),
            Some(json!({"schema": "b: 2", "summary": "s2"})),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reg.get(&format!("{base}?withSchema=1")).await.json,
        json!({"schemas": [{"schemaId": "schemaID_1"},
                           {"schemaId": "schemaID_2", "summary": "s2", "schema": "b: 2"}]})
    );
}
