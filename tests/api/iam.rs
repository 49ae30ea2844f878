//! Identity end to end: tokens, AK/SK signatures, 401 bodies, the admin CLI.

use std::path::Path;
use std::process::Stdio;

use reqwest::Method;
use serde_json::Value;

use crate::common::{self, cli};

async fn assert_gateway_401(res: reqwest::Response, reason: &str) {
    assert_eq!(res.status(), 401);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error_code"], "APIGW.0301");
    assert_eq!(body["request_id"], request_id.as_str());
    let msg = body["error_msg"].as_str().unwrap();
    assert!(
        msg.starts_with("Incorrect IAM authentication information"),
        "{msg}"
    );
    assert!(msg.contains(reason), "{msg} should mention {reason}");
}

#[tokio::test]
async fn token_is_issued_in_the_header_and_used() {
    let srv = common::spawn().await;
    let reply = srv.iam().issue("demo", "demo", "demo-password").await;
    assert_eq!(reply.status, 201);
    let token = reply.headers["x-subject-token"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(token.starts_with("MII"));
    let (_, body) = reply.parts();
    assert_eq!(body["token"]["user"]["name"], "demo");
    assert_eq!(body["token"]["project"]["name"], "cn-north-4");
    assert_eq!(body["token"]["project"]["id"], srv.demo.project_id.as_str());
    assert!(body["token"]["expires_at"].as_str().unwrap().ends_with('Z'));

    let res = srv
        .client
        .get(srv.url("/v3/projects?name=cn-north-4"))
        .header("X-Auth-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["projects"][0]["id"], srv.demo.project_id.as_str());

    // Only a digest is stored: the table does not hold the token itself.
    let stored: i64 = srv
        .sqlite()
        .query_row(
            "SELECT COUNT(*) FROM tokens WHERE digest = ?",
            [&token],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn wrong_password_and_unknown_user_are_refused() {
    let srv = common::spawn().await;
    for (domain, user, password) in [
        ("demo", "demo", "wrong"),
        ("demo", "nobody", "demo-password"),
        ("nodomain", "demo", "demo-password"),
    ] {
        let (status, body) = srv.iam().issue(domain, user, password).await.parts();
        assert_eq!(status, 401);
        assert_eq!(body["error"]["code"], 401);
        assert_eq!(
            body["error"]["message"],
            "The username or password is wrong."
        );
    }
}

/// A flood of logins for unknown users waits for the bounded password-check slots; the
/// ones that wait too long get IAM's 429, the server keeps answering, and a real login
/// succeeds afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_login_flood_is_queued_and_refused_not_absorbed() {
    let srv = common::spawn_with(|s| {
        s.auth.login_slots = 1;
        s.auth.login_wait_ms = 50;
    })
    .await;
    let mut clients = Vec::new();
    for c in 0..16 {
        let iam = srv.iam();
        clients.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            for i in 0..4 {
                let (status, body) = iam
                    .issue("demo", &format!("flood-{c}-{i}"), "guess")
                    .await
                    .parts();
                assert!(matches!(status, 401 | 429), "{status} {body}");
                if status == 429 {
                    assert_eq!(body["error"]["code"], 429, "IAM's error shape: {body}");
                }
                statuses.push(status);
            }
            statuses
        }));
    }
    let health = srv.client.get(srv.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200, "the server answers during the flood");
    let mut statuses = Vec::new();
    for client in clients {
        statuses.extend(client.await.unwrap());
    }
    assert!(
        statuses.contains(&429),
        "some logins waited too long: {statuses:?}"
    );
    assert!(statuses.contains(&401), "some were checked: {statuses:?}");
    let (status, _) = srv
        .iam()
        .issue("demo", "demo", "demo-password")
        .await
        .parts();
    assert_eq!(status, 201);
}

