//! Starts the real server in-process on 127.0.0.1:0 with a fresh database file.
#![allow(dead_code)] // each test binary uses a different part of this helper

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use cloudtwin::config::{Overrides, Settings};
use cloudtwin::db::Db;
use cloudtwin::iam::KeyPair;
use cloudtwin::startup;

pub struct TestServer {
    pub addr: SocketAddr,
    pub base: String,
    pub client: reqwest::Client,
    pub settings: Settings,
    pub db: Db,
    /// The demo user's key pair (the demo user holds every action).
    pub demo: KeyPair,
    handle: actix_web::dev::ServerHandle,
    // Dropped last: the database file lives here.
    pub dir: tempfile::TempDir,
}

pub fn test_settings(dir: &Path) -> Settings {
    let mut settings = Settings::load_from(&Overrides::default(), Path::new("config"))
        .expect("default settings load");
    settings.listen = "127.0.0.1:0".parse().expect("loopback address");
    settings.database = dir.join("cloudtwin.db");
    settings.log.level = "warn".into();
    settings
}

pub async fn spawn() -> TestServer {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> TestServer {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = test_settings(dir.path());
    adjust(&mut settings);
    spawn_on(dir, settings).await
}

/// Starts a server on an existing directory (to restart on the same database file).
pub async fn spawn_on(dir: tempfile::TempDir, settings: Settings) -> TestServer {
    cloudtwin::telemetry::init(&settings.log);
    let (state, demo) = startup::open(settings.clone())
        .await
        .expect("database opens");
    let db = state.db.clone();
    let running = startup::bind(state).expect("server binds");
    let handle = running.server.handle();
    tokio::spawn(running.server);
    TestServer {
        addr: running.addr,
        base: format!("http://{}", running.addr),
        client: reqwest::Client::new(),
        settings,
        db,
        demo,
        handle,
        dir,
    }
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn db_path(&self) -> PathBuf {
        self.settings.database.clone()
    }

    /// Stops the server gracefully and hands back its directory, database included.
    pub async fn stop(self) -> (tempfile::TempDir, Settings) {
        self.handle.stop(true).await;
        self.db.close().await;
        (self.dir, self.settings)
    }

    /// A read-only connection to the database file, to look at what a request left behind.
    pub fn sqlite(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.db_path()).expect("open database file")
    }
}

/// Signs a request the way the Huawei SDK does (SDK-HMAC-SHA256 over content-type,
/// host and x-sdk-date) with the given key pair.
pub fn signed_with(
    srv: &TestServer,
    access: &str,
    secret: &str,
    method: reqwest::Method,
    path_and_query: &str,
    body: &[u8],
) -> reqwest::RequestBuilder {
    use cloudtwin::iam::domain::SignedRequest;
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let date = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .expect("format date");
    let host = srv.addr.to_string();
    let request = SignedRequest {
        method: method.as_str(),
        path,
        query,
        headers: vec![
            ("content-type", Some("application/json".into())),
            ("host", Some(host.clone())),
            ("x-sdk-date", Some(date.clone())),
        ],
        sdk_date: &date,
        body,
    };
    let signature = hex::encode(request.sign(secret).expect("sign"));
    srv.client
        .request(method, srv.url(path_and_query))
        .header("Content-Type", "application/json")
        .header("Host", host)
        .header("X-Sdk-Date", date)
        .header(
            "Authorization",
            format!(
                "SDK-HMAC-SHA256 Access={access}, SignedHeaders=content-type;host;x-sdk-date, Signature={signature}"
            ),
        )
        .body(body.to_vec())
}

/// A request signed with the demo key (which holds every action).
pub fn signed(
    srv: &TestServer,
    method: reqwest::Method,
    path_and_query: &str,
    body: &[u8],
) -> reqwest::RequestBuilder {
    signed_with(
        srv,
        &srv.demo.access.clone(),
        &srv.demo.secret.clone(),
        method,
        path_and_query,
        body,
    )
}

pub fn password_body(domain: &str, user: &str, password: &str) -> serde_json::Value {
    serde_json::json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "password": password, "domain": {"name": domain}}}},
        "scope": {"project": {"name": "cn-north-4"}}}})
}

/// An IAM token for a user, via `POST /v3/auth/tokens`.
pub async fn token_for(srv: &TestServer, domain: &str, user: &str, password: &str) -> String {
    let res = srv
        .client
        .post(srv.url("/v3/auth/tokens"))
        .json(&password_body(domain, user, password))
        .send()
        .await
        .expect("token request");
    assert_eq!(res.status(), 201, "token issued");
    res.headers()["x-subject-token"]
        .to_str()
        .expect("ascii token")
        .to_owned()
}

/// A new user with only the given actions, and a token for it.
pub async fn user_with(srv: &TestServer, domain: &str, user: &str, actions: &[&str]) -> String {
    cloudtwin::iam::create_user(&srv.db, domain, user, "pw-123456", "cn-north-4")
        .await
        .expect("create user");
    for action in actions {
        cloudtwin::iam::grant(&srv.db, domain, user, action)
            .await
            .expect("grant");
    }
    token_for(srv, domain, user, "pw-123456").await
}
