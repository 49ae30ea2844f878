//! Tasks: the lifecycle from registration to delete, actions and their refusals,
//! listing with filters and paging.

use reqwest::Method;
use serde_json::{Value, json};

use super::Sms;

#[tokio::test]
async fn full_lifecycle_register_create_start_refuse_stop_delete() {
    let sms = Sms::start().await;
    let (source, task) = sms.server_with_task(1).await;

    let (status, body) = sms
        .call(Method::GET, &format!("/v3/sources/{source}"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["state"], "waiting");
    assert_eq!(body["connected"], true);
    assert_eq!(body["current_task"]["id"], task.as_str());
    assert_eq!(
        body["disks"][0]["name"], "/dev/vda",
        "registration details kept"
    );

    let (status, _) = sms
        .call(
            Method::POST,
            &format!("/v3/tasks/{task}/action"),
            Some(json!({"operation": "start"})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, shown) = sms
        .call(Method::GET, &format!("/v3/tasks/{task}"), None)
        .await;
    assert_eq!(shown["state"], "RUNNING");
    assert_eq!(shown["source_server"]["state"], "replicate");

    let (status, body) = sms.delete(&[&task]).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error_code"], "SMS.2015");
    let param = body["error_param"][0].as_str().unwrap();
    assert!(
        param.contains(&task) && param.contains("replicate"),
        "{param}"
    );
    assert_eq!(sms.task_count(), 1);

    let (status, _) = sms
        .call(
            Method::POST,
            &format!("/v3/tasks/{task}/action"),
            Some(json!({"operation": "stop"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = sms.delete(&[&task]).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({}));
    assert_eq!(sms.task_count(), 0);

    let (_, body) = sms
        .call(Method::GET, &format!("/v3/sources/{source}"), None)
        .await;
    assert_eq!(
        body["current_task"],
        Value::Null,
        "current_task cleared with the task"
    );
    let (status, body) = sms
        .call(Method::GET, &format!("/v3/tasks/{task}"), None)
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["error_code"], "SMS.1002");
}

#[tokio::test]
async fn illegal_actions_are_refused_without_change() {
    let sms = Sms::start().await;
    let (_, task) = sms.server_with_task(1).await;
    let act = |op: &str| json!({"operation": op});
    let (status, body) = sms
        .call(
            Method::POST,
            &format!("/v3/tasks/{task}/action"),
            Some(act("stop")),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error_code"], "SMS.1038");
    let (status, body) = sms
        .call(
            Method::POST,
            &format!("/v3/tasks/{task}/action"),
            Some(act("dance")),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error_param"][0], "operation");
    let (status, _) = sms
        .call(
            Method::POST,
            &format!("/v3/tasks/{task}/action"),
            Some(act("start")),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = sms
        .call(
            Method::POST,
            &format!("/v3/tasks/{task}/action"),
            Some(act("start")),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error_code"], "SMS.1039");
    let (_, shown) = sms
        .call(Method::GET, &format!("/v3/tasks/{task}"), None)
        .await;
    assert_eq!(shown["state"], "RUNNING");
    let (status, _) = sms
        .call(Method::POST, "/v3/tasks/nope/action", Some(act("start")))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn listing_filters_and_paging() {
    let sms = Sms::start().await;
    for n in 0..5 {
        sms.server_with_task(n).await;
    }
    let (status, body) = sms
        .call(Method::GET, "/v3/tasks?limit=2&offset=1", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["count"], 5);
    assert_eq!(body["tasks"].as_array().unwrap().len(), 2);
    let (_, body) = sms.call(Method::GET, "/v3/tasks?state=READY", None).await;
    assert_eq!(body["count"], 5);
    let (_, body) = sms.call(Method::GET, "/v3/tasks?state=RUNNING", None).await;
    assert_eq!(body["count"], 0);
    let (status, body) = sms.call(Method::GET, "/v3/tasks?state=NOPE", None).await;
    assert_eq!(status, 400);
    assert_eq!(body["error_param"][0], "state");
    let (status, body) = sms.call(Method::GET, "/v3/sources?limit=101", None).await;
    assert_eq!(status, 400);
    assert_eq!(body["error_param"][0], "limit");
    let (_, body) = sms.call(Method::GET, "/v3/sources?ip=10.0.0.3", None).await;
    assert_eq!(body["count"], 1);
    assert_eq!(body["source_servers"][0]["name"], "host-2");
    let (_, body) = sms
        .call(Method::GET, "/v3/sources?connected=false", None)
        .await;
    assert_eq!(body["count"], 0);
}
