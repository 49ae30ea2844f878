//! SMS v3 black-box: source servers, tasks, actions and the all-or-nothing batch delete.

mod common;

use cloudtwin::config::DeleteRule;
use common::TestServer;
use reqwest::Method;
use serde_json::{Value, json};

struct Sms {
    srv: TestServer,
    token: String,
}

impl Sms {
    async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    async fn start_with(adjust: impl FnOnce(&mut cloudtwin::config::Settings)) -> Self {
        let srv = common::spawn_with(adjust).await;
        let token = common::token_for(&srv, "demo", "demo", "demo-password").await;
        Self { srv, token }
    }

    async fn call_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .srv
            .client
            .request(method, self.srv.url(path))
            .header("X-Auth-Token", token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        let value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON body, got {text:?}"));
        (status, value)
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call_as(&self.token, method, path, body).await
    }

    async fn register(&self, name: &str, ip: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/v3/sources",
                Some(
                    json!({"name": name, "ip": ip, "os_type": "LINUX", "os_version": "CentOS 7",
                            "disks": [{"name": "/dev/vda", "size": 42949672960u64}]}),
                ),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    async fn create_task(&self, source: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/v3/tasks",
                Some(
                    json!({"name": format!("task-{source}"), "type": "MIGRATE_BLOCK",
                            "os_type": "LINUX", "source_server": {"id": source},
                            "region_id": "cn-north-4", "project_id": "target-project",
                            "target_server": {"name": "target-vm"}}),
                ),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// A source server with one task; returns (source id, task id).
    async fn server_with_task(&self, n: usize) -> (String, String) {
        let source = self
            .register(
                &format!("host-{n}"),
                &format!("10.0.{}.{}", n / 250, n % 250 + 1),
            )
            .await;
        let task = self.create_task(&source).await;
        (source, task)
    }

    async fn set_source(&self, id: &str, state: &str, connected: bool) {
        let res = self
            .srv
            .client
            .put(self.srv.url(&format!("/_cloudtwin/sms/sources/{id}")))
            .json(&json!({"state": state, "connected": connected}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }

    async fn delete(&self, ids: &[&str]) -> (u16, Value) {
        self.call(
            Method::POST,
            "/v3/tasks/delete",
            Some(json!({ "ids": ids })),
        )
        .await
    }

    fn task_count(&self) -> i64 {
        self.srv
            .sqlite()
            .query_row("SELECT COUNT(*) FROM tasks", [], |r| r.get(0))
            .unwrap()
    }
}

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
                assert_eq!(body["error_code"], "SMS.2015");
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
        assert_eq!(err["error_code"], "SMS.1001");
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
        assert_eq!(err["error_code"], "SMS.1001");
        assert_eq!(err["error_param"][0], param);
    }
    let res = sms
        .srv
        .client
        .post(sms.srv.url("/v3/tasks/delete"))
        .header("X-Auth-Token", &sms.token)
        .header("Content-Type", "application/json")
        .body("{\"ids\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error_code"], "SMS.1001");

    let (status, err) = sms.call(Method::GET, "/v3/tasks/delete", None).await;
    assert_eq!(status, 405, "{err}");
    assert_eq!(err["error_code"], "SMS.2003");
}

#[tokio::test]
async fn missing_permission_gives_the_seeds_exact_403() {
    let sms = Sms::start().await;
    let (_, task) = sms.server_with_task(1).await;
    let token = common::user_with(
        &sms.srv,
        "demo",
        "viewer",
        &["sms:server:list*", "sms:server:show*"],
    )
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
        .srv
        .client
        .post(sms.srv.url("/v3/tasks/delete"))
        .header("X-Auth-Token", &token)
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
    let other = common::user_with(&sms.srv, "acme", "ops", &["sms:*"]).await;
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
    assert_eq!(body["error_code"], "SMS.2216");

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
async fn signed_requests_work_like_tokens() {
    let sms = Sms::start().await;
    let (_, task) = sms.server_with_task(1).await;
    let body = serde_json::to_vec(&json!({"ids": [task]})).unwrap();
    let res = common::signed(&sms.srv, Method::POST, "/v3/tasks/delete", &body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(sms.task_count(), 0);
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
