//! What a web page in a user's browser must not be able to do to a twin on loopback:
//! drive the admin routes cross-site or through DNS rebinding, or write JSON with a
//! content type that skips the browser's preflight.

use reqwest::Method;
use serde_json::json;

use crate::common;

const ADMIN_ROUTES: &[(&str, &str)] = &[
    ("POST", "/_cloudtwin/reset"),
    ("POST", "/_cloudtwin/snapshot"),
    ("PUT", "/_cloudtwin/sms/sources/x"),
    ("PUT", "/_cloudtwin/sms/tasks/x"),
    ("GET", "/_cloudtwin/console/"),
    ("POST", "/_cloudtwin/console/faults/add"),
    ("POST", "/_cloudtwin/console/admin/reset"),
    ("POST", "/_cloudtwin/demo-token"),
];

#[tokio::test]
async fn admin_routes_refuse_cross_site_and_foreign_hosts() {
    let srv = common::spawn().await;
    let http = reqwest::Client::new();
    let port = srv.addr.port();
    for (method, path) in ADMIN_ROUTES {
        let method: Method = method.parse().unwrap();
        for (header, value) in [
            ("Sec-Fetch-Site", "cross-site".to_owned()),
            ("Sec-Fetch-Site", "same-site".to_owned()),
            ("Origin", "https://evil.example".to_owned()),
            ("Origin", "null".to_owned()),
            ("Host", "evil.example".to_owned()),
            ("Host", format!("rebound.example:{port}")),
        ] {
            let res = http
                .request(method.clone(), srv.url(path))
                .header(header, &value)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 403, "{method} {path} with {header}: {value}");
            let body: serde_json::Value = res.json().await.unwrap();
            assert_eq!(body["error"], "Forbidden", "{body}");
        }
    }
    // The server's own page posting to itself, and tools that send no Origin, pass.
    let res = http
        .get(srv.url("/_cloudtwin/console/"))
        .header("Sec-Fetch-Site", "same-origin")
        .header("Origin", format!("http://127.0.0.1:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = http
        .get(srv.url("/_cloudtwin/console/"))
        .header("Host", format!("localhost:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Nothing was reset: the demo user still logs in.
    let (status, _) = srv
        .iam()
        .issue("demo", "demo", "demo-password")
        .await
        .parts();
    assert_eq!(status, 201);
}

#[tokio::test]
async fn allowed_hosts_extend_the_admin_host_names() {
    let srv = common::spawn_with(|s| s.server.allowed_hosts = vec!["twin.ci.example".into()]).await;
    let res = reqwest::Client::new()
        .get(srv.url("/_cloudtwin/console/"))
        .header("Host", "twin.ci.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn simple_content_types_cannot_write_but_a_missing_one_can() {
    let srv = common::spawn_with(|s| s.auth.registry = common::Switch::Off).await;
    let token = srv.demo_token().await;
    let http = reqwest::Client::new();
    let body = json!({"service": {"appId": "shop", "serviceName": "cart", "version": "1.0.0"}})
        .to_string();
    for content_type in [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let res = http
            .post(srv.url("/v4/default/registry/microservices"))
            .header("Content-Type", content_type)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 415, "{content_type}");
        let err: serde_json::Value = res.json().await.unwrap();
        assert_eq!(err["errorCode"], "415001", "{err}");

        let res = http
            .post(srv.url("/v3/sources"))
            .header("X-Auth-Token", &token)
            .header("Content-Type", content_type)
            .body(r#"{"name": "web-1", "ip": "10.0.0.1"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 415, "{content_type}");
        let err: serde_json::Value = res.json().await.unwrap();
        assert_eq!(err["error_code"], "SMS.6010", "{err}");
    }
    let (_, services) = srv
        .registry()
        .call(Method::GET, "/microservices", None)
        .await;
    assert!(
        services.get("services").is_none(),
        "nothing registered: {services}"
    );

    // Service Center's own clients send no Content-Type at all.
    let res = http
        .post(srv.url("/v4/default/registry/microservices"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn absurd_leases_are_bounded_and_oversized_batches_refused() {
    let srv = common::spawn_with(|s| s.auth.registry = common::Switch::Off).await;
    let reg = srv.registry();
    let (_, created) = reg
        .call(
            Method::POST,
            "/microservices",
            Some(json!({"service": {"appId": "a", "serviceName": "s", "version": "1.0.0"}})),
        )
        .await;
    let service = created["serviceId"].as_str().unwrap().to_owned();
    let max = i64::from(i32::MAX);
    let (status, body) = reg
        .call(
            Method::POST,
            &format!("/microservices/{service}/instances"),
            Some(json!({"instance": {"hostName": "h", "endpoints": ["rest://10.0.0.1:80"],
                                      "healthCheck": {"mode": "push", "interval": max, "times": max}}})),
        )
        .await;
    assert_eq!(status, 200, "Service Center accepts both at 2^31-1: {body}");
    let (kind, lease): (String, i64) = srv
        .sqlite()
        .query_row(
            "SELECT typeof(lease_expires_ms), lease_expires_ms - last_heartbeat_ms FROM instances",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(kind, "integer");
    assert_eq!(lease, 365 * 86_400 * 1000, "saturated at 365 days");

    let ids: Vec<String> = (0..1001).map(|i| format!("svc-{i}")).collect();
    let (status, body) = reg
        .call(
            Method::DELETE,
            "/microservices",
            Some(json!({"serviceIds": ids})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("at most 1000"),
        "{body}"
    );
    let (status, _) = reg
        .call(
            Method::DELETE,
            "/microservices",
            Some(json!({"serviceIds": ids[..1000]})),
        )
        .await;
    assert_eq!(status, 200, "1000 is still accepted");
}

#[test]
fn out_of_range_settings_stop_the_start_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    for (key, value) in [
        ("CLOUDTWIN_AUTH__TOKEN_TTL_SECS", "999999999999"),
        ("CLOUDTWIN_AUTH__LOGIN_SLOTS", "1000"),
    ] {
        let out = common::cli::command(dir.path(), &["check"])
            .env(key, value)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{key}={value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let field = key
            .trim_start_matches("CLOUDTWIN_")
            .replace("__", ".")
            .to_ascii_lowercase();
        assert!(stderr.contains(&field), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn the_database_snapshots_and_exports_are_private_files() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/twin.db");
    let out = common::cli::run(dir.path(), &["--database", db.to_str().unwrap(), "migrate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(db.parent().unwrap()), 0o700);
    let wal = dir.path().join("data/twin.db-wal");
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600);
    }
    let export = dir.path().join("estate.yaml");
    let out = common::cli::run(
        dir.path(),
        &[
            "--database",
            db.to_str().unwrap(),
            "export",
            export.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&export), 0o600);

    let srv = common::spawn().await;
    let reply = srv
        .admin()
        .send(Method::POST, "/_cloudtwin/snapshot?name=copy.db", None)
        .await;
    assert_eq!(reply.status, 201);
    let snapshot = srv.db_path().parent().unwrap().join("snapshots/copy.db");
    assert_eq!(mode(&snapshot), 0o600);
    assert_eq!(mode(snapshot.parent().unwrap()), 0o700);
    assert_eq!(mode(&srv.db_path()), 0o600);
}

#[tokio::test]
async fn a_password_change_ends_sessions_and_deleted_users_and_keys_stop_working() {
    let srv = common::spawn().await;
    let token = srv.user_with("demo", "ops", &["sms:server:list*"]).await;
    let sms = srv.sms(&token);
    let (status, _) = sms.call(Method::GET, "/v3/sources", None).await;
    assert_eq!(status, 200);
    srv.create_user("demo", "ops", "a-new-password").await;
    let (status, _) = sms.call(Method::GET, "/v3/sources", None).await;
    assert_eq!(status, 401, "the old password's token is gone");

    let token = srv.token_for("demo", "ops", "a-new-password").await;
    let key = srv.create_key("demo", "ops").await;
    let database = srv.db_path();
    let db = database.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = common::cli::run(dir.path(), args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "--database",
        db,
        "iam",
        "delete-key",
        "--access",
        &key.access,
    ]);
    let out = common::cli::run(
        dir.path(),
        &[
            "--database",
            db,
            "iam",
            "delete-key",
            "--access",
            &key.access,
        ],
    );
    assert!(
        !out.status.success(),
        "a second delete names the missing key"
    );
    run(&[
        "--database",
        db,
        "iam",
        "delete-user",
        "--domain",
        "demo",
        "--user",
        "ops",
    ]);
    let (status, _) = srv.sms(&token).call(Method::GET, "/v3/sources", None).await;
    assert_eq!(status, 401, "a deleted user's token is gone");
    let (status, _) = srv
        .iam()
        .issue("demo", "ops", "a-new-password")
        .await
        .parts();
    assert_eq!(status, 401);
}

/// Slow request bodies neither stop the server from answering nor keep their
/// connections forever: after `server.body_timeout_ms` each gets the API's JSON 400.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_bodies_time_out_and_the_server_keeps_answering() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let srv = common::spawn_with(|s| {
        s.auth.registry = common::Switch::Off;
        s.server.body_timeout_ms = 700;
    })
    .await;
    let mut slow = Vec::new();
    for _ in 0..300 {
        let mut conn = tokio::net::TcpStream::connect(srv.addr).await.unwrap();
        let head = format!(
            "POST /v4/default/registry/microservices HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"service\"",
            srv.addr.port()
        );
        conn.write_all(head.as_bytes()).await.unwrap();
        slow.push(conn);
    }
    let started = std::time::Instant::now();
    let health = srv.client.get(srv.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(started.elapsed() < std::time::Duration::from_secs(2));

    let mut conn = slow.pop().unwrap();
    let mut reply = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), conn.read(&mut reply))
        .await
        .expect("the slow body is answered once its time is up")
        .unwrap();
    let reply = String::from_utf8_lossy(&reply[..n]);
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    assert!(reply.contains("did not arrive within 700 ms"), "{reply}");
    drop(slow);
    let (status, _) = srv
        .registry()
        .call(Method::GET, "/microservices", None)
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn names_in_paths_filters_and_links_cannot_be_abused() {
    let srv = common::spawn_with(|s| s.auth.registry = common::Switch::Off).await;
    // Registry tenant names: control characters and overlong names are refused.
    for project in ["a%0Db".to_owned(), "p".repeat(300)] {
        let res = srv
            .client
            .get(srv.url(&format!("/v4/{project}/registry/microservices")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{project}");
    }
    let res = srv
        .client
        .get(srv.url("/v4/default/registry/microservices"))
        .header("X-Domain-Name", "d".repeat(300))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // `%` and `_` in an SMS name filter are characters, not wildcards.
    let sms = srv.sms(&srv.demo_token().await);
    for (name, ip) in [("web-1", "10.0.0.1"), ("db_1", "10.0.0.2")] {
        let (status, body) = sms
            .call(
                Method::POST,
                "/v3/sources",
                Some(json!({"name": name, "ip": ip})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let count = |query: &'static str| {
        let sms = sms.clone();
        async move {
            sms.call(Method::GET, query, None).await.1["count"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(count("/v3/sources?name=%25").await, 0);
    assert_eq!(count("/v3/sources?name=_").await, 1);
    assert_eq!(count("/v3/sources?name=-").await, 1);

    // Links in replies come from the Host the client used, never X-Forwarded-*.
    let versions: serde_json::Value = srv
        .client
        .get(srv.url("/"))
        .header("X-Forwarded-Host", "evil.example")
        .header("Forwarded", "host=evil.example;proto=https")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let href = versions["versions"][0]["links"][0]["href"]
        .as_str()
        .unwrap();
    assert_eq!(href, format!("http://127.0.0.1:{}/v3", srv.addr.port()));
}

/// Behind a proxy listed in `server.trusted_proxies`, links use the scheme and host it
/// forwards, so that clients outside keep following them.
#[tokio::test]
async fn a_trusted_proxy_sets_the_links() {
    let srv =
        common::spawn_with(|s| s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let versions: serde_json::Value = srv
        .client
        .get(srv.url("/"))
        .header("X-Forwarded-Host", "twin.example")
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        versions["versions"][0]["links"][0]["href"],
        "https://twin.example/v3"
    );
}

#[tokio::test]
async fn the_demo_account_can_be_switched_off_and_custom_secrets_stay_unprinted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("twin.db");
    let http = reqwest::Client::new();
    let login = |base: String| {
        let http = http.clone();
        async move {
            http.post(format!("{base}/v3/auth/tokens"))
                .json(&common::iam::password_body("demo", "demo", "demo-password"))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // First with the demo account, then without: the account is gone.
    let mut on = common::cli::start(&db, &http).await;
    assert_eq!(login(on.base.clone()).await, 201);
    on.child.kill().unwrap();
    on.child.wait().unwrap();
    let mut off = common::cli::start_with(&db, &http, |c| {
        c.env("CLOUDTWIN_DEMO__ENABLED", "false");
    })
    .await;
    assert_eq!(login(off.base.clone()).await, 401);
    // Nor does the explorer's one-click token hand one out.
    let res = http
        .post(format!("{}/_cloudtwin/demo-token", off.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    off.child.kill().unwrap();
    off.child.wait().unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let keys: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM access_keys WHERE access = 'DEMOACCESSKEY0000001'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(keys, 0);

    // The banner prints the public defaults, never a configured secret.
    let banner = |envs: &[(&str, &str)]| {
        let mut command = common::cli::command(
            dir.path(),
            &[
                "--database",
                db.to_str().unwrap(),
                "--listen",
                "127.0.0.1:0",
                "serve",
            ],
        );
        command
            .envs(envs.iter().copied())
            .stdout(std::process::Stdio::piped());
        let mut child = command.spawn().unwrap();
        let mut out = String::new();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        use std::io::BufRead;
        while stdout.read_line(&mut out).unwrap() > 0 && !out.contains("registry auth") {}
        child.kill().unwrap();
        child.wait().unwrap();
        out
    };
    let public = banner(&[]);
    assert!(public.contains("demo-password"), "{public}");
    let custom = banner(&[
        ("CLOUDTWIN_DEMO__PASSWORD", "not-for-the-terminal"),
        (
            "CLOUDTWIN_DEMO__SECRET_KEY",
            "sk-not-for-the-terminal-000000000000000000",
        ),
    ]);
    assert!(!custom.contains("not-for-the-terminal"), "{custom}");
    assert!(custom.contains("(as configured)"), "{custom}");
}
