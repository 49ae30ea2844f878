//! The real binary under the mixed load, killed with SIGKILL at random moments and
//! restarted on the same file: every answered write must still be there, no refused
//! batch may have half-happened, and the file must stay consistent.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use reqwest::Method;

use crate::common::load::{self, Shared, Target};
use crate::common::{Client, Iam, SmsClient, cli, http_client};

const CLIENTS: u64 = 8;

/// Opens the file as the next start would find it and checks it against the ledger.
fn check(db: &Path, shared: &Shared, when: &str) {
    let conn = rusqlite::Connection::open(db).expect("open the database after the kill");
    let mut found = load::storage_problems(&conn);
    found.extend(load::ledger_problems(&conn, &shared.ledger.lock().unwrap()));
    assert!(
        found.is_empty(),
        "{when}: the database disagrees with the answers ({} problems): {:#?}",
        found.len(),
        &found[..found.len().min(20)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_under_load_loses_no_answered_write() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("cloudtwin.db");
    let http = http_client();
    let mut rng = rand::thread_rng();
    let kills = rng.gen_range(3..=5);
    let shared = Arc::new(Shared::default());
    let mut token = None;

    for round in 0..kills {
        let mut server = cli::start(&db, &http).await;
        let api = Client::new(http.clone(), server.base.clone());
        // Tokens live in the database, so the first one serves every restart.
        let token = match &token {
            Some(t) => t,
            None => token.insert(Iam::new(api.clone()).demo_token().await),
        };
        let target = Arc::new(Target {
            api: Client::new(http_client(), server.base.clone()).with_token(token),
            may_die: true,
        });
        if round == 0 {
            shared.setup_blocked(&target, 6).await;
            for _ in 0..8 {
                shared.sms_create(&target).await.expect("seed pair");
            }
        }
        let before = shared.requests.load(std::sync::atomic::Ordering::Relaxed);
        let seed: u64 = rng.r#gen();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|n| {
                let (shared, target) = (shared.clone(), target.clone());
                tokio::spawn(async move { shared.run_client(&target, seed + n, 10_000).await })
            })
            .collect();
        let wait = Duration::from_millis(rng.gen_range(200..1200));
        tokio::time::sleep(wait).await;
        server.child.kill().expect("SIGKILL the server");
        server.child.wait().expect("reap the server");
        for client in clients {
            client.await.expect("client task finished");
        }
        let sent = shared.requests.load(std::sync::atomic::Ordering::Relaxed) - before;
        eprintln!("round {round}: killed after {wait:?} and {sent} requests (seed {seed})");
        let problems = shared.problems.lock().unwrap().clone();
        assert!(
            problems.is_empty(),
            "answers no client should get: {:#?}",
            &problems[..problems.len().min(10)]
        );
        check(&db, &shared, &format!("after kill {}", round + 1));
    }

    // The last restart serves what the clients were told it holds.
    let mut server = cli::start(&db, &http).await;
    let token = token.expect("token");
    let sms = SmsClient::new(Client::new(http.clone(), server.base.clone()).with_token(&token));
    let stored_tasks: Vec<String> = {
        let conn = rusqlite::Connection::open(&db).expect("open");
        let mut stmt = conn
            .prepare("SELECT id FROM tasks LIMIT 20")
            .expect("prepare");
        stmt.query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    for task in &stored_tasks {
        let (status, _) = sms
            .call(Method::GET, &format!("/v3/tasks/{task}"), None)
            .await;
        assert_eq!(status, 200, "task {task} is served after the restarts");
    }
    let blocked = shared.ledger.lock().unwrap().blocked.clone();
    for (_, task) in &blocked {
        let (status, _) = sms.delete_tasks(&[task.as_str()]).await;
        assert_eq!(
            status, 400,
            "a replicating source's task is still refused after the restarts"
        );
    }
    let ledger = shared.ledger.lock().unwrap();
    eprintln!(
        "{kills} kills: {} sources, {} tasks, {} task batches, {} services, {} instances",
        ledger.sources.len(),
        ledger.tasks.len(),
        ledger.task_deletes.len(),
        ledger.services.len(),
        ledger.instances.len()
    );
    drop(ledger);
    server.child.kill().expect("stop the server");
    server.child.wait().expect("reap the server");
    check(&db, &shared, "at the end");
}

/// A simulated migration under `kill -9`: the restarted binary goes on from the last
/// committed transition, never backwards, and finishes once.
#[tokio::test]
async fn kill_9_mid_migration_resumes_without_going_backwards() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("cloudtwin.db");
    let http = http_client();
    let manual = |c: &mut std::process::Command| {
        c.env("CLOUDTWIN_CLOCK__MODE", "manual")
            .env("CLOUDTWIN_SMS__SIMULATION__RATE_MBIT_PER_S", "1000");
    };
    let mut server = cli::start_with(&db, &http, manual).await;
    let api = Client::new(http.clone(), server.base.clone());
    let token = Iam::new(api.clone()).demo_token().await;
    let sms = SmsClient::new(api.with_token(&token));
    let (_, source) = sms
        .call(
            Method::POST,
            "/v3/sources",
            Some(
                serde_json::json!({"name": "k9", "ip": "10.6.0.1", "os_type": "LINUX",
                                    "disks": [{"name": "/dev/vda", "size": 1u64 << 30}]}),
            ),
        )
        .await;
    let source = source["id"].as_str().expect("source").to_owned();
    let (_, task) = sms
        .call(
            Method::POST,
            "/v3/tasks",
            Some(
                serde_json::json!({"name": "k9-task", "type": "MIGRATE_BLOCK",
                                    "os_type": "LINUX", "source_server": {"id": source}}),
            ),
        )
        .await;
    let task = task["id"].as_str().expect("task").to_owned();
    let action = format!("/v3/tasks/{task}/action");
    let (status, _) = sms
        .call(
            Method::POST,
            &action,
            Some(serde_json::json!({"operation": "start"})),
        )
        .await;
    assert_eq!(status, 200);
    let advance = |base: String, secs: i64| {
        let http = http.clone();
        async move {
            let res = http
                .post(format!("{base}/_cloudtwin/clock"))
                .json(&serde_json::json!({"advance_secs": secs}))
                .send()
                .await
                .expect("clock");
            assert_eq!(res.status(), 200);
        }
    };
    advance(server.base.clone(), 7).await;
    let replicated = |sms: SmsClient| {
        let source = source.clone();
        async move {
            let (_, s) = sms
                .call(Method::GET, &format!("/v3/sources/{source}"), None)
                .await;
            s["replicatesize"].as_i64().expect("replicatesize")
        }
    };
    let before = replicated(sms.clone()).await;
    assert_eq!(before, 375_000_000);
    server.child.kill().expect("SIGKILL the server");
    server.child.wait().expect("reap the server");

    let server = cli::start_with(&db, &http, manual).await;
    let sms = SmsClient::new(Client::new(http.clone(), server.base.clone()).with_token(&token));
    assert_eq!(
        replicated(sms.clone()).await,
        before,
        "not a byte backwards"
    );
    advance(server.base.clone(), 60).await;
    let (_, shown) = sms
        .call(Method::GET, &format!("/v3/tasks/{task}"), None)
        .await;
    assert_eq!(shown["state"], "MIGRATE_SUCCESS");
    assert_eq!(replicated(sms.clone()).await, 1 << 30);
    let conn = rusqlite::Connection::open(&db).expect("open");
    let (rows, runs): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT COUNT(*) FROM task_subtasks), (SELECT COUNT(*) FROM task_runs)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("counts");
    assert_eq!((rows, runs), (7, 0), "every subtask once, and the run over");
}
