//! A mixed SMS + registry workload driven over HTTP by many concurrent clients, the
//! ledger of what each request was answered, and the checks that the database file
//! agrees with that ledger. Shared by the in-process load test and the kill -9 test.
#![allow(dead_code)] // each test binary uses a different part of this helper

use std::collections::{HashMap, HashSet};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;
use rand::seq::SliceRandom;
use reqwest::Method;
use serde_json::{Value, json};

pub const REGISTRY: &str = "/v4/default/registry";

/// What a request that changes state was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx: the change must be durable.
    Done,
    /// A 4xx: nothing may have changed.
    Refused(u16),
    /// No answer (the server died mid-request): it may or may not have happened.
    Unknown,
}

/// Everything the clients were told, to compare with the database afterwards.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Source servers registered with a 2xx.
    pub sources: Vec<String>,
    /// (task, its source) created with a 2xx.
    pub tasks: Vec<(String, String)>,
    /// (source, task) pairs whose source is connected and replicating for the whole run.
    pub blocked: Vec<(String, String)>,
    pub task_deletes: Vec<(Vec<String>, Outcome)>,
    pub source_deletes: Vec<(Vec<String>, Outcome)>,
    /// (id, name) of microservices created with a 2xx.
    pub services: Vec<(String, String)>,
    /// (service, instance) registered with a 2xx.
    pub instances: Vec<(String, String)>,
    /// One entry per service named in a force batch delete.
    pub service_deletes: Vec<(String, Outcome)>,
}

/// Where the clients send their requests.
pub struct Target {
    pub client: reqwest::Client,
    pub base: String,
    pub token: String,
    /// In the crash test the server dies under the clients: a request without an answer
    /// is then expected, and ends that client's run.
    pub may_die: bool,
}

/// The state all clients share.
#[derive(Default)]
pub struct Shared {
    pub ledger: Mutex<Ledger>,
    /// Answers no user should ever see: 5xx, "database is locked", transport errors.
    pub problems: Mutex<Vec<String>>,
    /// Requests sent, by every client.
    pub requests: AtomicU64,
    /// Makes every name unique, across restarts too.
    pub serial: AtomicU64,
}

pub struct Reply {
    /// `None` when no answer came back.
    pub status: Option<u16>,
    pub text: String,
    pub json: Value,
}

impl Reply {
    pub fn outcome(&self) -> Outcome {
        match self.status {
            Some(s) if (200..300).contains(&s) => Outcome::Done,
            Some(s) => Outcome::Refused(s),
            None => Outcome::Unknown,
        }
    }

    pub fn ok(&self) -> bool {
        self.outcome() == Outcome::Done
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client")
}

impl Shared {
    fn next(&self) -> u64 {
        self.serial.fetch_add(1, Ordering::Relaxed)
    }

    fn problem(&self, what: String) {
        self.problems.lock().unwrap().push(what);
    }

    pub async fn call(
        &self,
        target: &Target,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut req = target
            .client
            .request(method.clone(), format!("{}{path}", target.base))
            .header("X-Auth-Token", &target.token);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let answered = match req.send().await {
            Ok(res) => {
                let status = res.status().as_u16();
                res.text().await.map(|text| (status, text))
            }
            Err(e) => Err(e),
        };
        match answered {
            Ok((status, text)) => {
                if status >= 500 || text.contains("database is locked") {
                    self.problem(format!("{method} {path} -> {status} {text}"));
                }
                let json = serde_json::from_str(&text).unwrap_or(Value::Null);
                Reply {
                    status: Some(status),
                    text,
                    json,
                }
            }
            Err(e) => {
                if !target.may_die {
                    self.problem(format!("{method} {path} -> no answer: {e}"));
                }
                Reply {
                    status: None,
                    text: String::new(),
                    json: Value::Null,
                }
            }
        }
    }

    /// Registers a source server and gives it a task; `None` if either was not a 2xx.
    pub async fn sms_create(&self, target: &Target) -> Option<(String, String)> {
        self.sms_create_op(target).await.0
    }

