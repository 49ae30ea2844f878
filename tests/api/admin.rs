//! `/_cloudtwin/*`: snapshots while serving, reset to a fixture, and the admin token.

use std::path::Path;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{self, DEMO, cli};

fn integrity_and_count(file: &Path, table: &str) -> (String, i64) {
    let conn =
        rusqlite::Connection::open_with_flags(file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    let n: i64 = conn
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap();
    (check, n)
}

#[tokio::test]
async fn snapshots_are_consistent_while_writes_go_on() {
    let srv = common::spawn().await;
    srv.load_fixture(Path::new(DEMO)).await;
    let token = srv.demo_token().await;

    // Agents keep registering while the snapshots are taken.
    let writer = {
        let sms = srv.sms(&token);
        tokio::spawn(async move {
            for i in 0..200 {
                let (status, _) = sms
                    .call(
                        Method::POST,
                        "/v3/sources",
                        Some(json!({"name": format!("agent-{i}"), "ip": "10.7.0.1"})),
                    )
                    .await;
                assert_eq!(status, 200);
            }
        })
    };
    let admin = srv.admin();
    let (status, body) = admin
        .call(Method::POST, "/_cloudtwin/snapshot?name=during.db")
        .await;
    assert_eq!(status, 201, "{body}");
    let path = body["path"].as_str().unwrap().to_owned();
    assert_eq!(
        Path::new(&path),
        srv.dir.path().join("snapshots").join("during.db")
    );
    assert_eq!(
        body["size"].as_u64(),
        Some(std::fs::metadata(&path).unwrap().len())
    );
    let (check, sources) = integrity_and_count(Path::new(&path), "source_servers");
    assert_eq!(check, "ok");
    assert!(sources >= 4, "{sources}");
    assert_eq!(integrity_and_count(Path::new(&path), "microservices").1, 5);

    // The command line takes one from outside the serving process too.
    let out_file = srv.dir.path().join("cli.db");
    let db = srv.db_path();
    let db = db.to_str().unwrap();
    let out = cli::run(
        srv.dir.path(),
        &["--database", db, "snapshot", out_file.to_str().unwrap()],
    );
    assert!(out.status.success(), "{out:?}");
    let (check, sources) = integrity_and_count(&out_file, "source_servers");
    assert_eq!(check, "ok");
    assert!(sources >= 4);
    writer.await.unwrap();

    // The same name twice is refused, a default name is made up, and names stay inside.
    let (status, body) = admin
        .call(Method::POST, "/_cloudtwin/snapshot?name=during.db")
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = admin.call(Method::POST, "/_cloudtwin/snapshot").await;
    assert_eq!(status, 201, "{body}");
    assert!(
        body["path"].as_str().unwrap().contains("snapshots"),
        "{body}"
    );
    for bad in ["../escape.db", "..", "a/b.db", ".hidden", "%2Fetc%2Fx.db"] {
        let (status, body) = admin
            .call(Method::POST, &format!("/_cloudtwin/snapshot?name={bad}"))
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"], "Bad Request", "{body}");
    }
    assert!(!srv.dir.path().join("escape.db").exists());
    srv.stop().await;
}

#[tokio::test]
async fn reset_empties_everything_and_reloads_a_fixture() {
    let srv = common::spawn_with(|s| {
        s.admin.fixtures_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    })
    .await;
    srv.load_fixture(Path::new(DEMO)).await;
    let token = srv.demo_token().await;
    let admin = srv.admin();
    let (status, _) = srv
        .sms(&token)
        .call(
            Method::POST,
            "/v3/sources",
            Some(json!({"name": "extra", "ip": "10.8.0.1"})),
        )
        .await;
    assert_eq!(status, 200);
    let count = |table: &str| integrity_and_count(&srv.db_path(), table).1;
    assert_eq!(count("source_servers"), 5);

    let (status, body) = admin.call(Method::POST, "/_cloudtwin/reset").await;
    assert_eq!(status, 200, "{body}");
    for table in [
        "source_servers",
        "tasks",
        "microservices",
        "instances",
        "tokens",
    ] {
        assert_eq!(count(table), 0, "{table}");
    }
    // Only the demo account is left, and it works (its old tokens are gone).
    assert_eq!(count("users"), 1);
    let token = srv.demo_token().await;

    let (status, body) = admin
        .call(Method::POST, "/_cloudtwin/reset?fixture=demo")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["loaded"]["source_servers"], 4, "{body}");
    assert_eq!(count("source_servers"), 4);
    assert_eq!(count("microservices"), 5);
    let (status, _) = srv.sms(&token).call(Method::GET, "/v3/tasks", None).await;
    assert_eq!(status, 401, "tokens do not survive a reset");

    for (name, expected) in [("../fixtures/demo", 400), ("nope", 404)] {
        let (status, body) = admin
            .call(Method::POST, &format!("/_cloudtwin/reset?fixture={name}"))
            .await;
        assert_eq!(status, expected, "{name}: {body}");
    }
    // A refused reset changed nothing.
    assert_eq!(count("source_servers"), 4);
    srv.stop().await;
}

