//! Simulated migrations on a manual clock: a started task runs through its subtasks,
//! finishes, fails where a fault is armed, pauses and resumes, syncs and cuts over, and
//! survives a restart, all without sleeping.

use reqwest::Method;
use serde_json::{Value, json};

use super::Sms;
use crate::common::ClockMode;

const GIB: i64 = 1 << 30;

/// A server on a manual clock migrating at 1,000 Mbit/s: 1 GiB takes 8.59 s of data.
async fn sms() -> Sms {
    Sms::start_with(|s| {
        s.clock.mode = ClockMode::Manual;
        s.sms.simulation.rate_mbit_per_s = 1000.0;
    })
    .await
}

impl Sms {
    async fn advance(&self, secs: i64) {
        let reply = self
            .srv
            .admin()
            .send(
                Method::POST,
                "/_cloudtwin/clock",
                Some(&json!({"advance_secs": secs})),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }

    /// A Linux source with one 1 GiB disk and a task for it.
    async fn one_gib_task(&self, kind: &str, syncing: bool) -> (String, String) {
        let (status, body) = self
            .call(
                Method::POST,
                "/v3/sources",
                Some(json!({"name": "sim", "ip": "10.9.0.1", "os_type": "LINUX",
                            "disks": [{"name": "/dev/vda", "size": GIB, "used_size": GIB / 2}]})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let source = body["id"].as_str().expect("id").to_owned();
        let (status, body) = self
            .call(
                Method::POST,
                "/v3/tasks",
                Some(json!({"name": "sim-task", "type": kind, "os_type": "LINUX",
                            "source_server": {"id": source}, "syncing": syncing})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        (source, body["id"].as_str().expect("id").to_owned())
    }

    async fn act(&self, task: &str, op: &str) -> (u16, Value) {
        self.call(
            Method::POST,
            &format!("/v3/tasks/{task}/action"),
            Some(json!({"operation": op})),
        )
        .await
    }

    async fn task(&self, task: &str) -> Value {
        let (status, body) = self
            .call(Method::GET, &format!("/v3/tasks/{task}"), None)
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn source(&self, source: &str) -> Value {
        let (status, body) = self
            .call(Method::GET, &format!("/v3/sources/{source}"), None)
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Advances a second at a time until the task is in `state` (at most `max` seconds),
    /// checking at each step that no subtask's progress went backwards.
    async fn run_until(&self, task: &str, state: &str, max: i64) -> Vec<Value> {
        let mut seen = Vec::new();
        let mut last: Vec<(String, i64)> = Vec::new();
        for _ in 0..max {
            let t = self.task(task).await;
            let now: Vec<(String, i64)> = t["sub_tasks"]
                .as_array()
                .expect("sub_tasks")
                .iter()
                .map(|s| {
                    (
                        s["name"].as_str().unwrap_or_default().to_owned(),
                        s["progress"].as_i64().unwrap_or(-1),
                    )
                })
                .collect();
            for (name, progress) in &last {
                let after = now.iter().find(|(n, _)| n == name).map(|(_, p)| *p);
                assert!(
                    after.is_some_and(|p| p >= *progress),
                    "{name} went from {progress} to {after:?}"
                );
            }
            last = now;
            let done = t["state"] == state;
            seen.push(t);
            if done {
                return seen;
            }
            self.advance(1).await;
        }
        panic!("task never reached {state}: {:?}", seen.last());
    }
}

fn names(task: &Value) -> Vec<String> {
    task["sub_tasks"]
        .as_array()
        .expect("sub_tasks")
        .iter()
        .map(|s| s["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_started_migration_runs_through_its_subtasks_and_launches_the_target() {
    let sms = sms().await;
    let (source, task) = sms.one_gib_task("MIGRATE_BLOCK", false).await;
    assert_eq!(sms.act(&task, "start").await.0, 200);
    let started = sms.task(&task).await;
    assert_eq!(started["state"], "RUNNING");
    assert_eq!(
        names(&started),
        [
            "CREATE_CLOUD_SERVER",
            "SSL_CONFIG",
            "ATTACH_AGENT_IMAGE",
            "FORMAT_DISK_LINUX_BLOCK",
            "MIGRATE_LINUX_BLOCK",
            "CONFIGURE_LINUX_BLOCK",
            "DETTACH_AGENT_IMAGE"
        ]
    );
    assert!(started["sub_tasks"][0]["start_date"].is_i64());
    assert!(started["sub_tasks"][1]["start_date"].is_null());

    // Into the data step: 4 fixed steps of a second, then 3 s of copying.
    sms.advance(7).await;
    let copying = sms.task(&task).await;
    assert_eq!(copying["sub_tasks"][4]["progress"], 34, "3 s of 8.59 s");
    assert_eq!(copying["migrate_speed"], 1000.0);
    assert_eq!(copying["subtask_info"], "MIGRATE_LINUX_BLOCK:34%");
    let remain = copying["remain_seconds"].as_i64().expect("remain");
    assert_eq!(remain, 8, "5.59 s of data and 2 s of configuring left");
    let src = sms.source(&source).await;
    assert_eq!(
        (src["state"].as_str(), src["migration_cycle"].as_str()),
        (Some("replicate"), Some("replicating"))
    );
    assert_eq!(src["totalsize"], GIB);
    assert_eq!(src["replicatesize"], 375_000_000);
    assert_eq!(src["current_task"]["migrate_speed"], 1000.0);
    // Replicating: the seeds' rule refuses the delete.
    assert_eq!(sms.delete(&[&task]).await.0, 400);

    let seen = sms.run_until(&task, "MIGRATE_SUCCESS", 20).await;
    let done = seen.last().expect("done");
    for step in done["sub_tasks"].as_array().expect("sub_tasks") {
        assert_eq!(step["progress"], 100, "{step}");
        assert!(step["start_date"].as_i64() <= step["end_date"].as_i64());
    }
    assert!(done["finish_date"].is_i64());
    assert_eq!(done["subtask_info"], "DETTACH_AGENT_IMAGE:100%");
    assert_eq!(done["remain_seconds"], 0);
    let src = sms.source(&source).await;
    assert_eq!(
        (src["state"].as_str(), src["migration_cycle"].as_str()),
        (Some("finished"), Some("cutovered"))
    );
    assert_eq!(src["replicatesize"], GIB);
    // Finished, the task may go.
    assert_eq!(sms.delete(&[&task]).await.0, 200);
}

#[tokio::test]
async fn an_armed_fault_fails_the_migration_and_restart_starts_it_over() {
    let sms = sms().await;
    let (source, task) = sms.one_gib_task("MIGRATE_BLOCK", false).await;
    let armed = sms
        .srv
        .admin()
        .send(
            Method::POST,
            &format!("/_cloudtwin/sms/tasks/{task}/fault"),
            Some(
                &json!({"subtask": "MIGRATE_LINUX_BLOCK", "error_code": "SMS.3802",
                         "error_param": ["/dev/vda"]}),
            ),
        )
        .await;
    assert_eq!(armed.status, 201, "{}", armed.text);
    sms.act(&task, "start").await;
    let seen = sms.run_until(&task, "MIGRATE_FAIL", 10).await;
    let failed = seen.last().expect("failed");
    let error: Value = serde_json::from_str(failed["error_json"].as_str().expect("error_json"))
        .expect("error_json is JSON");
    assert_eq!(error["error_code"], "SMS.3802");
    assert_eq!(
        error["error_param"], "[\"/dev/vda\"]",
        "a JSON array in a string, as the service sends it"
    );
    assert_eq!(sms.source(&source).await["state"], "error");
    let (_, errors) = sms.call(Method::GET, "/v3/errors", None).await;
    assert_eq!(errors["count"], 1, "{errors}");

    let (_, fault) = sms
        .srv
        .admin()
        .call(Method::GET, &format!("/_cloudtwin/sms/tasks/{task}/fault"))
        .await;
    assert!(fault["fired_ms"].is_i64(), "{fault}");

    assert_eq!(sms.act(&task, "restart").await.0, 200);
    let again = sms.task(&task).await;
    assert_eq!(again["state"], "RUNNING");
    assert_eq!(again["error_json"], "");
    assert_eq!(again["sub_tasks"][0]["progress"], 0, "started over");
    assert_eq!(sms.source(&source).await["replicatesize"], 0);
    // The fault fired once; this time it finishes.
    sms.run_until(&task, "MIGRATE_SUCCESS", 20).await;
}

#[tokio::test]
async fn stop_pauses_and_start_resumes_from_the_copied_bytes() {
    let sms = sms().await;
    let (source, task) = sms.one_gib_task("MIGRATE_BLOCK", false).await;
    sms.act(&task, "start").await;
    sms.advance(6).await;
    assert_eq!(sms.act(&task, "stop").await.0, 200);
    let stopping = sms.task(&task).await;
    assert_eq!(stopping["state"], "ABORTING");
    assert_eq!(sms.source(&source).await["state"], "stopping");
    sms.advance(1).await;
    assert_eq!(sms.task(&task).await["state"], "ABORT");
    let copied = sms.source(&source).await["replicatesize"].clone();
    assert_eq!(copied, 250_000_000);
    sms.advance(3600).await;
    assert_eq!(
        sms.source(&source).await["replicatesize"],
        copied,
        "paused copies nothing"
    );

    assert_eq!(sms.act(&task, "start").await.0, 200);
    let resumed = sms.task(&task).await;
    assert_eq!(resumed["state"], "RUNNING");
    assert_eq!(
        resumed["sub_tasks"][4]["progress"], 23,
        "from where it stopped"
    );
    assert_eq!(sms.source(&source).await["replicatesize"], copied);
    sms.run_until(&task, "MIGRATE_SUCCESS", 20).await;
}

#[tokio::test]
async fn continuous_sync_waits_syncs_on_start_and_launches_on_cutover() {
    let sms = sms().await;
    let (source, task) = sms.one_gib_task("MIGRATE_FILE", true).await;
    sms.act(&task, "start").await;
    // File-level: 4 fixed steps and 0.5 GiB of used space.
    let seen = sms.run_until(&task, "SYNCING", 20).await;
    let syncing = seen.last().expect("syncing");
    assert_eq!(
        names(syncing).last().map(String::as_str),
        Some("MIGRATE_LINUX_FILE")
    );
    let src = sms.source(&source).await;
    assert_eq!(
        (src["state"].as_str(), src["migration_cycle"].as_str()),
        (Some("syncing"), Some("syncing"))
    );
    sms.advance(600).await;
    assert_eq!(
        sms.task(&task).await["state"],
        "SYNCING",
        "waits for the user"
    );

    assert_eq!(sms.act(&task, "start").await.0, 200, "an incremental sync");
    let sync = sms.task(&task).await;
    assert_eq!(
        names(&sync).last().map(String::as_str),
        Some("SYNC_LINUX_FILE")
    );
    sms.run_until(&task, "SYNC_SUCCESS", 5).await;

    assert_eq!(sms.act(&task, "cutover").await.0, 200);
    let cutting = sms.task(&task).await;
    assert_eq!(cutting["state"], "RUNNING");
    assert_eq!(sms.source(&source).await["state"], "cutovering");
    let seen = sms.run_until(&task, "MIGRATE_SUCCESS", 5).await;
    assert!(names(seen.last().expect("done")).ends_with(&[
        "CONFIGURE_LINUX_FILE".to_owned(),
        "DETTACH_AGENT_IMAGE".to_owned()
    ]));
    assert_eq!(sms.source(&source).await["state"], "finished");
}

#[tokio::test]
async fn a_restart_mid_migration_resumes_without_going_backwards() {
    let sms = sms().await;
    let (source, task) = sms.one_gib_task("MIGRATE_BLOCK", false).await;
    sms.act(&task, "start").await;
    sms.advance(7).await;
    let before = sms.source(&source).await["replicatesize"]
        .as_i64()
        .expect("size");
    let Sms { srv, .. } = sms;
    let (dir, settings) = srv.stop().await;
    let srv = crate::common::spawn_on(dir, settings).await;
    let token = srv.demo_token().await;
    let sms = Sms {
        api: srv.sms(&token),
        srv,
    };
    let after = sms.source(&source).await["replicatesize"]
        .as_i64()
        .expect("size");
    assert_eq!(
        after, before,
        "the manual clock stood still across the restart"
    );
    let seen = sms.run_until(&task, "MIGRATE_SUCCESS", 20).await;
    let finished: Vec<i64> = seen
        .iter()
        .filter_map(|t| t["finish_date"].as_i64())
        .collect();
    assert_eq!(finished.len(), 1, "finished once");
    let rows: i64 = sms
        .srv
        .sqlite()
        .query_row(
            "SELECT COUNT(*) FROM task_subtasks WHERE task_id = ?",
            [&task],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(rows, 7);
}

#[tokio::test]
async fn a_lower_speed_limit_slows_a_running_copy_from_then_on() {
    let sms = sms().await;
    let (source, task) = sms.one_gib_task("MIGRATE_BLOCK", false).await;
    sms.act(&task, "start").await;
    sms.advance(7).await;
    assert_eq!(sms.source(&source).await["replicatesize"], 375_000_000);
    let (status, body) = sms
        .call(
            Method::PUT,
            &format!("/v3/tasks/{task}"),
            Some(json!({"speed_limit": 100})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    sms.advance(10).await;
    let t = sms.task(&task).await;
    assert_eq!(t["migrate_speed"], 100.0);
    assert_eq!(
        sms.source(&source).await["replicatesize"],
        375_000_000 + 125_000_000,
        "ten seconds at 100 Mbit/s"
    );
}

#[tokio::test]
async fn clear_drill_and_clone_pass_through_their_in_between_states() {
    let sms = sms().await;
    let (source, task) = sms.one_gib_task("MIGRATE_BLOCK", false).await;
    assert_eq!(sms.act(&task, "migration_test").await.0, 200);
    assert_eq!(sms.source(&source).await["state"], "premiging");
    sms.advance(1).await;
    assert_eq!(sms.source(&source).await["state"], "premiged");

    sms.act(&task, "start").await;
    sms.run_until(&task, "MIGRATE_SUCCESS", 20).await;
    let (status, body) = sms
        .call(
            Method::POST,
            &format!("/v3/tasks/{task}/action"),
            Some(json!({"operation": "clone_test", "template_id": "tpl-1"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(sms.source(&source).await["state"], "cloning");
    sms.advance(1).await;
    assert_eq!(
        sms.source(&source).await["state"],
        "finished",
        "back where it was"
    );
    let cloned = sms.task(&task).await;
    let clone_vm = cloned["sub_tasks"]
        .as_array()
        .expect("sub_tasks")
        .iter()
        .find(|s| s["name"] == "CLONE_VM")
        .cloned()
        .expect("CLONE_VM");
    assert_eq!(clone_vm["progress"], 100);

    assert_eq!(sms.act(&task, "clear").await.0, 200);
    assert_eq!(sms.source(&source).await["state"], "clearing");
    sms.advance(1).await;
    assert_eq!(sms.source(&source).await["state"], "cleared");
}