    /// The pair created (if both requests got a 2xx) and whether the server answered.
    async fn sms_create_op(&self, target: &Target) -> (Option<(String, String)>, bool) {
        let n = self.next();
        let body = json!({"name": format!("load-{n}"), "ip": ip(n), "os_type": "LINUX",
                          "disks": [{"name": "/dev/vda", "size": 42949672960u64}]});
        let reply = self
            .call(target, Method::POST, "/v3/sources", Some(&body), &[])
            .await;
        let Some(source) = reply.json["id"].as_str().filter(|_| reply.ok()) else {
            return (None, reply.status.is_some());
        };
        let source = source.to_owned();
        self.ledger.lock().unwrap().sources.push(source.clone());
        let body = json!({"name": format!("task-{n}"), "type": "MIGRATE_BLOCK", "os_type": "LINUX",
                          "source_server": {"id": source}, "target_server": {"name": "vm"}});
        let reply = self
            .call(target, Method::POST, "/v3/tasks", Some(&body), &[])
            .await;
        let Some(task) = reply.json["id"].as_str().filter(|_| reply.ok()) else {
            return (None, reply.status.is_some());
        };
        let task = task.to_owned();
        self.ledger
            .lock()
            .unwrap()
            .tasks
            .push((task.clone(), source.clone()));
        (Some((source, task)), true)
    }

    /// Creates `n` source/task pairs whose source is connected and replicating: their
    /// tasks must survive every delete.
    pub async fn setup_blocked(&self, target: &Target, n: usize) {
        for _ in 0..n {
            let (source, task) = self
                .sms_create(target)
                .await
                .expect("a blocked pair is created");
            let res = target
                .client
                .put(format!("{}/_cloudtwin/sms/sources/{source}", target.base))
                .json(&json!({"state": "replicate", "connected": true}))
                .send()
                .await
                .expect("admin request");
            assert_eq!(res.status(), 200, "source put into replicate");
            self.ledger.lock().unwrap().blocked.push((source, task));
        }
    }

    /// Runs one client for `iterations` operations, or until the server stops answering
    /// when it may die.
    pub async fn run_client(&self, target: &Target, seed: u64, iterations: usize) {
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
        for _ in 0..iterations {
            let alive = match rng.gen_range(0..20) {
                0..=2 => self.sms_create_op(target).await.1,
                3 | 4 => self.admin_state(target, &mut rng).await,
                5 | 6 => self.task_action(target, &mut rng).await,
                7 | 8 => self.delete_tasks(target, &mut rng).await,
                9 => self.delete_sources(target, &mut rng).await,
                10 | 11 => self.create_service(target, &mut rng).await,
                12 | 13 => self.register_instance(target, &mut rng).await,
                14 | 15 => self.heartbeat(target, &mut rng).await,
                16 | 17 => self.discover(target, &mut rng).await,
                18 => self.force_delete(target, &mut rng).await,
                _ => self.read(target, &mut rng).await,
            };
            if !alive {
                return;
            }
        }
    }

    fn recent_tasks(&self, rng: &mut impl Rng, k: usize) -> Vec<(String, String)> {
        let ledger = self.ledger.lock().unwrap();
        let blocked: HashSet<&str> = ledger.blocked.iter().map(|(_, t)| t.as_str()).collect();
        let pool: Vec<_> = ledger
            .tasks
            .iter()
            .rev()
            .filter(|(t, _)| !blocked.contains(t.as_str()))
            .take(48)
            .cloned()
            .collect();
        pool.choose_multiple(rng, k).cloned().collect()
    }

    fn recent_services(&self, rng: &mut impl Rng, k: usize) -> Vec<(String, String)> {
        let ledger = self.ledger.lock().unwrap();
        let pool: Vec<_> = ledger.services.iter().rev().take(40).cloned().collect();
        pool.choose_multiple(rng, k).cloned().collect()
    }

    fn recent_instances(&self, rng: &mut impl Rng, k: usize) -> Vec<(String, String)> {
        let ledger = self.ledger.lock().unwrap();
        let pool: Vec<_> = ledger.instances.iter().rev().take(60).cloned().collect();
        pool.choose_multiple(rng, k).cloned().collect()
    }

    fn blocked_pair(&self, rng: &mut impl Rng) -> Option<(String, String)> {
        self.ledger.lock().unwrap().blocked.choose(rng).cloned()
    }

