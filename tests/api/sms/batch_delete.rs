//! `POST /v3/tasks/delete`: the delete rules, request limits, all-or-nothing batches,
//! bad bodies, and overlapping batches from many clients at once.

use reqwest::Method;
use serde_json::{Value, json};

use super::Sms;
use crate::common::DeleteRule;

async fn check_rule(rule: DeleteRule, blocking: &[&str]) {
    let sms = Sms::start_with(|s| s.sms.delete_rule = rule).await;
    let states = [
        "unavailable",
        "waiting",
        "initialize",
        "replicate",
        "syncing",
        "stopping",
        "stopped",
        "skipping",
        "deleting",
        "clearing",
        "cleared",
        "clearfailed",
        "premigready",
        "premiging",
        "premiged",
        "premigfailed",
        "cloning",
        "cutovering",
        "finished",
        "error",
    ];
    for (n, state) in states.iter().enumerate() {
        for connected in [true, false] {
            let (source, task) = sms.server_with_task(n * 2 + usize::from(connected)).await;
            sms.set_source(&source, state, connected).await;
            let (status, body) = sms.delete(&[&task]).await;
            let expect_blocked = connected && blocking.contains(state);
            if expect_blocked {
                assert_eq!(status, 400, "{rule:?} {state} connected: {body}");
                assert_eq!(body["error_code"], "SMS.7719");
            } else {
                assert_eq!(
                    status, 200,
                    "{rule:?} {state} connected={connected}: {body}"
                );
            }
        }
    }
}

#[tokio::test]
async fn deny_list_rule_blocks_running_states_of_connected_sources() {
    check_rule(
        DeleteRule::DenyList,
        &[
            "initialize",
            "stopping",
            "deleting",
            "cloning",
            "replicate",
            "syncing",
            "cutovering",
            "skipping",
            "clearing",
            "premiging",
        ],
    )
    .await;
}

#[tokio::test]
async fn allow_list_rule_only_lets_settled_states_go() {
    check_rule(
        DeleteRule::AllowList,
        &[
            "initialize",
            "stopping",
            "deleting",
            "cloning",
            "replicate",
            "syncing",
            "cutovering",
            "skipping",
            "clearing",
            "premiging",
            "cleared",
            "clearfailed",
            "premigready",
            "premiged",
            "premigfailed",
        ],
    )
    .await;
}

