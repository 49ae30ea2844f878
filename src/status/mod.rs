//! `GET /`: a small server-rendered status page that refreshes itself, and the bounded
//! in-memory log of recent requests it shows.

pub mod store;

use std::fmt::Write as _;

use actix_web::{HttpResponse, web};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as esc};

use crate::error::TwinError;
use crate::state::AppState;
use crate::telemetry::{RecentRequests, RequestRecord};

/// How many recent requests the page shows.
const RECENT_SHOWN: usize = 20;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/console/").get(page));
}

fn db_error(e: sqlx::Error) -> TwinError {
    TwinError::from_db(e)
}

#[utoipa::path(
    get,
    path = "/_cloudtwin/console/",
    tag = "cloudtwin",
    operation_id = "cloudtwin_page",
    responses((status = 200, description = "The status page", body = String, content_type = "text/html"))
)]
async fn page(
    state: web::Data<AppState>,
    recent: web::Data<RecentRequests>,
) -> Result<HttpResponse, TwinError> {
    let mut tx = state.db.reader().begin().await.map_err(db_error)?;
    let tasks = store::tasks_by_state(&mut tx).await.map_err(db_error)?;
    let sources = store::sources_by_state(&mut tx).await.map_err(db_error)?;
    let tenants = store::registry_tenants(&mut tx, state.clock.now_ms())
        .await
        .map_err(db_error)?;
    drop(tx);
    let version = state.db.schema_version().await.map_err(db_error)?;
    let html = render(&Page {
        database: &state.db.path().display().to_string(),
        schema_version: version,
        tasks: &tasks,
        sources: &sources,
        tenants: &tenants,
        recent: &recent.latest(RECENT_SHOWN),
    });
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

pub struct Page<'a> {
    pub database: &'a str,
    pub schema_version: i64,
    pub tasks: &'a [(String, i64)],
    pub sources: &'a [(String, i64, i64)],
    pub tenants: &'a [(String, String, i64, i64)],
    pub recent: &'a [RequestRecord],
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin-bottom:1.5em}\
th,td{border:1px solid #ccc;padding:.25em .75em;text-align:left}\
td.n{text-align:right}th{background:#f3f3f3}.empty{color:#888}";

/// Renders the page; every value from the database or a request is HTML-escaped.
pub fn render(p: &Page<'_>) -> String {
    let mut h = String::with_capacity(4096);
    // Writing to a String cannot fail; the results are ignored for that reason.
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"5\"><title>cloudtwin status</title>\
         <style>{STYLE}</style></head><body>\n<h1>cloudtwin {}</h1>\n\
         <p>database <code id=\"database\">{}</code>, schema version \
         <span id=\"schema-version\">{}</span></p>\n",
        env!("CARGO_PKG_VERSION"),
        esc(p.database),
        p.schema_version
    );
    h.push_str("<h2>Migration tasks by state</h2>\n<table id=\"tasks\"><tr><th>state</th><th>tasks</th></tr>\n");
    for (state, n) in p.tasks {
        let _ = writeln!(
            h,
            "<tr id=\"task-{}\"><td>{}</td><td class=\"n\">{n}</td></tr>",
            attr(state),
            esc(state)
        );
    }
    empty_row(&mut h, p.tasks.is_empty(), 2);
    h.push_str("</table>\n<h2>Source servers by state</h2>\n<table id=\"sources\"><tr><th>state</th><th>servers</th><th>connected</th></tr>\n");
    for (state, n, connected) in p.sources {
        let _ = writeln!(
            h,
            "<tr id=\"source-{}\"><td>{}</td><td class=\"n\">{n}</td><td class=\"n\">{connected}</td></tr>",
            attr(state),
            esc(state)
        );
    }
    empty_row(&mut h, p.sources.is_empty(), 3);
    h.push_str("</table>\n<h2>Registry tenants</h2>\n<table id=\"registry\"><tr><th>domain</th><th>project</th><th>microservices</th><th>live instances</th></tr>\n");
    for (domain, project, services, instances) in p.tenants {
        let _ = writeln!(
            h,
            "<tr><td>{0}</td><td>{1}</td><td class=\"n\">{services}</td><td class=\"n\">{instances}</td></tr>",
            esc(domain),
            esc(project)
        );
    }
    empty_row(&mut h, p.tenants.is_empty(), 4);
    h.push_str("</table>\n<h2>Recent requests</h2>\n<table id=\"recent\"><tr><th>time (UTC)</th><th>method</th><th>path</th><th>status</th><th>latency (ms)</th></tr>\n");
    for r in p.recent {
        let at =
            r.at.format(time::macros::format_description!(
                "[hour]:[minute]:[second].[subsecond digits:3]"
            ))
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<tr><td>{at}</td><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{:.1}</td></tr>",
            esc(&r.method),
            esc(&r.path),
            r.status,
            r.latency_ms
        );
    }
    empty_row(&mut h, p.recent.is_empty(), 5);
    h.push_str("</table>\n<p class=\"empty\">Refreshes every 5 seconds. Requests for this page are not listed.</p>\n</body></html>\n");
    h
}

fn empty_row(h: &mut String, empty: bool, columns: usize) {
    if empty {
        let _ = writeln!(
            h,
            "<tr><td colspan=\"{columns}\" class=\"empty\">none</td></tr>"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_is_escaped() {
        let recent = RecentRequests::new(3);
        recent.record("GET", "/v3/<script>alert(1)</script>", 404, 0.5);
        let html = render(&Page {
            database: "/tmp/a&b.db",
            schema_version: 4,
            tasks: &[("<b>".into(), 1)],
            sources: &[],
            tenants: &[("d\"".into(), "p".into(), 1, 2)],
            recent: &recent.latest(5),
        });
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("/tmp/a&amp;b.db"));
        assert!(html.contains("<meta http-equiv=\"refresh\" content=\"5\">"));
    }
}

/// The status page in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(page))]
pub struct Api;