    async fn admin_state(&self, target: &Target, rng: &mut impl Rng) -> bool {
        let Some((_, source)) = self.recent_tasks(rng, 1).pop() else {
            return true;
        };
        let state = [
            "waiting",
            "replicate",
            "stopped",
            "syncing",
            "finished",
            "error",
        ]
        .choose(rng)
        .copied();
        let body = json!({"state": state, "connected": rng.gen_bool(0.5)});
        let res = target
            .client
            .put(format!("{}/_cloudtwin/sms/sources/{source}", target.base))
            .json(&body)
            .send()
            .await;
        self.requests.fetch_add(1, Ordering::Relaxed);
        match res {
            Ok(res) => {
                let status = res.status().as_u16();
                let text = res.text().await.unwrap_or_default();
                if status >= 500 || text.contains("database is locked") {
                    self.problem(format!("PUT admin source -> {status} {text}"));
                }
                true
            }
            Err(e) => {
                if !target.may_die {
                    self.problem(format!("PUT admin source -> no answer: {e}"));
                }
                !target.may_die
            }
        }
    }

    async fn task_action(&self, target: &Target, rng: &mut impl Rng) -> bool {
        let Some((task, _)) = self.recent_tasks(rng, 1).pop() else {
            return true;
        };
        let op = ["start", "stop", "restart", "sync", "cutover", "test"]
            .choose(rng)
            .copied();
        let reply = self
            .call(
                target,
                Method::POST,
                &format!("/v3/tasks/{task}/action"),
                Some(&json!({"operation": op})),
                &[],
            )
            .await;
        reply.status.is_some()
    }

    async fn delete_tasks(&self, target: &Target, rng: &mut impl Rng) -> bool {
        let k = rng.gen_range(1..=4);
        let mut ids: Vec<String> = self
            .recent_tasks(rng, k)
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        if rng.gen_bool(0.2)
            && let Some((_, task)) = self.blocked_pair(rng)
        {
            ids.push(task);
        }
        if rng.gen_bool(0.1) {
            ids.push(format!("no-such-task-{}", self.next()));
        }
        if ids.is_empty() {
            return true;
        }
        ids.shuffle(rng);
        let reply = self
            .call(
                target,
                Method::POST,
                "/v3/tasks/delete",
                Some(&json!({ "ids": ids })),
                &[],
            )
            .await;
        self.ledger
            .lock()
            .unwrap()
            .task_deletes
            .push((ids, reply.outcome()));
        reply.status.is_some()
    }

    async fn delete_sources(&self, target: &Target, rng: &mut impl Rng) -> bool {
        let k = rng.gen_range(1..=3);
        let mut ids: Vec<String> = self
            .recent_tasks(rng, k)
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        if rng.gen_bool(0.2)
            && let Some((source, _)) = self.blocked_pair(rng)
        {
            ids.push(source);
        }
        if ids.is_empty() {
            return true;
        }
        let reply = self
            .call(
                target,
                Method::POST,
                "/v3/sources/delete",
                Some(&json!({ "ids": ids })),
                &[],
            )
            .await;
        self.ledger
            .lock()
            .unwrap()
            .source_deletes
            .push((ids, reply.outcome()));
        reply.status.is_some()
    }

    async fn create_service(&self, target: &Target, rng: &mut impl Rng) -> bool {
        let n = self.next();
        let body = json!({"service": {"appId": "load", "serviceName": format!("svc-{n}"),
                                      "version": "1.0.0"},
                          "tags": {"team": format!("t{}", n % 7)}});
        let reply = self
            .call(
                target,
                Method::POST,
                &format!("{REGISTRY}/microservices"),
                Some(&body),
                &[],
            )
            .await;
        let Some(id) = reply.json["serviceId"].as_str().filter(|_| reply.ok()) else {
            return reply.status.is_some();
        };
        let id = id.to_owned();
        self.ledger
            .lock()
            .unwrap()
            .services
            .push((id.clone(), format!("svc-{n}")));
        if rng.gen_bool(0.5) {
            let body = json!({"schemas": [{"schemaId": "s1", "schema": "openapi: 3.0.0",
                                           "summary": format!("v{n}")}]});
            let reply = self
                .call(
                    target,
                    Method::POST,
                    &format!("{REGISTRY}/microservices/{id}/schemas"),
                    Some(&body),
                    &[],
                )
                .await;
            return reply.status.is_some();
        }
        true
    }