#[tokio::test]
async fn batch_size_and_id_length_boundaries() {
    let sms = Sms::start().await;
    let (_, task) = sms.server_with_task(1).await;

    for body in [json!({}), json!({"ids": []}), json!({"ids": null})] {
        let (status, err) = sms.call(Method::POST, "/v3/tasks/delete", Some(body)).await;
        assert_eq!(status, 400, "{err}");
        assert_eq!(err["error_code"], "SMS.2032");
        assert_eq!(err["error_param"][0], "ids");
    }
    let fifty_one: Vec<String> = (0..51).map(|i| format!("x{i}")).collect();
    let (status, err) = sms
        .call(
            Method::POST,
            "/v3/tasks/delete",
            Some(json!({ "ids": fifty_one })),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(err["error_param"][0], "ids");

    // Fifty is allowed: here 49 unknown plus the real one, so 404 naming the 49.
    let mut fifty: Vec<String> = (0..49).map(|i| format!("x{i}")).collect();
    fifty.push(task.clone());
    let (status, err) = sms
        .call(
            Method::POST,
            "/v3/tasks/delete",
            Some(json!({ "ids": fifty })),
        )
        .await;
    assert_eq!(status, 404, "{err}");
    assert_eq!(err["error_param"].as_array().unwrap().len(), 49);
    assert_eq!(sms.task_count(), 1, "nothing deleted");

    let long = "a".repeat(255);
    let (status, _) = sms.delete(&[&long]).await;
    assert_eq!(status, 404, "255 characters is a valid (unknown) id");
    let too_long = "a".repeat(256);
    let (status, err) = sms.delete(&[&task, &too_long]).await;
    assert_eq!(status, 400);
    assert_eq!(err["error_param"][0], "ids[1]");
    let (status, err) = sms.delete(&[""]).await;
    assert_eq!(status, 400, "{err}");

    // Duplicates count once.
    let (status, _) = sms.delete(&[&task, &task]).await;
    assert_eq!(status, 200);
    assert_eq!(sms.task_count(), 0);
}

#[tokio::test]
async fn mixed_batches_delete_nothing() {
    let sms = Sms::start().await;
    let (_, ok) = sms.server_with_task(1).await;
    let (busy_source, busy) = sms.server_with_task(2).await;
    sms.set_source(&busy_source, "syncing", true).await;

    let (status, err) = sms.delete(&[&ok, &busy, "no-such-task"]).await;
    assert_eq!(status, 404, "{err}");
    assert_eq!(err["error_param"], json!(["no-such-task"]));
    assert_eq!(sms.task_count(), 2);

    let (status, err) = sms.delete(&[&ok, &busy]).await;
    assert_eq!(status, 400);
    assert_eq!(err["error_param"].as_array().unwrap().len(), 1);
    assert!(err["error_param"][0].as_str().unwrap().starts_with(&busy));
    assert_eq!(sms.task_count(), 2);

    let (status, _) = sms.delete(&[&ok]).await;
    assert_eq!(status, 200);
    assert_eq!(sms.task_count(), 1);
}

#[tokio::test]
async fn bad_bodies_get_sms_errors() {
    let sms = Sms::start().await;
    for (body, param) in [
        (json!({"ids": "t-1"}), "ids"),
        (json!({"ids": [1, 2]}), "ids[0]"),
        (json!({"ids": ["a", null]}), "ids[1]"),
        (json!([1]), "ids"),
    ] {
        let (status, err) = sms.call(Method::POST, "/v3/tasks/delete", Some(body)).await;
        assert_eq!(status, 400);
        assert_eq!(err["error_code"], "SMS.2032");
        assert_eq!(err["error_param"][0], param);
    }
    let res = sms
        .api
        .api()
        .request(Method::POST, "/v3/tasks/delete", None)
        .header("Content-Type", "application/json")
        .body("{\"ids\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error_code"], "SMS.2031");

    let (status, err) = sms.call(Method::GET, "/v3/tasks/delete", None).await;
    assert_eq!(status, 405, "{err}");
    assert_eq!(err["error_code"], "SMS.2003");
}

/// 32 clients delete overlapping batches while 8 others flip source states. Every
/// batch is all or nothing, nothing fails with "database is locked", and no task of a
/// server that was busy when its batch committed is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_overlapping_batches_are_all_or_nothing() {
    let sms = std::sync::Arc::new(Sms::start().await);
    let mut pairs = Vec::new();
    for n in 0..60 {
        pairs.push(sms.server_with_task(n).await);
    }
    // Half the servers stay busy the whole time: their tasks must survive.
    for (source, _) in pairs.iter().step_by(2) {
        sms.set_source(source, "replicate", true).await;
    }
    let pairs = std::sync::Arc::new(pairs);
    let mut handles = Vec::new();
    for client in 0..32usize {
        let sms = sms.clone();
        let pairs = pairs.clone();
        handles.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            for round in 0..5usize {
                let ids: Vec<&str> = (0..4)
                    .map(|k| pairs[(client * 3 + round * 7 + k * 2 + 1) % 60].1.as_str())
                    .chain(std::iter::once(pairs[(client + round) % 60].1.as_str()))
                    .collect();
                let (status, body) = sms.delete(&ids).await;
                assert!([200, 400, 404].contains(&status), "{status} {body}");
                outcomes.push(status);
            }
            outcomes
        }));
    }
    for flipper in 0..8usize {
        let sms = sms.clone();
        let pairs = pairs.clone();
        handles.push(tokio::spawn(async move {
            for round in 0..10usize {
                // Odd servers toggle between idle states only, so the invariant is exact.
                let (source, _) = &pairs[((flipper * 7 + round) * 2 + 1) % 60];
                let state = if round % 2 == 0 {
                    "stopped"
                } else {
                    "finished"
                };
                sms.set_source(source, state, true).await;
            }
            Vec::new()
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let db = sms.srv.sqlite();
    for (source, task) in pairs.iter().step_by(2) {
        let left: i64 = db
            .query_row("SELECT COUNT(*) FROM tasks WHERE id = ?", [task], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(left, 1, "task of busy source {source} survived");
    }
    let fk: i64 = db
        .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(fk, 0);
    let dangling: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM source_servers s WHERE current_task_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = s.current_task_id)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(dangling, 0);
}
