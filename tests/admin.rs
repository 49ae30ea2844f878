//! `/_cloudtwin/*`: snapshots while serving, reset to a fixture, and the admin token.

mod common;

use std::path::Path;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo.yaml");

async fn admin(
    srv: &common::TestServer,
    method: Method,
    path: &str,
    token: Option<&str>,
) -> (u16, Value) {
    let mut req = srv.client.request(method, srv.url(path));
    if let Some(token) = token {
        req = req.header("X-Admin-Token", token);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON body, got {text:?}"));
    (status, body)
}

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
    cloudtwin::seed::load_file(&srv.db, Path::new(DEMO))
        .await
        .unwrap();
    let token = common::token_for(&srv, "demo", "demo", "demo-password").await;

    // Agents keep registering while the snapshots are taken.
    let writer = {
        let client = srv.client.clone();
        let url = srv.url("/v3/sources");
        let token = token.clone();
        tokio::spawn(async move {
            for i in 0..200 {
                let res = client
                    .post(&url)
                    .header("X-Auth-Token", &token)
                    .json(&json!({"name": format!("agent-{i}"), "ip": "10.7.0.1"}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200);
            }
        })
    };
    let (status, body) = admin(
        &srv,
        Method::POST,
        "/_cloudtwin/snapshot?name=during.db",
        None,
    )
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
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cloudtwin"))
        .arg("--database")
        .arg(srv.db_path())
        .arg("snapshot")
        .arg(&out_file)
        .env_remove("CLOUDTWIN_DATABASE")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let (check, sources) = integrity_and_count(&out_file, "source_servers");
    assert_eq!(check, "ok");
    assert!(sources >= 4);
    writer.await.unwrap();

    // The same name twice is refused, a default name is made up, and names stay inside.
    let (status, body) = admin(
        &srv,
        Method::POST,
        "/_cloudtwin/snapshot?name=during.db",
        None,
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = admin(&srv, Method::POST, "/_cloudtwin/snapshot", None).await;
    assert_eq!(status, 201, "{body}");
    assert!(
        body["path"].as_str().unwrap().contains("snapshots"),
        "{body}"
    );
    for bad in ["../escape.db", "..", "a/b.db", ".hidden", "%2Fetc%2Fx.db"] {
        let (status, body) = admin(
            &srv,
            Method::POST,
            &format!("/_cloudtwin/snapshot?name={bad}"),
            None,
        )
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
    cloudtwin::seed::load_file(&srv.db, Path::new(DEMO))
        .await
        .unwrap();
    let token = common::token_for(&srv, "demo", "demo", "demo-password").await;
    let res = srv
        .client
        .post(srv.url("/v3/sources"))
        .header("X-Auth-Token", &token)
        .json(&json!({"name": "extra", "ip": "10.8.0.1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let count = |table: &str| integrity_and_count(&srv.db_path(), table).1;
    assert_eq!(count("source_servers"), 5);

    let (status, body) = admin(&srv, Method::POST, "/_cloudtwin/reset", None).await;
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
    let token = common::token_for(&srv, "demo", "demo", "demo-password").await;

    let (status, body) = admin(&srv, Method::POST, "/_cloudtwin/reset?fixture=demo", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["loaded"]["source_servers"], 4, "{body}");
    assert_eq!(count("source_servers"), 4);
    assert_eq!(count("microservices"), 5);
    let res = srv
        .client
        .get(srv.url("/v3/tasks"))
        .header("X-Auth-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "tokens do not survive a reset");

    for (name, expected) in [("../fixtures/demo", 400), ("nope", 404)] {
        let (status, body) = admin(
            &srv,
            Method::POST,
            &format!("/_cloudtwin/reset?fixture={name}"),
            None,
        )
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
    for token in [None, Some("wrong")] {
        for (method, path) in [
            (Method::POST, "/_cloudtwin/snapshot"),
            (Method::POST, "/_cloudtwin/reset"),
            (Method::PUT, "/_cloudtwin/sms/tasks/x"),
            (Method::GET, "/_cloudtwin/unknown"),
        ] {
            let (status, body) = admin(&srv, method, path, token).await;
            assert_eq!(status, 401, "{path}: {body}");
            assert_eq!(body["error"], "Unauthorized", "{body}");
            assert!(
                body["message"].as_str().unwrap().contains("X-Admin-Token"),
                "{body}"
            );
        }
    }
    let (status, body) = admin(
        &srv,
        Method::POST,
        "/_cloudtwin/snapshot",
        Some("s3cret-admin"),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let res = srv
        .client
        .put(srv.url("/_cloudtwin/sms/tasks/x"))
        .header("X-Admin-Token", "s3cret-admin")
        .json(&json!({"state": "RUNNING"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "the SMS controls live behind the guard");
    srv.stop().await;
}

#[tokio::test]
async fn without_a_token_admin_routes_need_a_loopback_listener() {
    let srv = common::spawn_with(|s| s.listen = "0.0.0.0:0".parse().unwrap()).await;
    let url = format!("http://127.0.0.1:{}/_cloudtwin/snapshot", srv.addr.port());
    let res = srv
        .client
        .post(url)
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
    let res = srv
        .client
        .get(format!("http://127.0.0.1:{}/health", srv.addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    srv.stop().await;
}