    async fn register_instance(&self, target: &Target, rng: &mut impl Rng) -> bool {
        let Some((service, _)) = self.recent_services(rng, 1).pop() else {
            return true;
        };
        let n = self.next();
        let body = json!({"instance": {
            "hostName": format!("host-{n}"),
            "endpoints": [format!("rest://127.0.0.1:{}", 10000 + n % 50000)],
            "status": "UP",
            "healthCheck": {"mode": "push", "interval": 30, "times": 3}
        }});
        let reply = self
            .call(
                target,
                Method::POST,
                &format!("{REGISTRY}/microservices/{service}/instances"),
                Some(&body),
                &[],
            )
            .await;
        if let Some(id) = reply.json["instanceId"].as_str().filter(|_| reply.ok()) {
            self.ledger
                .lock()
                .unwrap()
                .instances
                .push((service, id.to_owned()));
        }
        reply.status.is_some()
    }

    async fn heartbeat(&self, target: &Target, rng: &mut impl Rng) -> bool {
        let k = rng.gen_range(1..=3);
        let picked = self.recent_instances(rng, k);
        let reply = if picked.len() == 1 || rng.gen_bool(0.5) {
            let Some((service, instance)) = picked.first() else {
                return true;
            };
            self.call(
                target,
                Method::PUT,
                &format!("{REGISTRY}/microservices/{service}/instances/{instance}/heartbeat"),
                None,
                &[],
            )
            .await
        } else {
            let items: Vec<Value> = picked
                .iter()
                .map(|(s, i)| json!({"serviceId": s, "instanceId": i}))
                .collect();
            self.call(
                target,
                Method::PUT,
                &format!("{REGISTRY}/heartbeats"),
                Some(&json!({ "instances": items })),
                &[],
            )
            .await
        };
        reply.status.is_some()
    }

    async fn discover(&self, target: &Target, rng: &mut impl Rng) -> bool {
        // A consumer looks its provider up by name, which records the dependency.
        let picked = self.recent_services(rng, 2);
        let (Some((consumer, _)), Some((_, provider))) = (picked.first(), picked.last()) else {
            return true;
        };
        let reply = self
            .call(
                target,
                Method::GET,
                &format!("{REGISTRY}/instances?appId=load&serviceName={provider}"),
                None,
                &[("X-ConsumerId", consumer)],
            )
            .await;
        reply.status.is_some()
    }

