//! HTTP fault rules: each action and `when` against both APIs, `times` and a seeded
//! `probability` that repeat exactly, bad rules refused by field, rules across restarts.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{self, AdminClient, TestServer};

async fn add(admin: &AdminClient, rule: Value) -> String {
    let reply = admin
        .send(Method::POST, "/_cloudtwin/faults", Some(&rule))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.json["id"].as_str().expect("id").to_owned()
}

async fn rules(admin: &AdminClient) -> Vec<Value> {
    let (status, body) = admin.call(Method::GET, "/_cloudtwin/faults").await;
    assert_eq!(status, 200, "{body}");
    body["faults"].as_array().cloned().unwrap_or_default()
}

/// A source server with a task; the task's id.
async fn task(srv: &TestServer, token: &str) -> String {
    let sms = srv.sms(token);
    let (_, source) = sms
        .call(
            Method::POST,
            "/v3/sources",
            Some(json!({"name": "f", "ip": "10.5.0.1", "os_type": "LINUX"})),
        )
        .await;
    let (status, task) = sms
        .call(
            Method::POST,
            "/v3/tasks",
            Some(
                json!({"name": "f-task", "type": "MIGRATE_BLOCK", "os_type": "LINUX",
                        "source_server": {"id": source["id"]}}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{task}");
    task["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn respond_before_answers_in_the_api_format_and_changes_nothing() {
    let srv = common::spawn().await;
    let token = srv.demo_token().await;
    let id = task(&srv, &token).await;
    let admin = srv.admin();
    let rule = add(
        &admin,
        json!({"method": "POST", "path": "/v3/tasks/delete", "status": 503,
               "error_code": "SMS.0001", "error_msg": "try again", "times": 1}),
    )
    .await;
    let sms = srv.sms(&token).api().clone();
    let reply = sms
        .send(
            Method::POST,
            "/v3/tasks/delete",
            &[],
            Some(&json!({"ids": [id]})),
        )
        .await;
    assert_eq!(reply.status, 503);
    assert_eq!(
        reply.json,
        json!({"error_code": "SMS.0001", "error_msg": "try again"})
    );
    assert_eq!(reply.headers["x-cloudtwin-fault"], rule.as_str());
    let (status, _) = srv
        .sms(&token)
        .call(Method::GET, &format!("/v3/tasks/{id}"), None)
        .await;
    assert_eq!(
        status, 200,
        "the handler did not run: the task is still there"
    );
    // Fired once: the next delete goes through.
    let reply = sms
        .send(
            Method::POST,
            "/v3/tasks/delete",
            &[],
            Some(&json!({"ids": [id]})),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.headers.get("x-cloudtwin-fault").is_none());
    let listed = rules(&admin).await;
    assert_eq!(
        (listed[0]["fired"].as_i64(), listed[0]["times"].as_i64()),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn respond_after_commits_then_loses_the_answer() {
    let srv = common::spawn_with(|s| s.auth.registry = common::Switch::Off).await;
    let admin = srv.admin();
    add(
        &admin,
        json!({"method": "POST", "path": "/v4/{project_id}/registry/microservices",
               "status": 500, "when": "after"}),
    )
    .await;
    let reg = srv.registry();
    let reply = reg
        .post(
            "/microservices",
            json!({"service": {"appId": "a", "serviceName": "lost", "version": "1.0.0"}}),
        )
        .await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.json["errorCode"], "500003", "{}", reply.text);
    let found = reg
        .get("/existence?type=microservice&appId=a&serviceName=lost&version=1.0.0")
        .await;
    assert_eq!(
        found.status, 200,
        "committed although the client saw an error: {}",
        found.text
    );
    assert!(found.json["serviceId"].is_string());
}

#[tokio::test]
async fn delay_waits_then_answers_normally() {
    let srv = common::spawn().await;
    let token = srv.demo_token().await;
    add(
        &srv.admin(),
        json!({"method": "GET", "path": "/v3/tasks", "action": "delay", "latency_ms": 400}),
    )
    .await;
    let started = Instant::now();
    let (status, _) = srv.sms(&token).call(Method::GET, "/v3/tasks", None).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(400));
}

#[tokio::test]
async fn reset_closes_the_connection_without_an_answer() {
    let srv = common::spawn().await;
    let token = srv.demo_token().await;
    add(
        &srv.admin(),
        json!({"path": "/v3/tasks", "action": "reset"}),
    )
    .await;
    let outcome = srv
        .client
        .get(srv.url("/v3/tasks"))
        .header("X-Auth-Token", &token)
        .send()
        .await;
    let err = outcome.expect_err("no answer at all");
    assert!(!err.is_status() && !err.is_timeout(), "{err:?}");
    // The server itself goes on.
    let (status, _) = srv.sms(&token).call(Method::GET, "/v3/sources", None).await;
    assert_eq!(status, 200);
}

/// Which of `n` GETs a rule fired on.
async fn pattern(srv: &TestServer, token: &str, n: usize) -> Vec<bool> {
    let mut fired = Vec::with_capacity(n);
    for _ in 0..n {
        let res = srv
            .client
            .get(srv.url("/v3/sources"))
            .header("X-Auth-Token", token)
            .send()
            .await
            .expect("answer");
        fired.push(res.headers().contains_key("x-cloudtwin-fault"));
    }
    fired
}

#[tokio::test]
async fn a_seeded_probability_fires_the_same_way_every_run() {
    let srv = common::spawn().await;
    let token = srv.demo_token().await;
    let admin = srv.admin();
    let rule = json!({"path": "/v3/sources", "status": 503, "probability": 0.5});
    add(&admin, rule.clone()).await;
    let first = pattern(&srv, &token, 40).await;
    let hits = first.iter().filter(|f| **f).count();
    assert!((8..=32).contains(&hits), "about half: {hits} of 40");
    admin.call(Method::DELETE, "/_cloudtwin/faults").await;
    add(&admin, rule).await;
    assert_eq!(
        pattern(&srv, &token, 40).await,
        first,
        "same seed, same rule, same draws"
    );
}

#[tokio::test]
async fn bad_rules_are_refused_naming_the_field() {
    let srv = common::spawn().await;
    let admin = srv.admin();
    for (rule, field) in [
        (
            json!({"path": "/v3/tasks", "action": "explode", "status": 500}),
            "action",
        ),
        (json!({"path": "/v3/tasks", "status": 200}), "status"),
        (
            json!({"path": "/v3/tasks", "status": 500, "probability": 2}),
            "probability",
        ),
        (json!({"path": "/v3/{id", "status": 500}), "path"),
        (
            json!({"path": "/v3/tasks", "status": 500, "colour": "red"}),
            "colour",
        ),
    ] {
        let reply = admin
            .send(Method::POST, "/_cloudtwin/faults", Some(&rule))
            .await;
        assert_eq!(reply.status, 400, "{rule}");
        assert!(
            reply.json["message"]
                .as_str()
                .unwrap_or_default()
                .contains(field),
            "{field}: {}",
            reply.text
        );
    }
    assert!(rules(&admin).await.is_empty());
}

#[tokio::test]
async fn rules_survive_a_restart_and_go_with_a_reset() {
    let srv = common::spawn().await;
    let token = srv.demo_token().await;
    let id = add(
        &srv.admin(),
        json!({"path": "/v3/sources", "status": 429, "times": 3}),
    )
    .await;
    pattern(&srv, &token, 1).await;
    let (dir, settings) = srv.stop().await;
    let srv = common::spawn_on(dir, settings).await;
    let admin = srv.admin();
    let listed = rules(&admin).await;
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["fired"], 1, "the count is in the database");
    assert_eq!(
        pattern(&srv, &token, 3).await,
        [true, true, false],
        "three in all"
    );
    let (status, _) = admin.call(Method::POST, "/_cloudtwin/reset").await;
    assert_eq!(status, 200);
    assert!(rules(&admin).await.is_empty());
}

#[tokio::test]
async fn a_fixture_brings_rules_with_it() {
    let fixtures = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        fixtures.path().join("chaos.yaml"),
        "faults:\n  - {method: GET, path: /v3/sources, status: 503, error_code: SMS.2007, times: 1}\n",
    )
    .expect("fixture");
    let dir = fixtures.path().to_owned();
    let srv = common::spawn_with(move |s| s.admin.fixtures_dir = dir).await;
    let admin = srv.admin();
    let (status, body) = admin
        .call(Method::POST, "/_cloudtwin/reset?fixture=chaos")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["loaded"]["fault_rules"], 1, "{body}");
    assert_eq!(rules(&admin).await.len(), 1);
    let token = srv.demo_token().await;
    assert_eq!(pattern(&srv, &token, 2).await, [true, false]);
}

#[tokio::test]
async fn serve_faults_file_replaces_the_rules_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("cloudtwin.db");
    let file = dir.path().join("rules.json");
    std::fs::write(
        &file,
        r#"[{"method": "GET", "path": "/v3/tasks", "status": 429, "error_msg": "slow down"}]"#,
    )
    .expect("rules");
    let http = common::http_client();
    let mut server = common::cli::start_with(&db, &http, |c| {
        c.arg("--faults").arg(&file);
    })
    .await;
    let api = common::Client::new(http.clone(), server.base.clone());
    let token = common::Iam::new(api.clone()).demo_token().await;
    let (status, body) = api
        .with_token(&token)
        .call(Method::GET, "/v3/tasks", None)
        .await;
    assert_eq!(
        (status, body["error_msg"].as_str()),
        (429, Some("slow down"))
    );
    server.child.kill().expect("stop");
    server.child.wait().expect("reap");
}
