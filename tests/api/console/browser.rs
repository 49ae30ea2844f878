//! Every console page in headless Chromium: it loads, its console stays silent (no
//! script error, no policy violation), and a screenshot lands in
//! `target/console-screenshots/` for a reviewer. Two halves, so they run side by side.

use reqwest::Method;

use super::seeded;
use crate::common::{self, browser};

const FIRST_HALF: &[(&str, &str)] = &[
    ("overview", ""),
    ("tasks", "sms/tasks"),
    ("task", "TASK"),
    ("sources", "sms/sources"),
    ("templates", "sms/templates"),
    ("migprojects", "sms/migprojects"),
    ("identity", "identity"),
];

const SECOND_HALF: &[(&str, &str)] = &[
    ("registry", "registry"),
    ("services", "registry/services?domain=demo&project=default"),
    (
        "service",
        "registry/service?domain=demo&project=default&id=shop-orders-120",
    ),
    (
        "graph",
        "registry/graph?domain=demo&project=default&app=shop",
    ),
    ("journal", "journal"),
    ("faults", "faults"),
    ("admin", "admin"),
];

async fn shoot(pages: &[(&str, &str)]) {
    let srv = seeded().await;
    let (_, tasks) = srv
        .sms(&srv.demo_token().await)
        .call(Method::GET, "/v3/tasks", None)
        .await;
    let task = format!("sms/tasks/{}", tasks["tasks"][0]["id"].as_str().unwrap());
    let dir = browser::screenshot_dir();
    for (name, path) in pages {
        let path = if *path == "TASK" { task.as_str() } else { path };
        let url = srv.url(&format!("/_cloudtwin/console/{path}"));
        let Some(page) = browser::render(url, None, Some(dir.join(format!("{name}.png")))).await
        else {
            return;
        };
        assert!(page.console.is_empty(), "{name}: {:?}", page.console);
        assert!(page.dom.contains("<h1>"), "{name}: {}", page.dom);
        assert!(
            dir.join(format!("{name}.png")).is_file(),
            "{name}: no screenshot"
        );
    }
    srv.stop().await;
}

#[tokio::test]
async fn sms_and_identity_pages_render_silently() {
    shoot(FIRST_HALF).await;
}

#[tokio::test]
async fn registry_journal_fault_and_admin_pages_render_silently() {
    shoot(SECOND_HALF).await;
}

/// The explorer renders in a real browser with nothing but the twin to talk to: its
/// scripts come from the binary and it lists the operations of `/openapi.json`.
#[tokio::test]
async fn chromium_renders_the_api_explorer_offline() {
    let srv = common::spawn().await;
    // Time for the page's scripts to fetch the document and draw it.
    let Some(page) = browser::render(
        srv.url("/docs/"),
        Some(10_000),
        Some(browser::screenshot_dir().join("explorer.png")),
    )
    .await
    else {
        return;
    };
    assert!(
        page.dom.contains("/v3/tasks/delete"),
        "operations drawn: {}",
        page.dom
    );
    assert!(
        page.dom.contains("Authorize"),
        "the token can be given: {}",
        page.dom
    );
    srv.stop().await;
}