    async fn force_delete(&self, target: &Target, rng: &mut impl Rng) -> bool {
        let k = rng.gen_range(1..=4);
        let ids: Vec<String> = self
            .recent_services(rng, k)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        if ids.is_empty() {
            return true;
        }
        let reply = self
            .call(
                target,
                Method::DELETE,
                &format!("{REGISTRY}/microservices"),
                Some(&json!({"serviceIds": ids, "force": true})),
                &[],
            )
            .await;
        let mut ledger = self.ledger.lock().unwrap();
        match reply.outcome() {
            Outcome::Done => {
                let results = reply.json["services"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                for id in &ids {
                    let item = results.iter().find(|r| r["serviceId"] == id.as_str());
                    let outcome = match item {
                        Some(r) if r.get("errMessage").is_none() => Outcome::Done,
                        Some(_) => Outcome::Refused(400),
                        None => {
                            drop(ledger);
                            self.problem(format!("batch delete reply lacks {id}: {}", reply.text));
                            return true;
                        }
                    };
                    ledger.service_deletes.push((id.clone(), outcome));
                }
            }
            other => {
                for id in &ids {
                    ledger.service_deletes.push((id.clone(), other));
                }
            }
        }
        reply.status.is_some()
    }

    async fn read(&self, target: &Target, rng: &mut impl Rng) -> bool {
        let path = if rng.gen_bool(0.5) {
            "/v3/tasks?limit=20".to_owned()
        } else {
            format!("{REGISTRY}/microservices?appId=load")
        };
        let reply = self.call(target, Method::GET, &path, None, &[]).await;
        if reply.status.is_some_and(|s| s != 200) {
            self.problem(format!("GET {path} -> {:?} {}", reply.status, reply.text));
        }
        reply.status.is_some()
    }
}

/// A free loopback port: bind port 0, note the port, let it go.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a free port")
        .port()
}

/// The binary running as a child process.
pub struct Server {
    pub child: Child,
    pub base: String,
}

/// Starts `cloudtwin serve` on the file and waits until `/ready` answers 200.
pub async fn start(db: &Path, client: &reqwest::Client) -> Server {
    start_with(db, client, |_| {}).await
}

/// As [`start`], letting the caller adjust the command first.
pub async fn start_with(
    db: &Path,
    client: &reqwest::Client,
    adjust: impl Fn(&mut Command),
) -> Server {
    for _attempt in 0..5 {
        let addr = format!("127.0.0.1:{}", free_port());
        let mut command = Command::new(env!("CARGO_BIN_EXE_cloudtwin"));
        command
            .arg("serve")
            .arg("--database")
            .arg(db)
            .args(["--listen", &addr])
            .env("CLOUDTWIN_LOG__LEVEL", "error")
            .current_dir(db.parent().expect("database directory"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        adjust(&mut command);
        let mut child = command.spawn().expect("spawn cloudtwin");
        let base = format!("http://{addr}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                // Most likely the port was taken in between: try another one.
                eprintln!("cloudtwin exited at start ({status}), retrying");
                break;
            }
            if let Ok(res) = client.get(format!("{base}/ready")).send().await
                && res.status() == 200
            {
                return Server { child, base };
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("cloudtwin did not become ready");
}

pub async fn demo_token(client: &reqwest::Client, base: &str) -> String {
    let body = serde_json::json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "demo", "password": "demo-password", "domain": {"name": "demo"}}}},
        "scope": {"project": {"name": "cn-north-4"}}}});
    let res = client
        .post(format!("{base}/v3/auth/tokens"))
        .json(&body)
        .send()
        .await
        .expect("token request");
    assert_eq!(res.status(), 201, "demo token issued");
    res.headers()["x-subject-token"]
        .to_str()
        .expect("ascii token")
        .to_owned()
}

