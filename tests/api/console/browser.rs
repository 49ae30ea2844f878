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

/// What a user does in the explorer: "Use a demo token", open `GET /v3/tasks`,
/// "Execute". The request reaches the twin as the demo user (the journal says so)
/// and the explorer shows its 200.
#[tokio::test]
async fn the_explorer_sends_a_real_request_with_the_demo_token() {
    let srv = common::spawn().await;
    let Some(mut page) = browser::Devtools::open(&srv.url("/docs/")).await else {
        return;
    };
    let status = page
        .eval(
            r##"(async () => {
  const wait = async (find, what) => {
    for (let i = 0; i < 400; i++) {
      const found = find();
      if (found) return found;
      await new Promise(r => setTimeout(r, 50));
    }
    throw new Error("timed out waiting for " + what);
  };
  const button = await wait(() => window.ui && document.querySelector("#demo-token"), "the explorer");
  button.click();
  await wait(() => document.querySelector("#demo-token-status").textContent.startsWith("authorized"), "the token");
  // React may redraw the list (the lock icons change once authorized): look the
  // operation up afresh each time instead of holding an element.
  const op = () => [...document.querySelectorAll(".opblock.opblock-get")].find(b =>
    b.querySelector(".opblock-summary-path")?.getAttribute("data-path") === "/v3/tasks");
  await wait(op, "GET /v3/tasks");
  await wait(() => {
    const control = op().querySelector(".opblock-summary-control");
    if (control.getAttribute("aria-expanded") === "true") return true;
    control.click();
    return false;
  }, "the operation to open");
  // tryItOutEnabled opens the form at once; older settings show "Try it out" first.
  const first = await wait(() => op().querySelector(".execute") || op().querySelector(".try-out__btn"), "Try it out");
  if (!first.classList.contains("execute")) first.click();
  (await wait(() => op().querySelector(".execute"), "Execute")).click();
  const cell = await wait(() => op().querySelector(".live-responses-table tbody .response-col_status"), "the response");
  return cell.textContent.trim();
})()"##,
        )
        .await;
    assert_eq!(status, "200", "the explorer shows the answer's status");
    let (_, journal) = srv
        .admin()
        .call(
            reqwest::Method::GET,
            "/_cloudtwin/journal?path=/v3/tasks&method=GET",
        )
        .await;
    let entry = &journal["entries"][0];
    assert_eq!(entry["status"], 200, "{journal}");
    assert_eq!(entry["caller"], "demo", "sent as the demo user: {journal}");
    srv.stop().await;
}
