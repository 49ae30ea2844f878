//! The service's own plumbing: probes, request ids, JSON errors, migrations, CLI.

use serde_json::Value;

use crate::common::{self, cli};

#[tokio::test]
async fn health_and_ready_answer_json() {
    let srv = common::spawn().await;
    let res = srv.client.get(srv.url("/health")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "ok");

    let res = srv.client.get(srv.url("/ready")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(
        body["schema_version"].as_i64().unwrap(),
        common::expected_schema_version()
    );
}

#[tokio::test]
async fn request_id_is_generated_or_echoed() {
    let srv = common::spawn().await;
    let res = srv.client.get(srv.url("/health")).send().await.unwrap();
    let generated = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(generated.len(), 32, "a fresh uuid: {generated}");

    let res = srv
        .client
        .get(srv.url("/health"))
        .header("X-Request-Id", "my-trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "my-trace-42");

    // Also on errors, where clients need it most.
    let res = srv
        .client
        .get(srv.url("/v3/no-such-thing"))
        .header("X-Request-Id", "err-trace")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["x-request-id"], "err-trace");
}

#[tokio::test]
async fn unknown_routes_get_the_areas_json_404() {
    let srv = common::spawn().await;
    let res = srv
        .client
        .get(srv.url("/v3/nothing/here"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error_code"], "APIGW.0101");
    assert!(body["error_msg"].is_string());

    let res = srv
        .client
        .get(srv.url("/v4/default/registry/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errorCode"], "404001");
    assert!(body["errorMessage"].is_string());

    let res = srv.client.get(srv.url("/nowhere")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "Not Found");
}

#[tokio::test]
async fn wrong_method_is_a_json_405() {
    let srv = common::spawn().await;
    let res = srv.client.delete(srv.url("/health")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let body: Value = res.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("DELETE"));
}

#[tokio::test]
async fn migrations_are_idempotent_across_restarts() {
    let srv = common::spawn().await;
    let (dir, settings) = srv.stop().await;
    let srv = common::spawn_on(dir, settings).await;
    let res = srv.client.get(srv.url("/ready")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let applied: i64 = srv
        .sqlite()
        .query_row("SELECT COUNT(*) FROM schema_history", [], |r| r.get(0))
        .unwrap();
    let files = std::fs::read_dir("migrations").unwrap().count() as i64;
    assert_eq!(applied, files, "each migration applied exactly once");
}

/// Someone who opens the file after a stop, or the next start, finds everything in the
/// main file: a WAL left full made the next start pay for its checkpoint.
#[tokio::test]
async fn a_graceful_stop_leaves_the_wal_empty() {
    let srv = common::spawn().await;
    for n in 0..20 {
        srv.create_user("acme", &format!("user-{n}"), "pw-123456")
            .await;
    }
    // A read leaves a read-only connection open, which is the last to close.
    let res = srv.client.get(srv.url("/ready")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let wal = srv.db_path().with_extension("db-wal");
    assert!(
        std::fs::metadata(&wal).unwrap().len() > 0,
        "the writes went to the WAL"
    );
    let (dir, settings) = srv.stop().await;
    let left = std::fs::metadata(&wal).map_or(0, |m| m.len());
    assert_eq!(left, 0, "bytes left in {}", wal.display());
    let users: i64 = rusqlite::Connection::open(&settings.database)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert!(users >= 20);
    drop(dir);
}

#[tokio::test]
async fn database_uses_wal_and_foreign_keys() {
    let srv = common::spawn().await;
    let mode: String = srv
        .sqlite()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn cli_migrate_then_check_a_good_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli::run(dir.path(), &["migrate", "--database", "x/t.db"]);
    assert!(out.status.success(), "{out:?}");
    // Global flags work before the subcommand too.
    let out = cli::run(dir.path(), &["--database", "x/t.db", "check"]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("integrity ok"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "schema version {}",
            common::expected_schema_version()
        )),
        "{stdout}"
    );
}

#[test]
fn cli_check_refuses_a_corrupted_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli::run(dir.path(), &["migrate", "--database", "c.db"]);
    assert!(out.status.success(), "{out:?}");
    // Overwrite the middle of the file: the header stays, the pages are garbage.
    let path = dir.path().join("c.db");
    let mut bytes = std::fs::read(&path).unwrap();
    let len = bytes.len();
    for b in &mut bytes[100..len] {
        *b = 0xA5;
    }
    std::fs::write(&path, bytes).unwrap();
    let out = cli::run(dir.path(), &["check", "--database", "c.db"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("c.db"), "names the file: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let out = cli::run(dir.path(), &["check", "--database", "missing.db"]);
    assert!(!out.status.success());
}

#[test]
fn bad_config_value_stops_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli::command(dir.path(), &["check"])
        .env("CLOUDTWIN_POOL__READERS", "many")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("pool.readers"), "names the key: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}
