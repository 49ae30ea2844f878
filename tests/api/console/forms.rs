//! The console's forms, posted as a browser posts them: each does what the matching
//! `/_cloudtwin` route does, answers 303 back to a page that shows the result, and the
//! destructive ones refuse to act without their confirmation box.

use reqwest::Method;
use serde_json::json;

use super::{page, seeded, submit};
use crate::common;

#[tokio::test]
async fn a_fault_rule_added_in_the_console_fires_and_is_removed_there() {
    let srv = seeded().await;
    let (status, location) = submit(
        &srv,
        "faults/add",
        &[
            ("method", "GET"),
            ("path", "/v3/tasks"),
            ("status", "503"),
            ("error_code", ""),
            ("latency_ms", ""),
            ("times", ""),
            ("action", ""),
        ],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    assert!(
        location.starts_with("/_cloudtwin/console/faults?note=rule+"),
        "{location}"
    );
    let (_, html) = page(&srv, "faults").await;
    assert!(html.contains("<code>/v3/tasks</code>"), "{html}");
    let id = html
        .split("name=\"id\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a remove button")
        .to_owned();
    // The rule is in force: the SDK's list call now gets the fault's 503.
    let sms = srv.sms(&srv.demo_token().await);
    let (status, _) = sms.call(Method::GET, "/v3/tasks", None).await;
    assert_eq!(status, 503);
    let (status, location) = submit(&srv, "faults/remove", &[("id", &id)]).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/_cloudtwin/console/faults?note=rule+removed")
    );
    let (status, _) = sms.call(Method::GET, "/v3/tasks", None).await;
    assert_eq!(status, 200);
    let (_, html) = page(&srv, "faults").await;
    assert!(!html.contains(&id), "{html}");
    // A bad rule is refused with the reason, and nothing is added.
    let (status, body) = submit(&srv, "faults/add", &[("path", "/v3/*"), ("status", "abc")]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("status"), "{body}");
    assert!(srv.admin().call(Method::GET, "/_cloudtwin/faults").await.1["faults"] == json!([]));
    srv.stop().await;
}

#[tokio::test]
async fn the_clock_form_advances_simulated_time() {
    let srv = common::spawn_with(|s| s.clock.mode = common::ClockMode::Manual).await;
    let (_, before) = srv.admin().call(Method::GET, "/_cloudtwin/clock").await;
    let (status, location) = submit(&srv, "clock", &[("advance_secs", "3600"), ("mode", "")]).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/_cloudtwin/console/?note=clock+changed")
    );
    let (_, after) = srv.admin().call(Method::GET, "/_cloudtwin/clock").await;
    assert_eq!(
        after["now_ms"].as_i64().unwrap() - before["now_ms"].as_i64().unwrap(),
        3_600_000
    );
    let (status, body) = submit(&srv, "clock", &[("advance_secs", "soon")]).await;
    assert_eq!(status, 400, "{body}");
    let (status, location) = submit(&srv, "clock", &[("mode", "real")]).await;
    assert_eq!(status, 303, "{location}");
    let (_, html) = page(&srv, "").await;
    assert!(
        html.contains("<span id=\"clock-mode\">real</span>"),
        "{html}"
    );
    srv.stop().await;
}

#[tokio::test]
async fn clearing_the_journal_needs_the_box_ticked() {
    let srv = seeded().await;
    srv.client.get(srv.url("/v3/nowhere")).send().await.unwrap();
    let (status, body) = submit(&srv, "journal/clear", &[]).await;
    assert_eq!(status, 400, "{body}");
    let (_, html) = page(&srv, "journal").await;
    assert!(html.contains("<code>/v3/nowhere</code>"), "kept: {html}");
    let (status, location) = submit(&srv, "journal/clear", &[("confirm", "yes")]).await;
    assert_eq!(status, 303, "{location}");
    let (_, html) = page(&srv, "journal").await;
    assert!(
        !html.contains("<code>/v3/nowhere</code>"),
        "cleared: {html}"
    );
    srv.stop().await;
}