#[tokio::test]
async fn a_configured_token_guards_every_admin_route() {
    let srv = common::spawn_with(|s| s.admin.token = "s3cret-admin".into()).await;
    let admin = srv.admin();
    for token in [None, Some("wrong")] {
        for (method, path) in [
            (Method::POST, "/_cloudtwin/snapshot"),
            (Method::POST, "/_cloudtwin/reset"),
            (Method::PUT, "/_cloudtwin/sms/tasks/x"),
            (Method::GET, "/_cloudtwin/unknown"),
        ] {
            let (status, body) = admin.with_token(token).call(method, path).await;
            assert_eq!(status, 401, "{path}: {body}");
            assert_eq!(body["error"], "Unauthorized", "{body}");
            assert!(
                body["message"].as_str().unwrap().contains("X-Admin-Token"),
                "{body}"
            );
        }
    }
    let (status, body) = admin
        .with_token(Some("s3cret-admin"))
        .call(Method::POST, "/_cloudtwin/snapshot")
        .await;
    assert_eq!(status, 201, "{body}");
    let reply = admin
        .with_token(Some("s3cret-admin"))
        .send(
            Method::PUT,
            "/_cloudtwin/sms/tasks/x",
            Some(&json!({"state": "RUNNING"})),
        )
        .await;
    assert_eq!(reply.status, 404, "the SMS controls live behind the guard");
    srv.stop().await;
}

#[tokio::test]
async fn without_a_token_admin_routes_need_a_loopback_listener() {
    let srv = common::spawn_with(|s| s.listen = "0.0.0.0:0".parse().unwrap()).await;
    // Through the loopback address, though the server listens on every address.
    let api = common::Client::new(
        srv.client.clone(),
        format!("http://127.0.0.1:{}", srv.addr.port()),
    );
    let res = common::AdminClient::new(api.clone())
        .request(Method::POST, "/_cloudtwin/snapshot", None)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("admin.token"),
        "{body}"
    );
    // The emulated APIs are unaffected.
    let reply = api.send(Method::GET, "/health", &[], None).await;
    assert_eq!(reply.status, 200);
    srv.stop().await;
}

/// The explorer's one-click token: a working token of the demo user for its project
/// (none when the demo account is off: security.rs).
#[tokio::test]
async fn the_demo_token_route_issues_a_working_token() {
    let srv = common::spawn().await;
    let reply = srv
        .admin()
        .send(Method::POST, "/_cloudtwin/demo-token", None)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.json["project_id"], srv.demo.project_id.as_str());
    let token = reply.json["token"].as_str().unwrap();
    let (status, body) = srv.sms(token).call(Method::GET, "/v3/tasks", None).await;
    assert_eq!(status, 200, "{body}");
    srv.stop().await;
}
