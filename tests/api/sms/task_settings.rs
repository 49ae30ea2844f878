//! What a user sets on a task: bandwidth schedule, configuration settings, secrets,
//! consistency results.

use reqwest::Method;
use serde_json::json;

use super::Sms;

#[tokio::test]
async fn speed_limits_are_checked_and_replaced_as_a_whole() {
    let sms = Sms::start().await;
    let (_, task) = sms.server_with_task(1).await;
    let path = format!("/v3/tasks/{task}/speed-limit");
    let (_, empty) = sms.call(Method::GET, &path, None).await;
    assert_eq!(empty, json!({"speed_limit": []}));
    let schedule = json!({"speed_limit": [
        {"start": "0:00", "end": "8:00", "speed": 200, "over_speed_threshold": 20.0},
        {"start": "18:00", "end": "23:59", "speed": 100}]});
    let (status, body) = sms.call(Method::POST, &path, Some(schedule)).await;
    assert_eq!(status, 200, "{body}");
    let (_, shown) = sms.call(Method::GET, &path, None).await;
    assert_eq!(
        shown["speed_limit"][1],
        json!({"start": "18:00", "end": "23:59", "speed": 100, "over_speed_threshold": 10.0})
    );
    for (bad, param) in [
        (
            json!([{"start": "8:00", "end": "7:00"}]),
            "speed_limit[0].end",
        ),
        (
            json!([{"start": "0:00", "end": "9:00"}, {"start": "8:00", "end": "10:00"}]),
            "speed_limit[1].start",
        ),
        (
            json!([{"start": "0:00", "end": "1:00", "speed": 1001}]),
            "speed_limit[0].speed",
        ),
        (
            json!([{"start": "25:00", "end": "26:00"}]),
            "speed_limit[0].start",
        ),
    ] {
        let (status, body) = sms
            .call(Method::POST, &path, Some(json!({"speed_limit": bad})))
            .await;
        assert_eq!(
            (status, body["error_code"].as_str()),
            (400, Some("SMS.6102")),
            "{body}"
        );
        assert_eq!(body["error_param"][0], param, "{body}");
    }
    let (_, shown) = sms.call(Method::GET, &path, None).await;
    assert_eq!(
        shown["speed_limit"].as_array().unwrap().len(),
        2,
        "refusals change nothing"
    );
}

#[tokio::test]
async fn configuration_settings_merge_by_key() {
    let sms = Sms::start().await;
    let (_, task) = sms.server_with_task(1).await;
    let path = format!("/v3/tasks/{task}/configuration-setting");
    let set = |key: &str, value: &str| json!({"configurations": [{"config_key": key, "config_value": value}]});
    sms.call(
        Method::POST,
        &path,
        Some(set("MIGRATE_EXCLUDE_DIR", "/tmp")),
    )
    .await;
    sms.call(Method::POST, &path, Some(set("LINUX_CPU_LIMIT", "50")))
        .await;
    sms.call(
        Method::POST,
        &path,
        Some(set("MIGRATE_EXCLUDE_DIR", "/var/tmp")),
    )
    .await;
    let (_, shown) = sms.call(Method::GET, &path, None).await;
    assert_eq!(shown["migrate_type"], "LINUX_MIGRATE_BLOCK");
    assert_eq!(shown["configurations"].as_array().unwrap().len(), 2);
    let (_, one) = sms
        .call(
            Method::GET,
            &format!("{path}?config_key=MIGRATE_EXCLUDE_DIR"),
            None,
        )
        .await;
    assert_eq!(
        one["configurations"],
        json!([{"config_key": "MIGRATE_EXCLUDE_DIR", "config_value": "/var/tmp", "config_status": ""}])
    );
    let (status, body) = sms
        .call(Method::POST, &path, Some(set("MIGRATE_EVERYTHING", "yes")))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error_param"][0], "configurations[0].config_key");
    let (_, listed) = sms.call(Method::GET, "/v3/tasks", None).await;
    assert_eq!(
        listed["tasks"][0]["special_config"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn secrets_are_made_once_and_kept_across_restarts() {
    let sms = Sms::start().await;
    let (_, task) = sms.server_with_task(1).await;
    let (_, first) = sms
        .call(Method::GET, &format!("/v3/tasks/{task}/passphrase"), None)
        .await;
    let (_, certs) = sms
        .call(Method::GET, &format!("/v3/tasks/{task}/certkey"), None)
        .await;
    for field in [
        "cert",
        "private_key",
        "ca",
        "target_mgmt_cert",
        "target_mgmt_private_key",
        "target_data_cert",
        "target_data_private_key",
    ] {
        assert!(
            certs[field].as_str().unwrap().starts_with("-----BEGIN "),
            "{field}: {certs}"
        );
    }
    let (dir, settings) = sms.srv.stop().await;
    let srv = crate::common::spawn_on(dir, settings).await;
    let again = srv.sms(&srv.demo_token().await);
    let (_, second) = again
        .call(Method::GET, &format!("/v3/tasks/{task}/passphrase"), None)
        .await;
    assert_eq!(first, second);
    let (_, certs_again) = again
        .call(Method::GET, &format!("/v3/tasks/{task}/certkey"), None)
        .await;
    assert_eq!(certs, certs_again);
}

#[tokio::test]
async fn consistency_results_show_back_and_export_as_csv() {
    let sms = Sms::start().await;
    let (source, task) = sms.server_with_task(1).await;
    let path = format!("/v3/tasks/{task}/consistency-result");
    let (_, none) = sms.call(Method::GET, &path, None).await;
    assert_eq!(none, json!({"task_id": task, "result_list": []}));
    let report = json!({"consistency_result": [
        {"dir_check": "/etc", "num_total_files": 10, "num_different_files": 1,
         "num_target_miss_files": 0, "num_target_more_files": 0}]});
    let (status, body) = sms.call(Method::POST, &path, Some(report)).await;
    assert_eq!(status, 200, "{body}");
    let (_, shown) = sms.call(Method::GET, &path, None).await;
    let check: serde_json::Value =
        serde_json::from_str(shown["result_list"][0].as_str().unwrap()).unwrap();
    assert_eq!(check["check_result"], "failed");
    assert_eq!(check["consistency_result"][0]["dir_check"], "/etc");
    let (_, server) = sms
        .call(Method::GET, &format!("/v3/sources?id={source}"), None)
        .await;
    assert_eq!(
        server["source_servers"][0]["is_consistency_result_exist"],
        true
    );

    let res = sms
        .api
        .api()
        .request(
            Method::POST,
            "/v3/tasks/consistency-results/export",
            Some(&json!({"task_info": [{"task_id": task, "source_name": "host-1"}]})),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    assert!(
        csv.lines().nth(1).unwrap().contains("\"/etc\",10,1,0,0"),
        "{csv}"
    );
}
