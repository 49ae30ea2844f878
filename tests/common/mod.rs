//! Starts the real server in-process on 127.0.0.1:0 with a fresh database file.
#![allow(dead_code)] // each test binary uses a different part of this helper

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use cloudtwin::config::{Overrides, Settings};
use cloudtwin::db::Db;
use cloudtwin::startup::{self, AppState};

pub struct TestServer {
    pub addr: SocketAddr,
    pub base: String,
    pub client: reqwest::Client,
    pub settings: Settings,
    pub db: Db,
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
    let db = Db::open(&settings).await.expect("database opens");
    let running = startup::bind(AppState {
        db: db.clone(),
        settings: settings.clone(),
    })
    .expect("server binds");
    let handle = running.server.handle();
    tokio::spawn(running.server);
    TestServer {
        addr: running.addr,
        base: format!("http://{}", running.addr),
        client: reqwest::Client::new(),
        settings,
        db,
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