#[tokio::test]
async fn token_expires() {
    // On the simulated clock: no sleeping, and no race with a one-second lifetime.
    let srv = common::spawn_with(|s| s.auth.token_ttl_secs = 60).await;
    let token = srv.demo_token().await;
    let ok = srv
        .client
        .get(srv.url("/v3/projects"))
        .header("X-Auth-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let advanced = srv
        .admin()
        .send(
            Method::POST,
            "/_cloudtwin/clock",
            Some(&serde_json::json!({"advance_secs": 61})),
        )
        .await;
    assert_eq!(advanced.status, 200);
    let res = srv
        .client
        .get(srv.url("/v3/projects"))
        .header("X-Auth-Token", &token)
        .send()
        .await
        .unwrap();
    assert_gateway_401(res, "token expires").await;
}

#[tokio::test]
async fn missing_unknown_and_malformed_credentials_get_the_gateway_401() {
    let srv = common::spawn().await;
    let res = srv
        .client
        .get(srv.url("/v3/projects"))
        .send()
        .await
        .unwrap();
    assert_gateway_401(res, "x-auth-token not found").await;

    let res = srv
        .client
        .get(srv.url("/v3/projects"))
        .header("X-Auth-Token", "MIInot-a-token")
        .send()
        .await
        .unwrap();
    assert_gateway_401(res, "decrypt token fail").await;

    for authorization in [
        "Basic dXNlcjpwYXNz",
        "SDK-HMAC-SHA256 garbage",
        "SDK-HMAC-SHA256 Access=X, SignedHeaders=host, Signature=00",
    ] {
        let res = srv
            .client
            .get(srv.url("/v3/projects"))
            .header("Authorization", authorization)
            .header("X-Sdk-Date", "20261123T051338Z")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{authorization}");
    }
}

#[tokio::test]
async fn signature_is_verified_and_tampering_refused() {
    let srv = common::spawn().await;
    let res = srv
        .demo_key()
        .request(Method::GET, "/v3/projects?name=cn-north-4", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // Signed for one query, sent with another.
    let req = srv
        .demo_key()
        .request(Method::GET, "/v3/projects?name=cn-north-4", None)
        .build()
        .unwrap();
    let mut tampered = req.try_clone().unwrap();
    tampered.url_mut().set_query(Some("name=other-region"));
    let res = srv.client.execute(tampered).await.unwrap();
    assert_gateway_401(res, "verify aksk signature fail").await;

    // A wrong secret.
    let res = srv
        .api()
        .with_key(&srv.demo.access, "not-the-secret")
        .request(Method::GET, "/v3/projects", None)
        .send()
        .await
        .unwrap();
    assert_gateway_401(res, "verify aksk signature fail").await;

    // An unknown access key.
    let res = srv
        .api()
        .with_key("NOSUCHKEY", "x")
        .request(Method::GET, "/v3/projects", None)
        .send()
        .await
        .unwrap();
    assert_gateway_401(res, "access key is unknown").await;
}

#[tokio::test]
async fn stale_sdk_date_is_refused() {
    let srv = common::spawn().await;
    let mut req = srv
        .demo_key()
        .request(Method::GET, "/v3/projects", None)
        .build()
        .unwrap();
    req.headers_mut()
        .insert("X-Sdk-Date", "20200101T000000Z".parse().unwrap());
    let res = srv.client.execute(req).await.unwrap();
    assert_gateway_401(res, "too far").await;
}

#[tokio::test]
async fn malformed_json_is_a_json_400_and_oversized_a_json_413() {
    let srv = common::spawn_with(|s| s.body_limit = 2048).await;
    let res = srv
        .client
        .post(srv.url("/v3/auth/tokens"))
        .header("Content-Type", "application/json")
        .body("{\"auth\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], 400);

    let res = srv
        .client
        .post(srv.url("/v3/auth/tokens"))
        .header("Content-Type", "application/json")
        .body(format!("{{\"pad\": \"{}\"}}", "x".repeat(4096)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], 413);
}

#[tokio::test]
async fn a_new_user_sees_only_its_own_domains_projects() {
    let srv = common::spawn().await;
    let token = srv.user_with("acme", "alice", &[]).await;
    let res = srv
        .client
        .get(srv.url("/v3/projects"))
        .header("X-Auth-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let projects = body["projects"].as_array().unwrap();
    assert_eq!(projects.len(), 1);
    assert_ne!(projects[0]["id"], srv.demo.project_id.as_str());
}

#[test]
fn admin_cli_creates_users_keys_and_grants() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli::run(
        dir.path(),
        &[
            "iam",
            "create-user",
            "--domain",
            "qa",
            "--name",
            "bob",
            "--password",
            "s3cret",
            "--database",
            "t.db",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let out = cli::run(
        dir.path(),
        &[
            "iam",
            "create-key",
            "--domain",
            "qa",
            "--user",
            "bob",
            "--database",
            "t.db",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let key: Value = serde_json::from_slice(&out.stdout).unwrap();
    for field in ["access", "secret", "project_id", "domain_id"] {
        assert!(
            key[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field}"
        );
    }
    let out = cli::run(
        dir.path(),
        &[
            "iam",
            "grant",
            "--domain",
            "qa",
            "--user",
            "bob",
            "--action",
            "sms:server:*",
            "--database",
            "t.db",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let db = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
    let (action, hash): (String, String) = db
        .query_row(
            "SELECT a.action, u.password_hash FROM user_actions a JOIN users u ON u.id = a.user_id WHERE u.name = 'bob'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(action, "sms:server:*");
    assert!(hash.starts_with("$argon2") && !hash.contains("s3cret"));

    let out = cli::run(
        dir.path(),
        &[
            "iam",
            "revoke",
            "--domain",
            "qa",
            "--user",
            "bob",
            "--action",
            "sms:server:*",
            "--database",
            "t.db",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let out = cli::run(
        dir.path(),
        &[
            "iam",
            "create-key",
            "--domain",
            "qa",
            "--user",
            "nobody",
            "--database",
            "t.db",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nobody"));
}

#[tokio::test]
async fn demo_user_is_created_even_if_its_domain_came_first() {
    let dir = tempfile::tempdir().unwrap();
    let settings = common::test_settings(dir.path());
    let db = settings.database.to_str().unwrap().to_owned();
    let out = cli::run(
        dir.path(),
        &[
            "iam",
            "create-user",
            "--domain",
            "demo",
            "--name",
            "early",
            "--password",
            "x1",
            "--database",
            &db,
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let srv = common::spawn_on(dir, settings).await;
    // The printed demo credentials work.
    srv.demo_token().await;
    let res = srv
        .demo_key()
        .request(Method::GET, "/v3/projects", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// Passwords, tokens and secret keys must not reach the logs, even at debug level.
#[tokio::test]
async fn secrets_never_reach_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let db = db.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--database", db]);
        cli::run(dir.path(), &all)
    };
    let password = "Very-Secret-Password-42";
    let out = run(&[
        "iam",
        "create-user",
        "--domain",
        "qa",
        "--name",
        "bob",
        "--password",
        password,
    ]);
    assert!(out.status.success());
    run(&[
        "iam", "grant", "--domain", "qa", "--user", "bob", "--action", "*",
    ]);
    let key: Value = serde_json::from_slice(
        &run(&["iam", "create-key", "--domain", "qa", "--user", "bob"]).stdout,
    )
    .unwrap();
    let secret = key["secret"].as_str().unwrap().to_owned();

    let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
    let http = reqwest::Client::new();
    let server = cli::start_with(Path::new(db), &http, |cmd| {
        cmd.env("CLOUDTWIN_LOG__LEVEL", "debug")
            .stdout(Stdio::null())
            .stderr(log.try_clone().expect("log file"));
    })
    .await;
    let mut server = server;
    let api = common::Client::new(http, server.base.clone());
    let iam = common::Iam::new(api.clone());
    let reply = iam.issue("qa", "bob", password).await;
    let token = reply.headers["x-subject-token"]
        .to_str()
        .unwrap()
        .to_owned();
    let reply = api
        .with_token(&token)
        .send(Method::GET, "/v3/tasks", &[], None)
        .await;
    assert_eq!(reply.status, 200);
    // A wrong password and a forged signature are logged as refusals, not echoed.
    iam.issue("qa", "bob", "Wrong-Secret-99").await;
    let forged = format!(
        "SDK-HMAC-SHA256 Access={}, SignedHeaders=host;x-sdk-date, Signature={}",
        key["access"].as_str().unwrap(),
        "ab".repeat(32)
    );
    api.send(
        Method::GET,
        "/v3/tasks",
        &[
            ("Authorization", forged.as_str()),
            ("X-Sdk-Date", "20261125T000000Z"),
        ],
        None,
    )
    .await;
    let _ = server.child.kill();
    let _ = server.child.wait();
    let logs = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    assert!(
        logs.contains("/v3/tasks"),
        "the requests were logged: {logs}"
    );
    for secret in [password, "Wrong-Secret-99", token.as_str(), secret.as_str()] {
        assert!(!logs.contains(secret), "a secret reached the logs");
    }
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_that_user_for_the_window() {
    let srv = common::spawn_with(|s| {
        s.auth.login_failures_max = 3;
        s.auth.login_failures_window_secs = 2;
    })
    .await;
    srv.create_user("demo", "ops", "right-password").await;
    for _ in 0..3 {
        let (status, _) = srv.iam().issue("demo", "ops", "guess").await.parts();
        assert_eq!(status, 401);
    }
    let (status, body) = srv
        .iam()
        .issue("demo", "ops", "right-password")
        .await
        .parts();
    assert_eq!(status, 429, "locked, even with the right password: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("wrong passwords")),
        "the refusal says why: {body}"
    );
    let (status, _) = srv
        .iam()
        .issue("demo", "demo", "demo-password")
        .await
        .parts();
    assert_eq!(status, 201, "other users are not affected");
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (status, _) = srv
        .iam()
        .issue("demo", "ops", "right-password")
        .await
        .parts();
    assert_eq!(status, 201, "the window ended");
}

/// The optional per-address limit: a client's budget runs out, a forwarded header does not
/// buy a fresh one unless it comes from a trusted proxy, and then each forwarded client
/// has its own.
#[tokio::test]
async fn logins_per_address_are_limited_when_configured() {
    let login = async |srv: &common::TestServer, forwarded_for: Option<&str>| {
        let mut req = srv
            .client
            .post(srv.url("/v3/auth/tokens"))
            .json(&common::password_body("demo", "demo", "demo-password"));
        if let Some(addr) = forwarded_for {
            req = req.header("X-Forwarded-For", addr);
        }
        let reply = req.send().await.unwrap();
        let status = reply.status().as_u16();
        (status, reply.json::<serde_json::Value>().await.unwrap())
    };

    let srv = common::spawn_with(|s| s.auth.logins_per_address_per_minute = 2).await;
    assert_eq!(login(&srv, None).await.0, 201);
    assert_eq!(login(&srv, None).await.0, 201);
    let (status, body) = login(&srv, None).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], 429, "IAM's error shape: {body}");
    let (status, _) = login(&srv, Some("203.0.113.7")).await;
    assert_eq!(
        status, 429,
        "an untrusted peer's X-Forwarded-For is ignored"
    );

    let srv = common::spawn_with(|s| {
        s.auth.logins_per_address_per_minute = 1;
        s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    assert_eq!(login(&srv, Some("203.0.113.7")).await.0, 201);
    assert_eq!(login(&srv, Some("203.0.113.7")).await.0, 429);
    assert_eq!(login(&srv, Some("203.0.113.8")).await.0, 201);
}

/// Who a signed request's caller is, where and what it may do is read in one statement:
/// the project `X-Project-Id` names when it is the caller's domain's, the domain's first
/// without the header, a refusal for another domain's project, and the caller's own
/// actions (none: 403).
#[tokio::test]
async fn a_signed_request_acts_in_the_project_it_names_within_its_domain() {
    let srv = common::spawn().await;
    srv.create_user("other", "someone", "pw-123456").await;
    let db = srv.sqlite();
    let project_of = |domain: &str| -> String {
        db.query_row(
            "SELECT p.id FROM projects p JOIN domains d ON d.id = p.domain_id WHERE d.name = ?",
            [domain],
            |r| r.get(0),
        )
        .expect("project")
    };
    let (demo, other) = (project_of("demo"), project_of("other"));
    let key = srv.demo_key();

    let named = key
        .with_header("X-Project-Id", &demo)
        .send(Method::GET, "/v3/tasks", &[], None)
        .await;
    assert_eq!(named.status, 200, "{}", named.text);
    let first = key.send(Method::GET, "/v3/tasks", &[], None).await;
    assert_eq!(first.status, 200, "{}", first.text);

    let foreign = key
        .with_header("X-Project-Id", &other)
        .request(Method::GET, "/v3/tasks", None)
        .send()
        .await
        .unwrap();
    assert_gateway_401(foreign, "the project is not in the caller's domain").await;

    let bare = srv.create_key("other", "someone").await;
    let refused = srv
        .api()
        .with_key(&bare.access, &bare.secret)
        .send(Method::GET, "/v3/tasks", &[], None)
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(refused.json["error_code"], "SMS.9004");
}
