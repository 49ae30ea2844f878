//! The only place where the tests reach past cloudtwin's HTTP API and binary into the
//! crate itself: its settings, opening and binding the server in-process, the request
//! signer, and the IAM and fixture functions that set up a database directly. When
//! those move, this file is the one to fix.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Once;

use actix_web::dev::ServerHandle;
use cloudtwin::config::Overrides;
use cloudtwin::startup;

pub use cloudtwin::config::{ClockMode, DeleteRule, Settings, Switch};
pub use cloudtwin::db::Db;
pub use cloudtwin::iam::KeyPair;
pub use cloudtwin::seed::Summary as FixtureSummary;

/// The built-in defaults (and `CLOUDTWIN_*` variables of this process, which no test
/// sets).
pub fn default_settings() -> Settings {
    Settings::load_from(&Overrides::default(), Path::new("config")).expect("default settings load")
}

/// The schema version the migrations lead to.
pub fn expected_schema_version() -> i64 {
    cloudtwin::db::expected_schema_version()
}

/// A server started in this process.
pub struct Started {
    pub addr: SocketAddr,
    pub db: Db,
    pub demo: KeyPair,
    pub handle: ServerHandle,
}

/// Opens (and migrates) the database, binds `settings.listen` and runs the server on
/// the current runtime.
pub async fn start(settings: Settings) -> Started {
    init_logging();
    let (state, demo) = startup::open(settings).await.expect("database opens");
    let demo = demo.expect("the tests' settings keep the demo account");
    let db = state.db.clone();
    let registry = cloudtwin::registry::Model::open(
        &state.db,
        state.clock.now_ms(),
        cloudtwin::registry::instance_json,
    )
    .await
    .expect("the registry's read model loads");
    let running = startup::bind(state, registry).expect("server binds");
    let handle = running.server.handle();
    tokio::spawn(running.server);
    Started {
        addr: running.addr,
        db,
        demo,
        handle,
    }
}

/// The tracing subscriber is global to the process, and every test shares this one:
/// it is installed once, at `warn`, whatever a test's own settings say (a server's
/// `log.level` only ever took effect for the first server of a process anyway).
fn init_logging() {
    static LOGGING: Once = Once::new();
    LOGGING.call_once(|| {
        let mut log = default_settings().log;
        log.level = "warn".into();
        cloudtwin::telemetry::init(&log);
    });
}

/// Closes the server's database pools (after the server stopped).
pub async fn close(db: &Db) {
    db.close().await;
}

/// The hex SDK-HMAC-SHA256 signature of a request, by cloudtwin's own signer.
pub fn sign(
    secret: &str,
    method: &str,
    path_and_query: &str,
    signed_headers: Vec<(&str, Option<String>)>,
    sdk_date: &str,
    body: &[u8],
) -> String {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let request = cloudtwin::iam::domain::SignedRequest {
        method,
        path,
        query,
        headers: signed_headers,
        sdk_date,
        body,
    };
    hex::encode(request.sign(secret).expect("sign"))
}

/// A user holding no actions (its domain and project made if missing).
pub async fn create_user(db: &Db, domain: &str, user: &str, password: &str, project: &str) {
    cloudtwin::iam::create_user(db, domain, user, password, project)
        .await
        .expect("create user");
}

pub async fn grant(db: &Db, domain: &str, user: &str, action: &str) {
    cloudtwin::iam::grant(db, domain, user, action)
        .await
        .expect("grant");
}

/// A new AK/SK pair for the user.
pub async fn create_key(db: &Db, domain: &str, user: &str) -> KeyPair {
    cloudtwin::iam::create_key(db, domain, user)
        .await
        .expect("create key")
}

/// Loads a fixture file into the database (all or nothing).
pub async fn load_fixture(db: &Db, path: &Path) -> FixtureSummary {
    cloudtwin::seed::load_file(db, path)
        .await
        .expect("fixture loads")
}

/// What `serve --fixture` does: loads only into a database without fixture data.
pub async fn load_fixture_at_start(
    db: &Db,
    path: &Path,
    demo_domain: &str,
) -> Option<FixtureSummary> {
    cloudtwin::seed::load_at_start(db, path, demo_domain)
        .await
        .expect("fixture loads at start")
}
