//! Who may do what: the exact 403 of a missing permission, other tenants' ids, and
//! AK/SK signatures in place of tokens.

use reqwest::Method;
use serde_json::json;

use super::Sms;
use crate::common::SmsClient;

#[tokio::test]
async fn missing_permission_gives_the_seeds_exact_403() {
    let sms = Sms::start().await;
    let (_, task) = sms.server_with_task(1).await;
    let token = sms
        .srv
        .user_with("demo", "viewer", &["sms:server:list*", "sms:server:show*"])
        .await;
    let (status, body) = sms
        .call_as(
            &token,
            Method::POST,
            "/v3/tasks/delete",
            Some(json!({"ids": [task]})),
        )
        .await;
    assert_eq!(status, 403);
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "details",
            "encoded_authorization_message",
            "error_code",
            "error_msg",
            "error_param"
        ]
    );
    assert_eq!(body["error_code"], "SMS.9004");
    let msg = body["error_msg"].as_str().unwrap();
    assert!(msg.starts_with("The current account does not have the permission to execute policy. You do not have permission to perform action sms:server:batchDeleteTask on resource "), "{msg}");
    assert_eq!(body["details"][0]["error_code"], "SMS.9004");
    assert_eq!(body["error_param"][0], body["details"][0]["error_msg"]);
    assert_eq!(sms.task_count(), 1);
    // The permission is checked before the body is looked at, as on the real gateway.
    let res = sms
        .api
        .as_token(&token)
        .api()
        .request(Method::POST, "/v3/tasks/delete", None)
        .body("{\"ids\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // What it was granted still works.
    let (status, _) = sms.call_as(&token, Method::GET, "/v3/tasks", None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn another_tenants_ids_behave_like_unknown_ones() {
    let sms = Sms::start().await;
    let (source, task) = sms.server_with_task(1).await;
    let other = sms.srv.user_with("acme", "ops", &["sms:*"]).await;
    let (status, body) = sms
        .call_as(
            &other,
            Method::POST,
            "/v3/tasks/delete",
            Some(json!({"ids": [task]})),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = sms
        .call_as(&other, Method::GET, &format!("/v3/tasks/{task}"), None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = sms
        .call_as(&other, Method::GET, &format!("/v3/sources/{source}"), None)
        .await;
    assert_eq!(status, 404);
    let (_, list) = sms.call_as(&other, Method::GET, "/v3/tasks", None).await;
    assert_eq!(list["count"], 0);
    assert_eq!(sms.task_count(), 1);
}

#[tokio::test]
async fn signed_requests_work_like_tokens() {
    let sms = Sms::start().await;
    let (_, task) = sms.server_with_task(1).await;
    let signed = SmsClient::new(sms.srv.demo_key());
    let (status, _) = signed.delete_tasks(&[&task]).await;
    assert_eq!(status, 200);
    assert_eq!(sms.task_count(), 0);
}
