//! The request journal: what each call sent and got, never a secret, bounded in rows,
//! readable over HTTP and from the command line, and a crash loses at most one batch.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{self, Client, Iam, SmsClient, cli, http_client};

async fn entries(admin: &common::AdminClient, query: &str) -> Vec<Value> {
    let (status, body) = admin
        .call(Method::GET, &format!("/_cloudtwin/journal{query}"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["entries"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn the_journal_records_what_each_call_sent_and_no_secret() {
    let srv = common::spawn().await;
    let token = srv.demo_token().await;
    let sms = srv.sms(&token);
    sms.call(
        Method::POST,
        "/v3/sources",
        Some(json!({"name": "j", "ip": "10.4.0.1", "os_type": "LINUX"})),
    )
    .await;
    let (status, _) = sms
        .call(
            Method::POST,
            "/v3/tasks/delete",
            Some(json!({"ids": ["no-such-task"]})),
        )
        .await;
    assert_eq!(status, 404);
    // Refused without a credential, under the client's own request id.
    srv.client
        .get(srv.url("/v3/tasks"))
        .header("X-Request-Id", "unsigned-call-1")
        .send()
        .await
        .expect("answer");

    let admin = srv.admin();
    let all = entries(&admin, "").await;
    let text = serde_json::to_string(&all).expect("json");
    for secret in [
        srv.settings.demo.password.as_str(),
        srv.demo.secret.as_str(),
        token.as_str(),
    ] {
        assert!(!text.contains(secret), "a secret reached the journal");
    }
    let login = entries(&admin, "?path=/v3/auth/tokens").await;
    assert_eq!(login[0]["status"], 201);
    assert!(
        login[0]["body"]
            .as_str()
            .unwrap_or_default()
            .contains("\"password\":\"***\""),
        "{}",
        login[0]
    );

    let delete = &entries(&admin, "?path=/v3/tasks/delete").await[0];
    assert_eq!(delete["method"], "POST");
    assert_eq!(delete["status"], 404);
    assert_eq!(delete["caller"], "demo");
    assert!(
        delete["tenant"]
            .as_str()
            .unwrap_or_default()
            .starts_with("demo/"),
        "{delete}"
    );
    assert_eq!(delete["body"], r#"{"ids":["no-such-task"]}"#);
    assert!(delete["request_id"].as_str().is_some_and(|r| r.len() == 32));

    let created = &entries(&admin, "?method=post&path=/v3/sources").await[0];
    assert!(
        created["body"]
            .as_str()
            .unwrap_or_default()
            .contains("10.4.0.1"),
        "{created}"
    );
    let newest_first: Vec<&str> = all.iter().filter_map(|e| e["path"].as_str()).collect();
    assert_eq!(newest_first.first(), Some(&"/v3/tasks"));
    let by_id = entries(&admin, "?request_id=unsigned-call-1").await;
    assert_eq!(by_id.len(), 1);
    assert_eq!(by_id[0]["status"], 401);

    let (status, cleared) = admin.call(Method::DELETE, "/_cloudtwin/journal").await;
    assert_eq!(status, 200, "{cleared}");
    assert!(entries(&admin, "").await.is_empty());
}

#[tokio::test]
async fn the_journal_keeps_at_most_max_rows_and_marks_faults() {
    let srv = common::spawn_with(|s| s.journal.max_rows = 5).await;
    let token = srv.demo_token().await;
    let admin = srv.admin();
    let reply = admin
        .send(
            Method::POST,
            "/_cloudtwin/faults",
            Some(&json!({"path": "/v3/sources", "status": 503, "times": 1})),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let sms = srv.sms(&token);
    for _ in 0..12 {
        sms.call(Method::GET, "/v3/sources", None).await;
    }
    let kept = entries(&admin, "?limit=1000").await;
    assert!(kept.len() <= 5, "{} rows", kept.len());
    let count: i64 = srv
        .sqlite()
        .query_row("SELECT COUNT(*) FROM journal", [], |r| r.get(0))
        .expect("count");
    assert!(count <= 5, "{count} rows in the table");
    let srv2 = common::spawn().await;
    let token2 = srv2.demo_token().await;
    srv2.admin()
        .send(
            Method::POST,
            "/_cloudtwin/faults",
            Some(&json!({"path": "/v3/sources", "status": 503, "times": 1})),
        )
        .await;
    srv2.sms(&token2)
        .call(Method::GET, "/v3/sources", None)
        .await;
    let faulted = entries(&srv2.admin(), "?status=503").await;
    assert_eq!(faulted.len(), 1);
    assert!(
        faulted[0]["fault_id"]
            .as_str()
            .is_some_and(|f| f.starts_with("fault-"))
    );
}

#[tokio::test]
async fn a_crash_loses_at_most_the_last_batch_and_the_cli_reads_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("cloudtwin.db");
    let http = http_client();
    let mut server = cli::start_with(&db, &http, |c| {
        c.env("CLOUDTWIN_JOURNAL__FLUSH_MS", "100");
    })
    .await;
    let api = Client::new(http.clone(), server.base.clone());
    let token = Iam::new(api.clone()).demo_token().await;
    let sms = SmsClient::new(api.with_token(&token));
    for _ in 0..30 {
        sms.call(Method::GET, "/v3/tasks", None).await;
    }
    // Three batch intervals: every one of those requests is written.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let printed = cli::run(
        dir.path(),
        &[
            "journal",
            "--database",
            db.to_str().expect("utf-8"),
            "--path",
            "/v3/tasks",
            "--limit",
            "100",
        ],
    );
    assert!(
        printed.status.success(),
        "{}",
        String::from_utf8_lossy(&printed.stderr)
    );
    let lines = String::from_utf8_lossy(&printed.stdout).lines().count();
    assert_eq!(lines, 30, "the CLI reads the file while the server runs");
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("reap");
    let conn = rusqlite::Connection::open(&db).expect("open");
    let kept: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM journal WHERE path = '/v3/tasks'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(kept, 30);
}
