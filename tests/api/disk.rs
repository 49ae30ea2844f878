//! Disk trouble: while the database cannot be written, writes answer 503 in the
//! area's JSON error format and change nothing, reads keep working, and once the file
//! is writable again writes succeed without a restart.
//!
//! Tests run as root, so file permissions cannot make the file read-only. Two ways
//! that work as root in a plain container instead:
//! - another process holds SQLite's write lock longer than `pool.busy_timeout_ms`;
//! - the server process's file size limit (`RLIMIT_FSIZE`) drops to 0, so every write
//!   to the database or its WAL fails as on a full disk, until the limit is raised.
//!
//! Every test shares this process, so the file size limit and the ignored `SIGXFSZ`
//! only ever apply to the child server (`prlimit` on its pid, `pre_exec` in the forked
//! child), never to the test process.

use std::os::unix::process::CommandExt;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::load::storage_problems;
use crate::common::{self, Client, Iam, RegistryClient, SmsClient, cli, http_client};

/// The SMS and registry APIs and IAM of one server, as the demo user.
struct Api {
    sms: SmsClient,
    registry: RegistryClient,
    iam: Iam,
    /// No credentials: the probes.
    plain: Client,
}

impl Api {
    fn new(http: reqwest::Client, base: &str, token: &str) -> Self {
        let api = Client::new(http, base);
        Self {
            sms: SmsClient::new(api.with_token(token)),
            registry: RegistryClient::new(api.with_token(token), "default"),
            iam: Iam::new(api.clone()),
            plain: api,
        }
    }

    async fn register_source(&self, name: &str) -> (u16, Value) {
        self.sms
            .call(
                Method::POST,
                "/v3/sources",
                Some(json!({"name": name, "ip": "10.9.9.9", "os_type": "LINUX"})),
            )
            .await
    }

    async fn create_service(&self, name: &str) -> (u16, Value) {
        self.registry
            .post(
                "/microservices",
                json!({"service": {"appId": "disk", "serviceName": name, "version": "1.0.0"}}),
            )
            .await
            .parts()
    }

    /// An instance of the service named "before" (registrations commit in groups).
    async fn register_instance(&self, host: &str) -> (u16, Value) {
        let (status, body) = self.registry.get("/microservices").await.parts();
        assert_eq!(status, 200, "{body}");
        let service = body["services"]
            .as_array()
            .and_then(|list| list.iter().find(|s| s["serviceName"] == "before"))
            .and_then(|s| s["serviceId"].as_str())
            .expect("the service written before")
            .to_owned();
        self.registry
            .post(
                &format!("/microservices/{service}/instances"),
                json!({"instance": {"hostName": host, "endpoints": ["rest://10.0.0.1:80"]}}),
            )
            .await
            .parts()
    }

    async fn instance_hosts(&self) -> Vec<String> {
        let (status, body) = self
            .registry
            .get("/instances?appId=disk&serviceName=before&version=latest")
            .await
            .parts();
        assert_eq!(status, 200, "instances can be found: {body}");
        let mut hosts: Vec<String> = body["instances"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|i| i["hostName"].as_str().expect("host").to_owned())
                    .collect()
            })
            .unwrap_or_default();
        hosts.sort();
        hosts
    }

    async fn token(&self) -> (u16, Value) {
        self.iam
            .issue("demo", "demo", "demo-password")
            .await
            .parts()
    }

    async fn source_names(&self) -> Vec<String> {
        let (status, body) = self.sms.call(Method::GET, "/v3/sources", None).await;
        assert_eq!(status, 200, "sources can be listed: {body}");
        body["source_servers"]
            .as_array()
            .expect("source_servers")
            .iter()
            .map(|s| s["name"].as_str().expect("name").to_owned())
            .collect()
    }

    async fn service_names(&self) -> Vec<String> {
        let (status, body) = self.registry.get("/microservices").await.parts();
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
        let (status, body) = self.register_instance("before").await;
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

        let (status, body) = self.register_instance("during").await;
        assert_eq!(
            status, 503,
            "instance registration while unwritable: {body}"
        );
        assert_eq!(body["errorCode"], "503011", "{body}");

        let (status, body) = self.token().await;
        assert_eq!(status, 503, "token issue while unwritable: {body}");
        assert_eq!(body["error"]["code"], 503, "{body}");
        assert!(body["error"]["message"].is_string(), "{body}");

        // Reads (and token checks) do not need to write.
        assert_eq!(self.source_names().await, ["before"]);
        assert_eq!(self.service_names().await, ["before"]);
        assert_eq!(self.instance_hosts().await, ["before"]);
        let reply = self.plain.send(Method::GET, "/ready", &[], None).await;
        assert_eq!(reply.status, 200, "still ready: reads work");
    }

    /// Once writable again, without a restart: writes work and the refused ones left
    /// nothing behind.
    async fn writes_work_again(&self) {
        let (status, body) = self.register_source("after").await;
        assert_eq!(status, 200, "SMS write after recovery: {body}");
        let (status, body) = self.create_service("after").await;
        assert_eq!(status, 200, "registry write after recovery: {body}");
        let (status, body) = self.register_instance("after").await;
        assert_eq!(status, 200, "instance registration after recovery: {body}");
        assert_eq!(self.instance_hosts().await, ["after", "before"]);
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
    let api = Api::new(srv.client.clone(), &srv.base, &srv.demo_token().await);
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
    assert!(storage_problems(&conn).is_empty());
}

/// Only ever the child server's limit: `prlimit` on its pid, never this process's.
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
    let http = http_client();
    let mut server = cli::start_with(&db, &http, |cmd| {
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
    let token = Iam::new(Client::new(http.clone(), server.base.clone()))
        .demo_token()
        .await;
    let api = Api::new(http, &server.base, &token);
    api.write_before().await;

    set_file_size_limit(server.child.id(), 0);
    api.writes_are_refused().await;
    set_file_size_limit(server.child.id(), libc::RLIM_INFINITY);

    api.writes_work_again().await;
    server.child.kill().expect("stop the server");
    server.child.wait().expect("reap the server");
    let conn = rusqlite::Connection::open(&db).expect("open");
    assert!(storage_problems(&conn).is_empty());
}
