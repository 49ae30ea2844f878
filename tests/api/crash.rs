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

/// Heartbeats renew leases in memory and reach the file only every
/// `registry.lease_flush_ms`: under registration and heartbeat load, killed with
/// SIGKILL and restarted only after every lease in the file would have run out, every
/// acknowledged registration is there and alive — nothing expires because of a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_under_heartbeats_keeps_every_acknowledged_instance() {
    use crate::common::RegistryClient;
    use serde_json::json;
    use std::sync::Mutex;

    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("cloudtwin.db");
    let http = http_client();
    let mut rng = rand::thread_rng();
    // (service id, instance id) of every 200 answer to a registration.
    let acknowledged: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let mut token = None;
    for round in 0..3 {
        let mut server = cli::start(&db, &http).await;
        let api = Client::new(http.clone(), server.base.clone());
        let token = match &token {
            Some(t) => t,
            None => token.insert(Iam::new(api.clone()).demo_token().await),
        };
        let registry = RegistryClient::new(api.with_token(token), "default");
        let so_far = acknowledged.lock().unwrap().clone();
        all_alive(&registry, &so_far, &format!("round {round}")).await;
        let clients: Vec<_> = (0..8)
            .map(|n| {
                let (registry, acknowledged) = (registry.clone(), acknowledged.clone());
                tokio::spawn(async move {
                    let body = json!({"service": {"serviceName": format!("beat-{n}"), "version": "1.0.0"}});
                    let Some((200, reply)) =
                        answer(&registry, Method::POST, "/microservices", Some(body)).await
                    else {
                        return;
                    };
                    let Some(service) = reply["serviceId"].as_str().map(str::to_owned) else {
                        return;
                    };
                    let mut mine = Vec::new();
                    for i in 0..10_000 {
                        let body = json!({"instance": {"hostName": "h", "endpoints": [format!("rest://10.0.0.{n}:{i}")],
                            "healthCheck": {"mode": "push", "interval": 2, "times": 0}}});
                        let path = format!("/microservices/{service}/instances");
                        let Some((200, reply)) =
                            answer(&registry, Method::POST, &path, Some(body)).await
                        else {
                            return;
                        };
                        let id = reply["instanceId"].as_str().unwrap_or_default().to_owned();
                        acknowledged.lock().unwrap().push((service.clone(), id.clone()));
                        mine.push(id);
                        for id in &mine {
                            let path = format!("/microservices/{service}/instances/{id}/heartbeat");
                            if !matches!(answer(&registry, Method::PUT, &path, None).await, Some((200, _))) {
                                return;
                            }
                        }
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(rng.gen_range(500..1500))).await;
        server.child.kill().expect("SIGKILL the server");
        server.child.wait().expect("reap the server");
        for client in clients {
            client.await.expect("client task finished");
        }
        let conn = rusqlite::Connection::open(&db).expect("open the database after the kill");
        let problems = load::storage_problems(&conn);
        assert!(problems.is_empty(), "after kill {round}: {problems:#?}");
        eprintln!(
            "round {round}: {} registrations acknowledged so far",
            acknowledged.lock().unwrap().len()
        );
        // Longer than any lease: only the restart's renewal keeps them.
        tokio::time::sleep(Duration::from_millis(2_500)).await;
    }
    let mut server = cli::start(&db, &http).await;
    let api = Client::new(http.clone(), server.base.clone());
    let registry = RegistryClient::new(api.with_token(&token.expect("token")), "default");
    let all = acknowledged.lock().unwrap().clone();
    assert!(!all.is_empty());
    all_alive(&registry, &all, "at the end").await;
    server.child.kill().expect("stop the server");
    server.child.wait().expect("reap the server");
}

/// A request to a server that may be killed under it: the status and JSON body (`Null`
/// when empty), or `None` when no answer came.
async fn answer(
    registry: &crate::common::RegistryClient,
    method: Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> Option<(u16, serde_json::Value)> {
    let res = registry
        .api()
        .request(method, &registry.path(path), body.as_ref())
        .send()
        .await
        .ok()?;
    let status = res.status().as_u16();
    let text = res.text().await.ok()?;
    Some((status, serde_json::from_str(&text).unwrap_or_default()))
}

/// Every acknowledged instance is served alive, checked with one instance list per
/// service right after the start (well within the two-second lease, however slow the
/// machine).
async fn all_alive(
    registry: &crate::common::RegistryClient,
    acknowledged: &[(String, String)],
    when: &str,
) {
    let mut by_service: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for (service, instance) in acknowledged {
        by_service.entry(service).or_default().push(instance);
    }
    for (service, wanted) in by_service {
        let reply = registry
            .get(&format!("/microservices/{service}/instances"))
            .await;
        assert_eq!(reply.status, 200, "{when}: {service}: {}", reply.text);
        let served: Vec<&str> = reply.json["instances"]
            .as_array()
            .map(|l| l.iter().filter_map(|i| i["instanceId"].as_str()).collect())
            .unwrap_or_default();
        let missing: Vec<&&str> = wanted.iter().filter(|w| !served.contains(w)).collect();
        assert!(missing.is_empty(), "{when}: {service} lost {missing:?}");
    }
}
