//! Every console page a user can reach: all answer 200, every link resolves, every
//! resource of the demo fixture is at most three clicks from the overview, and lists
//! page and filter without loading everything.

use std::collections::{HashMap, VecDeque};

use reqwest::Method;

use super::{links, page, seeded};

#[tokio::test]
async fn every_link_resolves_and_every_resource_is_three_clicks_away() {
    let srv = seeded().await;
    // Breadth first from the overview: the depth at which each URL was first reached.
    let mut depth: HashMap<String, usize> = HashMap::new();
    let mut queue = VecDeque::from([("/_cloudtwin/console/".to_owned(), 0)]);
    depth.insert("/_cloudtwin/console/".into(), 0);
    while let Some((url, d)) = queue.pop_front() {
        let res = srv.client.get(srv.url(&url)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{url}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{url}"
        );
        let html = res.text().await.unwrap();
        if d == 3 {
            continue;
        }
        for link in links(&html) {
            if !depth.contains_key(&link) && depth.len() < 400 {
                depth.insert(link.clone(), d + 1);
                queue.push_back((link, d + 1));
            }
        }
    }
    let reached = |part: &str| depth.keys().any(|u| u.contains(part));
    let (_, tasks) = srv
        .sms(&srv.demo_token().await)
        .call(Method::GET, "/v3/tasks", None)
        .await;
    for t in tasks["tasks"].as_array().unwrap() {
        let id = t["id"].as_str().unwrap();
        assert!(
            reached(&format!("sms/tasks/{id}")),
            "task {id} not within three clicks"
        );
    }
    for id in [
        "shop-gateway-100",
        "shop-inventory-100",
        "shop-notifications-090",
        "shop-orders-120",
        "shop-payments-201",
    ] {
        assert!(
            reached(&format!("id={id}")),
            "service {id} not within three clicks"
        );
    }
    for part in [
        "sms/sources",
        "sms/templates",
        "sms/migprojects",
        "registry/graph",
        "identity",
        "journal",
        "faults",
        "admin",
    ] {
        assert!(reached(part), "{part} not within three clicks");
    }
    srv.stop().await;
}

#[tokio::test]
async fn the_find_box_leads_to_the_resource_or_says_nothing_matched() {
    let srv = seeded().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = http
        .get(srv.url("/_cloudtwin/console/find?id=orders-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/_cloudtwin/console/registry/service?domain=demo&project=default&id=shop-orders-120"
    );
    let (status, html) = page(&srv, "find?id=nothing-like-it").await;
    assert_eq!(status, 404);
    assert!(html.contains("<code>nothing-like-it</code>"), "{html}");
    srv.stop().await;
}

/// The rows of a list table, header excluded.
fn rows(html: &str, table: &str) -> usize {
    let at = html.find(&format!("id=\"{table}\"")).expect("the table");
    let end = html[at..].find("</table>").unwrap() + at;
    html[at..end].matches("<tr").count() - 1
}

fn next_link(html: &str) -> Option<String> {
    let at = html.find("rel=\"next\" href=\"")? + "rel=\"next\" href=\"".len();
    Some(html[at..].split('"').next()?.replace("&amp;", "&"))
}

#[tokio::test]
async fn service_lists_page_in_name_order_and_filter() {
    let srv = seeded().await;
    let registry = srv.registry_as(&srv.demo_token().await);
    for i in 0..60 {
        registry
            .create_service("paged", &format!("svc-{i:02}"), "1.0.0")
            .await;
    }
    let first = "registry/services?domain=demo&project=default&app=paged";
    let (status, html) = page(&srv, first).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(rows(&html, "service-list"), 50);
    assert!(
        html.contains(">svc-00<") && html.contains(">svc-49<"),
        "{html}"
    );
    let next = next_link(&html).expect("a next page");
    let html = srv
        .client
        .get(srv.url(&next))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(rows(&html, "service-list"), 10);
    assert!(
        html.contains(">svc-50<") && html.contains(">svc-59<"),
        "{html}"
    );
    assert!(!html.contains(">svc-49<"));
    assert!(next_link(&html).is_none(), "the last page has no next");
    let (_, html) = page(&srv, &format!("{first}&name=svc-3")).await;
    assert_eq!(rows(&html, "service-list"), 10);
    let (status, body) = page(&srv, &format!("{first}&after=garbage")).await;
    assert_eq!(status, 400, "{body}");
    srv.stop().await;
}

/// An INSERT that copies the row of `table` matching `filter`, with some columns
/// computed from the parameter `?1` instead.
fn copy_sql(
    conn: &rusqlite::Connection,
    table: &str,
    filter: &str,
    set: &[(&str, &str)],
) -> String {
    let columns: Vec<String> = conn
        .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let select: Vec<String> = columns
        .iter()
        .map(|c| {
            set.iter()
                .find(|(name, _)| name == c)
                .map_or_else(|| c.clone(), |(_, expr)| (*expr).to_owned())
        })
        .collect();
    format!(
        "INSERT INTO {table} ({}) SELECT {} FROM {table} WHERE {filter}",
        columns.join(", "),
        select.join(", ")
    )
}

#[tokio::test]
async fn task_lists_page_newest_first_and_filter_by_state() {
    let srv = seeded().await;
    // 117 more tasks, copies of a fixture task (each with a source server of its own)
    // with their own ids, names and times.
    let conn = srv.sqlite();
    let source = copy_sql(
        &conn,
        "source_servers",
        "id = (SELECT source_server_id FROM tasks WHERE name = 'cache-01-migrate')",
        &[
            ("id", "'paged-src-' || ?1"),
            ("name", "'paged-src-' || ?1"),
            ("current_task_id", "NULL"),
        ],
    );
    let task = copy_sql(
        &conn,
        "tasks",
        "name = 'cache-01-migrate'",
        &[
            ("id", "'paged-' || ?1"),
            ("name", "'paged-task-' || printf('%03d', ?1)"),
            ("source_server_id", "'paged-src-' || ?1"),
            ("create_date", "1700000000000 + ?1"),
            (
                "state",
                "CASE WHEN ?1 % 10 = 0 THEN 'MIGRATE_FAIL' ELSE state END",
            ),
        ],
    );
    for i in 0..117 {
        conn.execute(&source, [i]).unwrap();
        conn.execute(&task, [i]).unwrap();
    }
    let (status, html) = page(&srv, "sms/tasks").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("120 tasks in this project"), "{html}");
    assert_eq!(rows(&html, "task-list"), 50);
    // Newest first: the fixture's own tasks (created now) lead, then the copies.
    assert!(html.contains(">paged-task-116<"), "{html}");
    let mut seen = rows(&html, "task-list");
    let mut next = next_link(&html);
    let mut pages = 1;
    while let Some(url) = next {
        let html = srv
            .client
            .get(srv.url(&url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        seen += rows(&html, "task-list");
        pages += 1;
        next = next_link(&html);
        if next.is_none() {
            assert!(html.contains(">paged-task-000<"), "the oldest last: {html}");
        }
    }
    assert_eq!((seen, pages), (120, 3));
    let (_, html) = page(&srv, "sms/tasks?state=MIGRATE_FAIL").await;
    assert_eq!(rows(&html, "task-list"), 12);
    srv.stop().await;
}
