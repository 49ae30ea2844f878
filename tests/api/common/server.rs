//! The real server in-process on 127.0.0.1:0 with a fresh database file.
//!
//! Every test gets its own server, port and temporary directory, so tests on parallel
//! threads of this one process never share a database.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use actix_web::dev::ServerHandle;

use super::iam::Iam;
use super::internals::{self, Db, FixtureSummary, KeyPair, Settings};
use super::{AdminClient, Client, RegistryClient, SmsClient};

pub struct TestServer {
    pub addr: SocketAddr,
    pub base: String,
    pub client: reqwest::Client,
    pub settings: Settings,
    /// Only for [`internals`], through the methods below.
    db: Db,
    /// The demo user's key pair (the demo user holds every action).
    pub demo: KeyPair,
    handle: ServerHandle,
    // Dropped last: the database file lives here.
    pub dir: tempfile::TempDir,
}

pub fn test_settings(dir: &Path) -> Settings {
    let mut settings = internals::default_settings();
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
    let started = internals::start(settings.clone()).await;
    TestServer {
        addr: started.addr,
        base: format!("http://{}", started.addr),
        client: reqwest::Client::new(),
        settings,
        db: started.db,
        demo: started.demo,
        handle: started.handle,
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
        internals::close(&self.db).await;
        (self.dir, self.settings)
    }

    /// A connection to the database file, to look at what a request left behind.
    pub fn sqlite(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.db_path()).expect("open database file")
    }

    /// A client of this server without credentials.
    pub fn api(&self) -> Client {
        Client::new(self.client.clone(), self.base.clone())
    }

    /// A client signing with the demo key pair.
    pub fn demo_key(&self) -> Client {
        self.api().with_key(&self.demo.access, &self.demo.secret)
    }

    pub fn iam(&self) -> Iam {
        Iam::new(self.api())
    }

    /// SMS as the holder of `token`.
    pub fn sms(&self, token: &str) -> SmsClient {
        SmsClient::new(self.api().with_token(token))
    }

    /// The `default` project's registry, without credentials (for auth off).
    pub fn registry(&self) -> RegistryClient {
        RegistryClient::new(self.api(), "default")
    }

    /// The `default` project's registry as the holder of `token`.
    pub fn registry_as(&self, token: &str) -> RegistryClient {
        RegistryClient::new(self.api().with_token(token), "default")
    }

    /// `/_cloudtwin/*` without an admin token.
    pub fn admin(&self) -> AdminClient {
        AdminClient::new(self.api())
    }

    /// A token for the demo user.
    pub async fn demo_token(&self) -> String {
        self.iam().demo_token().await
    }

    /// A token for any user, which must be issued.
    pub async fn token_for(&self, domain: &str, user: &str, password: &str) -> String {
        self.iam().token(domain, user, password).await
    }

    /// A new user with only the given actions, and a token for it.
    pub async fn user_with(&self, domain: &str, user: &str, actions: &[&str]) -> String {
        self.create_user(domain, user, "pw-123456").await;
        for action in actions {
            self.grant(domain, user, action).await;
        }
        self.token_for(domain, user, "pw-123456").await
    }

    /// A user in project cn-north-4 holding no actions.
    pub async fn create_user(&self, domain: &str, user: &str, password: &str) {
        internals::create_user(&self.db, domain, user, password, "cn-north-4").await;
    }

    pub async fn grant(&self, domain: &str, user: &str, action: &str) {
        internals::grant(&self.db, domain, user, action).await;
    }

    pub async fn create_key(&self, domain: &str, user: &str) -> KeyPair {
        internals::create_key(&self.db, domain, user).await
    }

    /// Loads a fixture file straight into the database.
    pub async fn load_fixture(&self, path: &Path) -> FixtureSummary {
        internals::load_fixture(&self.db, path).await
    }

    /// Loads a fixture the way `serve --fixture` does; `None` when it skipped.
    pub async fn load_fixture_at_start(
        &self,
        path: &Path,
        demo_domain: &str,
    ) -> Option<FixtureSummary> {
        internals::load_fixture_at_start(&self.db, path, demo_domain).await
    }
}
