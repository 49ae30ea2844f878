//! The console under `/_cloudtwin/console/`, read and driven over HTTP as a browser
//! would (GET pages, POST forms, follow the 303), and in headless Chromium.

mod browser;
mod escaping;
mod forms;
mod overview;
mod pages;

use std::path::Path;

use crate::common::{self, TestServer};

/// A server reset to fixtures/demo.yaml through the admin route, so the registry's
/// read model holds the fixture as a running twin would.
pub async fn seeded() -> TestServer {
    let srv = common::spawn_with(|s| {
        s.admin.fixtures_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    })
    .await;
    let (status, body) = srv
        .admin()
        .call(reqwest::Method::POST, "/_cloudtwin/reset?fixture=demo")
        .await;
    assert_eq!(status, 200, "{body}");
    srv
}

/// GET a console page: its status and HTML.
pub async fn page(srv: &TestServer, path: &str) -> (u16, String) {
    let res = srv
        .client
        .get(srv.url(&format!("/_cloudtwin/console/{path}")))
        .send()
        .await
        .expect("page");
    let status = res.status().as_u16();
    (status, res.text().await.expect("html"))
}

/// POST a console form without following the answer: its status and `Location` (or
/// its body when there is none).
pub async fn submit(srv: &TestServer, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = http
        .post(srv.url(&format!("/_cloudtwin/console/{path}")))
        .form(form)
        .send()
        .await
        .expect("form");
    let status = res.status().as_u16();
    match res.headers().get("location") {
        Some(l) => (status, l.to_str().unwrap().to_owned()),
        None => (status, res.text().await.unwrap()),
    }
}

/// The console links of a page, as a browser resolves them.
pub fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| href.starts_with("/_cloudtwin/console/") && !href.ends_with(".css"))
        .map(|href| href.replace("&amp;", "&"))
        .collect()
}