#[tokio::test]
async fn reset_and_snapshot_from_the_admin_page() {
    let srv = seeded().await;
    let (_, html) = page(&srv, "admin").await;
    assert!(
        html.contains("<option value=\"demo\">demo</option>"),
        "{html}"
    );
    let (status, body) = submit(&srv, "admin/reset", &[("fixture", "")]).await;
    assert_eq!(status, 400, "no box, no reset: {body}");
    let (_, html) = page(&srv, "").await;
    assert!(html.contains("id=\"task-RUNNING\""), "still there: {html}");
    let (status, location) =
        submit(&srv, "admin/reset", &[("fixture", ""), ("confirm", "yes")]).await;
    assert_eq!(status, 303, "{location}");
    let (_, html) = page(&srv, "").await;
    assert!(!html.contains("id=\"task-RUNNING\""), "emptied: {html}");
    let (status, location) = submit(
        &srv,
        "admin/reset",
        &[("fixture", "demo"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    assert!(location.contains("reset+to+demo"), "{location}");
    let (_, html) = page(&srv, "").await;
    assert!(html.contains("id=\"task-RUNNING\""), "reloaded: {html}");
    let (status, location) = submit(
        &srv,
        "admin/snapshot",
        &[("name", "console.db"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let snapshot = srv.db_path().parent().unwrap().join("snapshots/console.db");
    assert!(snapshot.is_file(), "{location}");
    srv.stop().await;
}

#[tokio::test]
async fn an_sms_fault_is_disarmed_from_the_faults_page() {
    let srv = seeded().await;
    let (_, tasks) = srv
        .sms(&srv.demo_token().await)
        .call(Method::GET, "/v3/tasks", None)
        .await;
    let task = tasks["tasks"][0]["id"].as_str().unwrap().to_owned();
    let reply = srv
        .admin()
        .send(
            Method::POST,
            &format!("/_cloudtwin/sms/tasks/{task}/fault"),
            Some(&json!({"subtask": "CONFIGURE_LINUX_BLOCK", "error_code": "SMS.1302"})),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let (_, html) = page(&srv, "faults").await;
    assert!(html.contains("SMS.1302"), "{html}");
    let (status, location) = submit(&srv, "faults/disarm", &[("task", &task)]).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/_cloudtwin/console/faults?note=fault+disarmed")
    );
    let (status, _) = srv
        .admin()
        .call(Method::GET, &format!("/_cloudtwin/sms/tasks/{task}/fault"))
        .await;
    assert_eq!(status, 404);
    srv.stop().await;
}

/// With `admin.token` set a browser cannot send the header: the console asks for the
/// token once and a cookie (a digest, never the token) opens the console, its forms and
/// the explorer's demo token; the cross-site checks still come first.
#[tokio::test]
async fn with_an_admin_token_the_console_asks_for_it_once() {
    let srv = common::spawn_with(|s| s.admin.token = "s3cret-admin".into()).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = http
        .get(srv.url("/_cloudtwin/console/"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/_cloudtwin/console/login");
    let (status, html) = page(&srv, "login").await;
    assert_eq!(status, 200);
    assert!(html.contains("name=\"token\""), "{html}");
    let (status, html) = submit(&srv, "login", &[("token", "guess")]).await;
    assert_eq!(status, 401);
    assert!(html.contains("That is not the admin token."), "{html}");
    let res = http
        .post(srv.url("/_cloudtwin/console/login"))
        .form(&[("token", "s3cret-admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let set = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    for part in [
        "cloudtwin_admin=",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/_cloudtwin",
    ] {
        assert!(set.contains(part), "{set}");
    }
    assert!(
        !set.contains("s3cret-admin"),
        "the browser never holds the token: {set}"
    );
    let cookie = set.split(';').next().unwrap().to_owned();
    let with_cookie = |method: Method, path: &str| {
        http.request(method, srv.url(path))
            .header("Cookie", cookie.clone())
    };
    let res = with_cookie(Method::GET, "/_cloudtwin/console/")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = with_cookie(Method::POST, "/_cloudtwin/console/clock")
        .form(&[("advance_secs", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "the forms work with the cookie");
    let res = with_cookie(Method::POST, "/_cloudtwin/demo-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "so does the explorer's demo token");
    let res = with_cookie(Method::POST, "/_cloudtwin/console/clock")
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[("advance_secs", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        403,
        "a cross-site form is refused, cookie or not"
    );
    let res = http
        .post(srv.url("/_cloudtwin/snapshot"))
        .header("Cookie", "cloudtwin_admin=forged")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    srv.stop().await;
}
