//! Source servers: agent (re-)registration, updates, and single deletes of sources
//! and tasks.

use reqwest::Method;
use serde_json::json;

use super::Sms;

#[tokio::test]
async fn reregistering_an_agent_updates_it() {
    let sms = Sms::start().await;
    let first = sms.register("web-1", "192.168.1.10").await;
    let (status, body) = sms
        .call(
            Method::POST,
            "/v3/sources",
            Some(json!({"name": "web-1", "ip": "192.168.1.10", "state": "REPLICATE", "agent_version": "25.1"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["id"], first.as_str());
    let (_, shown) = sms
        .call(Method::GET, &format!("/v3/sources/{first}"), None)
        .await;
    assert_eq!(shown["state"], "replicate");
    assert_eq!(shown["agent_version"], "25.1");
    let (_, list) = sms.call(Method::GET, "/v3/sources", None).await;
    assert_eq!(list["count"], 1);

    for bad in [
        json!({"ip": "10.0.0.1"}),
        json!({"name": "x"}),
        json!({"name": "x", "ip": "nope"}),
        json!({"name": "x", "ip": "10.0.0.1", "state": "dancing"}),
    ] {
        let (status, body) = sms.call(Method::POST, "/v3/sources", Some(bad)).await;
        assert_eq!(status, 400, "{body}");
    }
}

#[tokio::test]
async fn updating_and_deleting_sources_and_tasks() {
    let sms = Sms::start().await;
    let (source, task) = sms.server_with_task(1).await;
    let (status, _) = sms
        .call(
            Method::PUT,
            &format!("/v3/sources/{source}"),
            Some(json!({"name": "renamed"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = sms
        .call(
            Method::PUT,
            &format!("/v3/tasks/{task}"),
            Some(json!({"name": "t2", "speed_limit": 100})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["id"], task.as_str());
    let (_, shown) = sms
        .call(Method::GET, &format!("/v3/tasks/{task}"), None)
        .await;
    assert_eq!(shown["name"], "t2");
    assert_eq!(shown["speed_limit"], 100);
    assert_eq!(shown["source_server"]["name"], "renamed");

    // A second task for the same server is refused.
    let (status, body) = sms
        .call(Method::POST, "/v3/tasks", Some(json!({"name": "dup", "type": "MIGRATE_FILE", "os_type": "LINUX", "source_server": {"id": source}})))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error_code"], "SMS.1003");
    let (status, body) = sms
        .call(Method::POST, "/v3/tasks", Some(json!({"name": "x", "type": "MIGRATE_FILE", "os_type": "LINUX", "source_server": {"id": "nope"}})))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error_code"], "SMS.7602");

    sms.set_source(&source, "replicate", true).await;
    let (status, _) = sms
        .call(Method::DELETE, &format!("/v3/tasks/{task}"), None)
        .await;
    assert_eq!(status, 400);
    let (status, _) = sms
        .call(Method::DELETE, &format!("/v3/sources/{source}"), None)
        .await;
    assert_eq!(status, 400, "a busy source is not deleted either");
    sms.set_source(&source, "replicate", false).await;
    let (status, _) = sms
        .call(Method::DELETE, &format!("/v3/sources/{source}"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(sms.task_count(), 0, "its task went with it");
    let (status, _) = sms
        .call(Method::DELETE, &format!("/v3/sources/{source}"), None)
        .await;
    assert_eq!(status, 404);
}
