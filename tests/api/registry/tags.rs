//! Tags: add, update one, delete several at once (all or nothing).

use serde_json::json;

use super::{assert_error, server};

#[tokio::test]
async fn tags() {
    let (_srv, reg) = server().await;
    let sid = reg.create_service("tag", "svc", "1.0.0").await;
    let base = format!("/microservices/{sid}/tags");
    assert_eq!(reg.get(&base).await.json, json!({}));
    assert_eq!(
        reg.post(&base, json!({"tags": {"a": "1x", "b": "v2"}}))
            .await
            .status,
        400,
        "values follow the tag rule"
    );
    assert_eq!(
        reg.post(&base, json!({"tags": {"a": "x1", "b": "v2"}}))
            .await
            .status,
        200
    );
    assert_eq!(reg.post(&base, json!({})).await.status, 200);
    assert_error(
        &reg.post("/microservices/nope/tags", json!({"tags": {"a": "b"}}))
            .await,
        400,
        "400012",
    );
    assert_eq!(
        reg.get(&base).await.json,
        json!({"tags": {"a": "x1", "b": "v2"}})
    );

    assert_eq!(
        reg.put(&format!("{base}/a?value=y2"), None).await.status,
        200
    );
    assert_error(
        &reg.put(&format!("{base}/zz?value=y2"), None).await,
        400,
        "400018",
    );
    assert_error(
        &reg.put("/microservices/nope/tags/a?value=y2", None).await,
        400,
        "400012",
    );
    assert_eq!(reg.get(&base).await.json["tags"]["a"], "y2");

    let reply = reg.delete(&format!("{base}/a,zz")).await;
    assert_error(&reply, 400, "400018");
    assert_eq!(
        reg.get(&base).await.json["tags"]["a"],
        "y2",
        "nothing deleted"
    );
    assert_eq!(reg.delete(&format!("{base}/a,b")).await.status, 200);
    assert_eq!(reg.get(&base).await.json, json!({}));
    assert_error(
        &reg.delete("/microservices/nope/tags/a").await,
        400,
        "400012",
    );
}
