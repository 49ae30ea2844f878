//! Playing the migration agent: copy state, disk info, commands, progress, network checks.

use reqwest::Method;
use serde_json::{Value, json};

use super::Sms;

async fn show(sms: &Sms, path: &str) -> Value {
    let (status, body) = sms.call(Method::GET, path, None).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

#[tokio::test]
async fn progress_reports_fill_the_task_and_its_source() {
    let sms = Sms::start().await;
    let (source, task) = sms.server_with_task(1).await;
    let report = |name: &str, progress: i64| {
        json!({"subtask_name": name, "progress": progress, "replicatesize": 1000,
               "totalsize": 4000, "process_trace": format!("{name} at {progress}"),
               "migrate_speed": 80.5, "remain_time": 120, "agent_cpu_usage": 3.5})
    };
    for (name, progress) in [("CREATE_CLOUD_SERVER", 100), ("MIGRATE_LINUX_BLOCK", 25)] {
        let (status, body) = sms
            .call(
                Method::PUT,
                &format!("/v3/tasks/{task}/progress"),
                Some(report(name, progress)),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let shown = show(&sms, &format!("/v3/tasks/{task}")).await;
    let steps = shown["sub_tasks"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(
        (steps[0]["name"].as_str(), steps[0]["progress"].as_i64()),
        (Some("CREATE_CLOUD_SERVER"), Some(100))
    );
    assert!(
        steps[0]["end_date"].is_i64(),
        "a finished step has an end: {}",
        steps[0]
    );
    assert!(steps[1]["end_date"].is_null());
    assert_eq!(shown["migrate_speed"], 80.5);
    assert_eq!(shown["remain_seconds"], 120);
    assert_eq!(shown["agent_cpu_usage"], 3.5);
    assert_eq!(shown["subtask_info"], "MIGRATE_LINUX_BLOCK:25%");
    assert!(shown["estimate_complete_time"].is_i64());
    let server = show(&sms, &format!("/v3/sources/{source}")).await;
    assert_eq!(
        (
            server["replicatesize"].as_i64(),
            server["totalsize"].as_i64()
        ),
        (Some(1000), Some(4000))
    );

    for (bad, code, param) in [
        (report("COFFEE_BREAK", 10), "SMS.6004", "subtask_name"),
        (report("MIGRATE_LINUX_BLOCK", 101), "SMS.6101", "progress"),
        (
            json!({"subtask_name": "MIGRATE_LINUX_BLOCK", "progress": 5}),
            "SMS.6102",
            "replicatesize",
        ),
    ] {
        let (status, body) = sms
            .call(
                Method::PUT,
                &format!("/v3/tasks/{task}/progress"),
                Some(bad),
            )
            .await;
        assert_eq!(
            (status, body["error_code"].as_str()),
            (400, Some(code)),
            "{body}"
        );
        assert_eq!(body["error_param"][0], param);
    }
    let (status, body) = sms
        .call(
            Method::PUT,
            "/v3/tasks/nope/progress",
            Some(report("SSL_CONFIG", 1)),
        )
        .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (404, Some("SMS.7703")),
        "{body}"
    );
}

#[tokio::test]
async fn copy_state_follows_the_documented_pairs_and_settled_states_ignore_it() {
    let sms = Sms::start().await;
    let source = sms.register("web-1", "10.0.0.1").await;
    let change = |state: &str, cycle: &str| json!({"copystate": state, "migrationcycle": cycle});
    let path = format!("/v3/sources/{source}/changestate");
    let (status, body) = sms
        .call(Method::PUT, &path, Some(change("INIT", "replicating")))
        .await;
    assert_eq!(status, 200, "{body}");
    let server = show(&sms, &format!("/v3/sources/{source}")).await;
    assert_eq!(server["state"], "initialize");
    assert_eq!(server["migration_cycle"], "replicating");
    assert!(server["state_action_time"].is_i64());

    let (status, body) = sms
        .call(Method::PUT, &path, Some(change("finished", "checking")))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error_param"][0], "copystate");

    sms.set_source(&source, "stopped", true).await;
    let (status, _) = sms
        .call(Method::PUT, &path, Some(change("waiting", "checking")))
        .await;
    assert_eq!(status, 200, "a stopped source ignores the report");
    let server = show(&sms, &format!("/v3/sources/{source}")).await;
    assert_eq!(server["state"], "stopped");

    let (status, body) = sms
        .call(
            Method::PUT,
            &format!("/v3/sources/{source}/diskinfo"),
            Some(json!({"disks": [{"name": "/dev/vdb", "size": 10737418240u64}]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let server = show(&sms, &format!("/v3/sources/{source}")).await;
    assert_eq!(server["disks"][0]["name"], "/dev/vdb");
    assert_eq!(
        server["disks"][0]["os_disk"], false,
        "declared fields are completed"
    );
}

#[tokio::test]
async fn commands_follow_the_task_and_log_collection() {
    let sms = Sms::start().await;
    let (source, task) = sms.server_with_task(1).await;
    let command_path = format!("/v3/sources/{source}/command");
    let idle = show(&sms, &command_path).await;
    assert_eq!(idle["command_name"], "TASK_NOT_STARTED");
    assert_eq!(idle["command_param"]["task_id"], task.as_str());

    let (status, body) = sms
        .call(
            Method::POST,
            &format!("/v3/tasks/{task}/log"),
            Some(json!({"log_bucket": "logs"})),
        )
        .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (400, Some("SMS.7717")),
        "{body}"
    );
    sms.call(
        Method::POST,
        &format!("/v3/tasks/{task}/action"),
        Some(json!({"operation": "start"})),
    )
    .await;
    assert_eq!(show(&sms, &command_path).await["command_name"], "START");
    let (status, body) = sms
        .call(
            Method::POST,
            &format!("/v3/tasks/{task}/log"),
            Some(json!({"log_bucket": "logs"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let upload = show(&sms, &command_path).await;
    assert_eq!(
        (
            upload["command_name"].as_str(),
            upload["command_param"]["bucket"].as_str()
        ),
        (Some("UPLOAD_LOG"), Some("logs"))
    );
    let (status, body) = sms
        .call(
            Method::POST,
            &format!("/v3/tasks/{task}/log"),
            Some(json!({"log_bucket": "logs"})),
        )
        .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (400, Some("SMS.7716")),
        "{body}"
    );

    let result =
        |result: &str| json!({"command_name": "UPLOAD_LOG", "result": result, "result_detail": {}});
    let (status, body) = sms
        .call(
            Method::POST,
            &format!("/v3/sources/{source}/command_result"),
            Some(result("maybe")),
        )
        .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (400, Some("SMS.2032")),
        "{body}"
    );
    let (status, _) = sms
        .call(
            Method::POST,
            &format!("/v3/sources/{source}/command_result"),
            Some(result("fail")),
        )
        .await;
    assert_eq!(status, 200);
    let shown = show(&sms, &format!("/v3/tasks/{task}")).await;
    assert_eq!(shown["log_collect_status"], "UPLOAD_FAIL");
    assert_eq!(show(&sms, &command_path).await["command_name"], "START");
    let (status, body) = sms
        .call(Method::GET, "/v3/sources/nope/command", None)
        .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (404, Some("SMS.2323")),
        "{body}"
    );
}

#[tokio::test]
async fn network_checks_show_back_on_the_task() {
    let sms = Sms::start().await;
    let (_, task) = sms.server_with_task(1).await;
    assert_eq!(
        show(&sms, &format!("/v3/tasks/{task}")).await["network_check_info"],
        Value::Null
    );
    let check = json!({"network_delay": 2.5, "network_jitter": 0.3, "migration_speed": 120.0,
                       "loss_percentage": 0.0, "cpu_usage": 5.0, "mem_usage": 30.0,
                       "evaluation_result": "GOOD", "domain_connectivity": true});
    let (status, body) = sms
        .call(
            Method::POST,
            &format!("/v3/{task}/update-network-check-info"),
            Some(check),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"task_id": task}));
    let shown = show(&sms, &format!("/v3/tasks/{task}")).await;
    assert_eq!(shown["network_check_info"]["network_delay"], 2.5);
    assert_eq!(shown["network_check_info"]["evaluation_result"], "GOOD");
    let (status, body) = sms
        .call(
            Method::POST,
            &format!("/v3/{task}/update-network-check-info"),
            Some(json!({"network_delay": 2.5})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error_param"][0], "network_jitter");
}