fn ip(n: u64) -> String {
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

/// Rows of the given single-column query.
fn strings(conn: &rusqlite::Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).expect("prepare");
    stmt.query_map([], |row| row.get::<_, String>(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// `PRAGMA integrity_check` is ok, `PRAGMA foreign_key_check` is empty and no instance,
/// schema, tag or dependency row names a service that is gone.
pub fn storage_problems(conn: &rusqlite::Connection) -> Vec<String> {
    let mut problems = Vec::new();
    let integrity = strings(conn, "PRAGMA integrity_check");
    if integrity != ["ok"] {
        problems.push(format!("integrity_check: {integrity:?}"));
    }
    let mut stmt = conn.prepare("PRAGMA foreign_key_check").expect("prepare");
    let fk: Vec<String> = stmt
        .query_map([], |row| {
            Ok(format!(
                "{} rowid {:?} -> {}",
                row.get::<_, String>(0)?,
                row.get::<_, Option<i64>>(1)?,
                row.get::<_, String>(2)?
            ))
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    if !fk.is_empty() {
        problems.push(format!("foreign_key_check: {fk:?}"));
    }
    for (table, column) in [
        ("instances", "service_id"),
        ("service_schemas", "service_id"),
        ("service_tags", "service_id"),
        ("dependencies", "consumer_id"),
    ] {
        let orphans = strings(
            conn,
            &format!(
                "SELECT {column} FROM {table} WHERE {column} NOT IN (SELECT service_id FROM microservices)"
            ),
        );
        if !orphans.is_empty() {
            problems.push(format!("{table} rows of deleted services: {orphans:?}"));
        }
    }
    problems
}

/// Compares the database with what the clients were told: every 2xx create is there
/// unless a 2xx (or unanswered) delete covered it, every 2xx delete is gone, a refused
/// batch removed nothing, nothing was deleted twice, and the blocked tasks all survive.
pub fn ledger_problems(conn: &rusqlite::Connection, ledger: &Ledger) -> Vec<String> {
    let mut problems = Vec::new();
    let tasks: HashSet<String> = strings(conn, "SELECT id FROM tasks").into_iter().collect();
    let sources: HashSet<String> = strings(conn, "SELECT id FROM source_servers")
        .into_iter()
        .collect();
    let services: HashSet<String> = strings(conn, "SELECT service_id FROM microservices")
        .into_iter()
        .collect();
    let instances: HashSet<String> = strings(
        conn,
        "SELECT service_id || '/' || instance_id FROM instances",
    )
    .into_iter()
    .collect();

    // How often each id was named by a delete, by outcome.
    let tally = |deletes: &[(Vec<String>, Outcome)]| {
        let mut done: HashMap<String, usize> = HashMap::new();
        let mut unknown: HashSet<String> = HashSet::new();
        for (ids, outcome) in deletes {
            for id in ids {
                match outcome {
                    Outcome::Done => *done.entry(id.clone()).or_default() += 1,
                    Outcome::Unknown => {
                        unknown.insert(id.clone());
                    }
                    Outcome::Refused(_) => {}
                }
            }
        }
        (done, unknown)
    };
    let (task_done, task_unknown) = tally(&ledger.task_deletes);
    let (source_done, source_unknown) = tally(&ledger.source_deletes);

    for (id, n) in task_done.iter().chain(source_done.iter()) {
        if *n > 1 {
            problems.push(format!("{id} was deleted by {n} successful batch deletes"));
        }
    }
    for (ids, outcome) in ledger.task_deletes.iter().chain(&ledger.source_deletes) {
        if *outcome == Outcome::Done {
            for id in ids {
                if tasks.contains(id) || sources.contains(id) {
                    problems.push(format!("{id} is still there after a 2xx delete of {ids:?}"));
                }
            }
        }
    }
    for source in &ledger.sources {
        let deleted = source_done.contains_key(source) || source_unknown.contains(source);
        if !sources.contains(source) && !deleted {
            problems.push(format!(
                "source {source} was registered (2xx) but is gone with no delete that succeeded"
            ));
        }
    }
    for (task, source) in &ledger.tasks {
        let deleted = task_done.contains_key(task)
            || task_unknown.contains(task)
            || source_done.contains_key(source)
            || source_unknown.contains(source);
        if !tasks.contains(task) && !deleted {
            problems.push(format!(
                "task {task} was created (2xx) but is gone with no delete that succeeded"
            ));
        }
    }
    for (source, task) in &ledger.blocked {
        if !tasks.contains(task) {
            problems.push(format!("task {task} of a replicating source was deleted"));
        }
        if !sources.contains(source) {
            problems.push(format!("replicating source {source} was deleted"));
        }
    }
    let blocked_state = strings(
        conn,
        "SELECT id || ':' || state || ':' || connected FROM source_servers",
    );
    for (source, _) in &ledger.blocked {
        let want = format!("{source}:replicate:1");
        if !blocked_state.contains(&want) {
            problems.push(format!("{source} is no longer connected and replicating"));
        }
    }
    for (ids, outcome) in &ledger.task_deletes {
        let names_blocked = ids
            .iter()
            .any(|id| ledger.blocked.iter().any(|(_, t)| t == id));
        if names_blocked && *outcome == Outcome::Done {
            problems.push(format!(
                "a batch naming a replicating source's task succeeded: {ids:?}"
            ));
        }
    }

    let mut service_done: HashMap<&str, usize> = HashMap::new();
    let mut service_unknown: HashSet<&str> = HashSet::new();
    for (id, outcome) in &ledger.service_deletes {
        match outcome {
            Outcome::Done => *service_done.entry(id).or_default() += 1,
            Outcome::Unknown => {
                service_unknown.insert(id);
            }
            Outcome::Refused(_) => {}
        }
    }
    for (id, n) in &service_done {
        if *n > 1 {
            problems.push(format!("service {id} was reported deleted {n} times"));
        }
        if services.contains(*id) {
            problems.push(format!(
                "service {id} is still there after a reported delete"
            ));
        }
    }
    for (id, _) in &ledger.services {
        let deleted =
            service_done.contains_key(id.as_str()) || service_unknown.contains(id.as_str());
        if !services.contains(id) && !deleted {
            problems.push(format!(
                "service {id} was created (2xx) but is gone with no delete that succeeded"
            ));
        }
    }
    for (service, instance) in &ledger.instances {
        let there = instances.contains(&format!("{service}/{instance}"));
        if services.contains(service) && !there {
            problems.push(format!(
                "instance {instance} was registered (2xx) and its service is there, but it is gone"
            ));
        }
    }
    problems
}
