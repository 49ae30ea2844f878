//! Disk trouble: while the database cannot be written, writes answer 503 in the
//! area's JSON error format and change nothing, reads keep working, and once the file
//! is writable again writes succeed without a restart.
//!
//! Tests run as root, so file permissions cannot make the file read-only. Two ways
//! that work as root in a plain container instead:
//! - another process holds SQLite's write lock longer than `pool.busy_timeout_ms`;
//! - the server process's file size limit (`RLIMIT_FSIZE`) drops to 0, so every write
//!   to the database or its WAL fails as on a full disk, until the limit is raised.

mod common;
mod fault;

use std::os::unix::process::CommandExt;

use reqwest::Method;
use serde_json::{Value, json};

const REGISTRY: &str = "/v4/default/registry";

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("X-Auth-Token", &self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("the server answers");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{path}: JSON body expected, got {status} {text:?}"));
        (status, json)
    }

    async fn register_source(&self, name: &str) -> (u16, Value) {
        self.call(
            Method::POST,
            "/v3/sources",
            Some(json!({"name": name, "ip": "10.9.9.9", "os_type": "LINUX"})),
        )
        .await
    }

    async fn create_service(&self, name: &str) -> (u16, Value) {
        self.call(
            Method::POST,
            &format!("{REGISTRY}/microservices"),
            Some(json!({"service": {"appId": "disk", "serviceName": name, "version": "1.0.0"}})),
        )
        .await
    }

    async fn token(&self) -> (u16, Value) {
        let res = self
            .http
            .post(format!("{}/v3/auth/tokens", self.base))
            .json(&common::password_body("demo", "demo", "demo-password"))
            .send()
            .await
            .expect("token request");
        let status = res.status().as_u16();
        (status, res.json().await.expect("JSON body"))
    }

    async fn source_names(&self) -> Vec<String> {
        let (status, body) = self.call(Method::GET, "/v3/sources", None).await;
        assert_eq!(status, 200, "sources can be listed: {body}");
        body["source_servers"]
            .as_array()
            .expect("source_servers")
            .iter()
            .map(|s| s["name"].as_str().expect("name").to_owned())
            .collect()
    }

    async fn service_names(&self) -> Vec<String> {
        let (status, body) = self
            .call(Method::GET, &format!("{REGISTRY}/microservices"), None)
            .await;
        assert_eq!(status, 200, "services can be listed: {body}");
        body["services"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|s| s["serviceName"].as_str().expect("name").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Data written before the trouble.
    async fn write_before(&self) {
        let (status, body) = self.register_source("before").await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = self.create_service("before").await;
        assert_eq!(status, 200, "{body}");
    }

    /// While the file cannot be written: 503s in each area's format, reads still work.
    async fn writes_are_refused(&self) {
        let (status, body) = self.register_source("during").await;
        assert_eq!(status, 503, "SMS write while unwritable: {body}");
        assert_eq!(body["error_code"], "SMS.6301", "{body}");
        assert!(body["error_msg"].is_string(), "{body}");

        let (status, body) = self.create_service("during").await;
        assert_eq!(status, 503, "registry write while unwritable: {body}");
        assert_eq!(body["errorCode"], "503011", "{body}");
        assert!(body["errorMessage"].is_string(), "{body}");

        let (status, body) = self.token().await;
        assert_eq!(status, 503, "token issue while unwritable: {body}");
        assert_eq!(body["error"]["code"], 503, "{body}");
        assert!(body["error"]["message"].is_string(), "{body}");

        // Reads (and token checks) do not need to write.
        assert_eq!(self.source_names().await, ["before"]);
        assert_eq!(self.service_names().await, ["before"]);
        let res = self
            .http
            .get(format!("{}/ready", self.base))
            .send()
            .await
            .expect("ready");
        assert_eq!(res.status(), 200, "still ready: reads work");
    }

    /// Once writable again, without a restart: writes work and the refused ones left
    /// nothing behind.
    async fn writes_work_again(&self) {
        let (status, body) = self.register_source("after").await;
        assert_eq!(status, 200, "SMS write after recovery: {body}");
        let (status, body) = self.create_service("after").await;
        assert_eq!(status, 200, "registry write after recovery: {body}");
        let (status, body) = self.token().await;
        assert_eq!(status, 201, "token issue after recovery: {body}");
        let mut sources = self.source_names().await;
        sources.sort();
        assert_eq!(
            sources,
            ["after", "before"],
            "the refused write left nothing"
        );
        let mut services = self.service_names().await;
        services.sort();
        assert_eq!(
            services,
            ["after", "before"],
            "the refused write left nothing"
        );
    }
}

#[tokio::test]
async fn a_write_lock_held_elsewhere_gives_503_then_recovers() {
    let srv = common::spawn_with(|s| s.pool.busy_timeout_ms = 200).await;
    let api = Api {
        http: srv.client.clone(),
        base: srv.base.clone(),
        token: common::token_for(&srv, "demo", "demo", "demo-password").await,
    };
    api.write_before().await;

    // Another process (here: another connection) takes the write lock and keeps it.
    let locker = srv.sqlite();
    locker
        .execute_batch("BEGIN EXCLUSIVE")
        .expect("take the write lock");
    api.writes_are_refused().await;
    locker.execute_batch("ROLLBACK").expect("release the lock");
    drop(locker);

    api.writes_work_again().await;
    let conn = srv.sqlite();
    assert!(fault::storage_problems(&conn).is_empty());
}

fn set_file_size_limit(pid: u32, limit: libc::rlim_t) {
    let lim = libc::rlimit {
        rlim_cur: limit,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: prlimit only reads `lim`; a null old-limit pointer is allowed.
    let rc = unsafe {
        libc::prlimit(
            pid as libc::pid_t,
            libc::RLIMIT_FSIZE,
            &lim,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(rc, 0, "prlimit: {}", std::io::Error::last_os_error());
}

#[tokio::test]
async fn a_full_disk_gives_503_then_recovers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("cloudtwin.db");
    let http = fault::client();
    let mut server = fault::start_with(&db, &http, |cmd| {
        // Past the size limit a write fails with EFBIG and, unless ignored, SIGXFSZ
        // kills the process; an ignored signal stays ignored across exec.
        // SAFETY: only an async-signal-safe call between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                Ok(())
            });
        }
    })
    .await;
    let api = Api {
        token: fault::demo_token(&http, &server.base).await,
        http,
        base: server.base.clone(),
    };
    api.write_before().await;

    set_file_size_limit(server.child.id(), 0);
    api.writes_are_refused().await;
    set_file_size_limit(server.child.id(), libc::RLIM_INFINITY);

    api.writes_work_again().await;
    server.child.kill().expect("stop the server");
    server.child.wait().expect("reap the server");
    let conn = rusqlite::Connection::open(&db).expect("open");
    assert!(fault::storage_problems(&conn).is_empty());
}
