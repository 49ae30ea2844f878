//! `GET /_cloudtwin/console/`: the overview of a seeded server, as HTML and (where
//! Chromium is installed) as a real browser renders it.

use crate::common::{self, browser};

async fn seeded() -> common::TestServer {
    let srv = super::seeded().await;
    // Something for the recent-requests table, including an error.
    srv.client.get(srv.url("/health")).send().await.unwrap();
    srv.client
        .get(srv.url("/v3/nowhere&more"))
        .send()
        .await
        .unwrap();
    srv
}

/// The counts fixtures/demo.yaml gives, as the page renders them.
fn assert_counts(html: &str) {
    for row in [
        r#"<tr id="task-RUNNING"><td>RUNNING</td><td class="n">1</td></tr>"#,
        r#"<tr id="task-MIGRATE_SUCCESS"><td>MIGRATE_SUCCESS</td><td class="n">1</td></tr>"#,
        r#"<tr id="task-ABORT"><td>ABORT</td><td class="n">1</td></tr>"#,
        r#"<tr id="source-replicate"><td>replicate</td><td class="n">1</td><td class="n">1</td></tr>"#,
        r#"<tr id="source-stopped"><td>stopped</td><td class="n">1</td><td class="n">0</td></tr>"#,
        r#"<tr><td>demo</td><td><a href="/_cloudtwin/console/registry/services?domain=demo&amp;project=default">default</a></td><td class="n">5</td><td class="n">6</td></tr>"#,
    ] {
        assert!(html.contains(row), "missing {row} in\n{html}");
    }
}

#[tokio::test]
async fn the_page_shows_the_counts_and_recent_requests() {
    let srv = seeded().await;
    let res = srv
        .client
        .get(srv.url("/_cloudtwin/console/"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap();
    assert_counts(&html);
    assert!(html.contains(r#"<meta http-equiv="refresh" content="5">"#));
    assert!(
        html.contains(r#"<strong id="health">ready</strong>"#),
        "{html}"
    );
    // The journal's newest entries, the unknown route among them (escaped).
    let journal = html
        .split("id=\"journal-latest\"")
        .nth(1)
        .expect("the journal table");
    assert!(
        journal.contains("<td><code>/v3/nowhere&amp;more</code></td><td class=\"n\">404</td>"),
        "{journal}"
    );
    assert!(
        html.contains(&srv.db_path().display().to_string()),
        "{html}"
    );
    let version = common::expected_schema_version();
    assert!(
        html.contains(&format!(r#"<span id="schema-version">{version}</span>"#)),
        "{html}"
    );
    assert!(html.contains("<code>/health</code>"), "{html}");
    assert!(
        html.contains("/v3/nowhere&amp;more"),
        "request paths are escaped: {html}"
    );
    assert!(
        !html.contains("<code>/</code>"),
        "the page's own loads are not listed"
    );
    srv.stop().await;
}

#[tokio::test]
async fn chromium_renders_the_counts() {
    let srv = seeded().await;
    let Some(page) = browser::render(srv.url("/_cloudtwin/console/"), None, None).await else {
        return;
    };
    assert!(page.console.is_empty(), "console: {:?}", page.console);
    let dom = page.dom;
    // The DOM as parsed: the same rows, with <tbody> inserted by the parser.
    assert!(dom.contains("<tbody>"), "{dom}");
    assert_counts(&dom);
    srv.stop().await;
}

#[tokio::test]
async fn the_page_shows_simulated_migrations_with_their_progress_and_faults() {
    let srv = common::spawn_with(|s| s.clock.mode = common::ClockMode::Manual).await;
    let token = srv.demo_token().await;
    let sms = srv.sms(&token);
    let (_, source) = sms
        .call(
            reqwest::Method::POST,
            "/v3/sources",
            Some(serde_json::json!({"name": "page", "ip": "10.7.0.1", "os_type": "LINUX"})),
        )
        .await;
    let (_, task) = sms
        .call(
            reqwest::Method::POST,
            "/v3/tasks",
            Some(
                serde_json::json!({"name": "shown-task", "type": "MIGRATE_BLOCK",
                "os_type": "LINUX", "source_server": {"id": source["id"]}}),
            ),
        )
        .await;
    let task = task["id"].as_str().unwrap().to_owned();
    let admin = srv.admin();
    admin
        .send(
            reqwest::Method::POST,
            &format!("/_cloudtwin/sms/tasks/{task}/fault"),
            Some(
                &serde_json::json!({"subtask": "CONFIGURE_LINUX_BLOCK", "error_code": "SMS.1302"}),
            ),
        )
        .await;
    sms.call(
        reqwest::Method::POST,
        &format!("/v3/tasks/{task}/action"),
        Some(serde_json::json!({"operation": "start"})),
    )
    .await;
    // Two seconds of the 5 GiB copy at 10,000 Mbit/s: 46 %.
    admin
        .send(
            reqwest::Method::POST,
            "/_cloudtwin/clock",
            Some(&serde_json::json!({"advance_secs": 6})),
        )
        .await;
    let html = srv
        .client
        .get(srv.url("/_cloudtwin/console/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let row = format!(
        "<tr id=\"migration-{task}\"><td><a href=\"/_cloudtwin/console/sms/tasks/{task}\">shown-task</a></td><td>RUNNING</td><td>MIGRATE_LINUX_BLOCK</td>\
         <td class=\"n\"><progress max=\"100\" value=\"46\"></progress> 46 %</td>\
         <td class=\"n\">10000</td><td class=\"n\">5</td></tr>"
    );
    assert!(html.contains(&row), "missing {row} in\n{html}");
    assert!(
        html.contains("<span id=\"clock-mode\">manual</span>"),
        "{html}"
    );
    assert!(
        html.contains("<tr><td>shown-task</td><td>CONFIGURE_LINUX_BLOCK</td><td>SMS.1302</td><td></td><td></td></tr>"),
        "{html}"
    );
}
