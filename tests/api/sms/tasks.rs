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
    // The simulated migration begins by creating the target server.
    assert_eq!(shown["source_server"]["state"], "initialize");
    assert_eq!(shown["sub_tasks"][0]["name"], "CREATE_CLOUD_SERVER");

    let (status, body) = sms.delete(&[&task]).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error_code"], "SMS.7719");
    let param = body["error_param"][0].as_str().unwrap();
    assert!(
        param.contains(&task) && param.contains("initialize"),
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
    // Stopping takes a (simulated) second; a stopping source still blocks the delete.
    let (status, body) = sms.delete(&[&task]).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (400, Some("SMS.7719"))
    );
    let reply = sms
        .srv
        .admin()
        .send(
            Method::POST,
            "/_cloudtwin/clock",
            Some(&json!({"advance_secs": 1})),
        )
        .await;
    assert_eq!(reply.status, 200);
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
    assert_eq!(body["error_code"], "SMS.7703");
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
    assert_eq!(body["error_code"], "SMS.7714");
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
    assert_eq!(body["error_code"], "SMS.7715");
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
    // An unfiltered page's count is kept by the writes themselves: a delete lowers it.
    let (_, page) = sms.call(Method::GET, "/v3/tasks?limit=1", None).await;
    let gone = page["tasks"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = sms
        .call(
            Method::POST,
            "/v3/tasks/delete",
            Some(json!({"ids": [gone]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = sms.call(Method::GET, "/v3/tasks?limit=1", None).await;
    assert_eq!(body["count"], 4);
    let (_, body) = sms.call(Method::GET, "/v3/tasks?state=READY", None).await;
    assert_eq!(body["count"], 4);
    let (status, body) = sms.call(Method::GET, "/v3/tasks?state=NOPE", None).await;
    assert_eq!(status, 400);
    assert_eq!(body["error_param"][0], "state");
    // The v3 reference: list_servers pages 0-200 (0 is the default, 200).
    let (status, body) = sms.call(Method::GET, "/v3/sources?limit=201", None).await;
    assert_eq!(status, 400);
    assert_eq!(body["error_param"][0], "limit");
    let (_, body) = sms.call(Method::GET, "/v3/sources?limit=0", None).await;
    assert_eq!(body["source_servers"].as_array().unwrap().len(), 5);
    let (_, body) = sms.call(Method::GET, "/v3/sources?ip=10.0.0.3", None).await;
    assert_eq!(body["count"], 1);
    assert_eq!(body["source_servers"][0]["name"], "host-2");
    let (_, body) = sms
        .call(Method::GET, "/v3/sources?connected=false", None)
        .await;
    assert_eq!(body["count"], 0);
}

/// Every filter the SDK can send narrows the list; none is silently ignored.
#[tokio::test]
async fn every_documented_server_filter_applies() {
    let sms = Sms::start().await;
    let (source, task) = sms.server_with_task(1).await;
    let other = sms.register("v6-host", "10.0.0.9").await;
    sms.call(
        Method::PUT,
        &format!("/v3/sources/{source}/changestate"),
        Some(json!({"copystate": "replicate", "migrationcycle": "replicating"})),
    )
    .await;
    sms.call(
        Method::POST,
        &format!("/v3/tasks/{task}/consistency-result"),
        Some(json!({"consistency_result": []})),
    )
    .await;
    sms.call(
        Method::PUT,
        &format!("/v3/tasks/{task}"),
        Some(json!({"target_server": {"vm_id": "vm-42", "name": "target"}})),
    )
    .await;
    let count = |query: &str| {
        let path = format!("/v3/sources?{query}");
        let sms = &sms;
        async move {
            let (status, body) = sms.call(Method::GET, &path, None).await;
            assert_eq!(status, 200, "{path}: {body}");
            body["count"].as_i64().unwrap()
        }
    };
    assert_eq!(count("migration_cycle=replicating").await, 1);
    assert_eq!(count("migration_cycle=syncing").await, 0);
    assert_eq!(count("ipv6=fe80::1").await, 0);
    assert_eq!(count("vm_id=nope").await, 0);
    assert_eq!(count("vm_id=vm-42").await, 1);
    assert_eq!(count("is_consistency_result_exist=false").await, 2);
    assert_eq!(
        count(&format!("id={other}&is_consistency_result_exist=true")).await,
        0
    );
    let (status, body) = sms
        .call(Method::GET, "/v3/sources?migration_cycle=dancing", None)
        .await;
    assert_eq!(
        (status, body["error_param"][0].as_str()),
        (400, Some("migration_cycle"))
    );
}

#[tokio::test]
async fn v3_operations_follow_their_documented_preconditions() {
    // The state machine itself, as it answers with the simulation off.
    let sms = Sms::start_with(|s| s.sms.simulation.enabled = false).await;
    let (source, task) = sms.server_with_task(1).await;
    let act = |op: &str| json!({"operation": op});
    let path = format!("/v3/tasks/{task}/action");

    let (status, body) = sms.call(Method::POST, &path, Some(act("sync"))).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (400, Some("SMS.6011")),
        "{body}"
    );
    assert_eq!(body["error_param"][0], "operation");
    let (status, body) = sms.call(Method::POST, &path, Some(act("skip"))).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (400, Some("SMS.7720")),
        "{body}"
    );
    let (status, body) = sms.call(Method::POST, &path, Some(act("restart"))).await;
    assert_eq!(
        status, 400,
        "restart only starts a failed task over: {body}"
    );
    let (status, _) = sms
        .call(Method::POST, &path, Some(act("network_check")))
        .await;
    assert_eq!(status, 200);
    let (status, _) = sms
        .call(Method::POST, &path, Some(act("migration_test")))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        states(&sms, &task, &source).await,
        ("READY".into(), "premiged".into())
    );

    sms.call(Method::POST, &path, Some(act("start"))).await;
    let (status, _) = sms.call(Method::POST, &path, Some(act("skip"))).await;
    assert_eq!(
        status, 200,
        "the consistency check is skipped while migrating"
    );
    let (status, _) = sms
        .call(Method::POST, &path, Some(act("error_for_overspeed")))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        states(&sms, &task, &source).await,
        ("ABORT".into(), "stopped".into())
    );
    let (status, body) = sms.call(Method::POST, &path, Some(act("stop"))).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (400, Some("SMS.7714")),
        "{body}"
    );
    sms.call(Method::POST, &path, Some(act("start"))).await;
    assert_eq!(
        states(&sms, &task, &source).await,
        ("RUNNING".into(), "replicate".into()),
        "a paused task resumes"
    );

    // A migrated task synchronizes the increment with `start`, keeping its start date.
    let (_, before) = sms
        .call(Method::GET, &format!("/v3/tasks/{task}"), None)
        .await;
    let reply = sms.srv.admin().set_sms_task(&task, "MIGRATE_SUCCESS").await;
    assert_eq!(reply.status, 200);
    sms.call(Method::POST, &path, Some(act("start"))).await;
    assert_eq!(
        states(&sms, &task, &source).await,
        ("SYNCING".into(), "syncing".into())
    );
    let (_, after) = sms
        .call(Method::GET, &format!("/v3/tasks/{task}"), None)
        .await;
    assert_eq!(after["start_date"], before["start_date"]);
    let (status, body) = sms.call(Method::POST, &path, Some(act("clear"))).await;
    assert_eq!(status, 400, "no clearing while synchronizing: {body}");
    sms.call(Method::POST, &path, Some(act("stop"))).await;
    let (status, _) = sms.call(Method::POST, &path, Some(act("clear"))).await;
    assert_eq!(status, 200);
    assert_eq!(
        states(&sms, &task, &source).await,
        ("ABORT".into(), "cleared".into())
    );

    let reply = sms.srv.admin().set_sms_task(&task, "MIGRATE_FAIL").await;
    assert_eq!(reply.status, 200);
    let (status, _) = sms.call(Method::POST, &path, Some(act("restart"))).await;
    assert_eq!(status, 200);
    assert_eq!(states(&sms, &task, &source).await.0, "RUNNING");
}

/// The task's and its source server's states.
async fn states(sms: &Sms, task: &str, source: &str) -> (String, String) {
    let (_, t) = sms
        .call(Method::GET, &format!("/v3/tasks/{task}"), None)
        .await;
    let (_, s) = sms
        .call(Method::GET, &format!("/v3/sources/{source}"), None)
        .await;
    (
        t["state"].as_str().unwrap().to_owned(),
        s["state"].as_str().unwrap().to_owned(),
    )
}
