//! `GET /`: a small server-rendered status page that refreshes itself, and the bounded
//! in-memory log of recent requests it shows.

pub mod store;

use std::fmt::Write as _;

use actix_web::{HttpResponse, web};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as esc};

use serde_json::Value;

use crate::error::{Rejection, TwinError};
use crate::sms::store as sms_store;
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
    watchers: Option<web::Data<crate::registry::Watchers>>,
) -> Result<HttpResponse, TwinError> {
    // The journal's waiting batch first, so the page shows every earlier request.
    state.journal.flush().await;
    let mut tx = state.db.reader().begin().await.map_err(db_error)?;
    let tasks = store::tasks_by_state(&mut tx).await.map_err(db_error)?;
    let sources = store::sources_by_state(&mut tx).await.map_err(db_error)?;
    let now = state.clock.now_ms();
    let tenants = store::registry_tenants(&mut tx, now)
        .await
        .map_err(db_error)?;
    let sim_error =
        |e: crate::sms::error::SmsError| TwinError::from(Rejection::Internal(e.to_string()));
    let migrations: Vec<Migration> = sms_store::simulation::running(&mut tx, SIMULATED_SHOWN)
        .await
        .map_err(sim_error)?
        .into_iter()
        .map(|r| Migration::new(r, now))
        .collect();
    let faults: Vec<Value> = sms_store::faults::faults(&mut tx, SIMULATED_SHOWN)
        .await
        .map_err(db_error)?
        .iter()
        .map(crate::sms::routes::faults::view)
        .collect();
    let journal_rows = crate::journal::store::count(&mut tx)
        .await
        .map_err(db_error)?;
    let latest = crate::journal::store::entries(
        &mut tx,
        &crate::journal::store::Filter {
            limit: JOURNAL_SHOWN,
            ..Default::default()
        },
    )
    .await
    .map_err(db_error)?;
    drop(tx);
    let rules: Vec<Rule> = state
        .faults
        .list()
        .iter()
        .map(|l| Rule {
            id: l.id.clone(),
            method: l.rule.method.clone().unwrap_or_else(|| "any".into()),
            path: l.rule.path.clone(),
            action: format!("{:?} {:?}", l.rule.action, l.rule.when).to_lowercase(),
            fired: l.fired(),
            times: l.rule.times,
        })
        .collect();
    let version = state.db.schema_version().await.map_err(db_error)?;
    let html = render(&Page {
        database: &state.db.path().display().to_string(),
        schema_version: version,
        tasks: &tasks,
        sources: &sources,
        tenants: &tenants,
        recent: &recent.latest(RECENT_SHOWN),
        clock: (state.clock.mode().as_str(), state.clock.now()),
        migrations: &migrations,
        faults: &faults,
        rules: &rules,
        journal: (state.journal.enabled(), journal_rows),
        latest: &latest,
        watchers: watchers.map_or(0, |w| w.count()),
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
    /// The clock's mode and simulated time.
    pub clock: (&'a str, time::OffsetDateTime),
    pub migrations: &'a [Migration],
    /// Faults armed on simulated migrations, as `/_cloudtwin/sms/tasks/{id}/fault` shows them.
    pub faults: &'a [Value],
    pub rules: &'a [Rule],
    /// Whether the journal is on, and its rows.
    pub journal: (bool, i64),
    /// The journal's newest entries (written ones: the last batch may still wait).
    pub latest: &'a [crate::journal::Entry],
    /// Open registry watch sockets.
    pub watchers: usize,
}

/// An HTTP fault rule as the page shows it.
pub struct Rule {
    pub id: String,
    pub method: String,
    pub path: String,
    pub action: String,
    pub fired: i64,
    pub times: Option<i64>,
}

/// How many journal entries the page shows.
const JOURNAL_SHOWN: i64 = 10;

/// How many simulated migrations and faults the page shows.
const SIMULATED_SHOWN: i64 = 50;

/// A simulated migration as the page shows it.
pub struct Migration {
    pub task_id: String,
    pub name: String,
    pub state: String,
    pub step: String,
    pub progress: i64,
    pub mbit: f64,
    pub remain_secs: i64,
}

impl Migration {
    fn new(r: sms_store::simulation::RunningTask, now: i64) -> Self {
        let snap = r.run.snapshot(now);
        Migration {
            task_id: r.task_id,
            name: r.name,
            state: r.state,
            step: snap
                .as_ref()
                .map_or_else(|| "(waiting)".into(), |s| s.step.as_str().to_owned()),
            progress: snap.as_ref().map_or(100, |s| s.progress),
            mbit: snap.as_ref().map_or(0.0, |s| s.mbit),
            remain_secs: snap.as_ref().map_or(0, |s| (s.remain_ms + 999) / 1000),
        }
    }
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
    let (mode, now) = p.clock;
    let now = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let _ = writeln!(
        h,
        "<p>clock <span id=\"clock-mode\">{}</span>, simulated time <span id=\"clock-now\">{}</span></p>",
        esc(mode),
        esc(&now)
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
    let _ = write!(
        h,
        "</table>\n<p>registry watch sockets open: <span id=\"watchers\">{}</span></p>\n",
        p.watchers
    );
    h.push_str("<h2>Simulated migrations</h2>\n<table id=\"migrations\"><tr><th>task</th><th>state</th><th>subtask</th><th>progress</th><th>Mbit/s</th><th>remaining (s)</th></tr>\n");
    for m in p.migrations {
        let _ = writeln!(
            h,
            "<tr id=\"migration-{id}\"><td>{name}</td><td>{state}</td><td>{step}</td><td class=\"n\"><progress max=\"100\" value=\"{p}\"></progress> {p} %</td><td class=\"n\">{mbit:.0}</td><td class=\"n\">{remain}</td></tr>",
            id = attr(&m.task_id),
            name = esc(&m.name),
            state = esc(&m.state),
            step = esc(&m.step),
            p = m.progress,
            mbit = m.mbit,
            remain = m.remain_secs,
        );
    }
    empty_row(&mut h, p.migrations.is_empty(), 6);
    h.push_str("</table>\n<h2>Armed faults</h2>\n<table id=\"faults\"><tr><th>task</th><th>fails at</th><th>error</th><th>disconnect</th><th>fired</th></tr>\n");
    for f in p.faults {
        let text = |key: &str| f[key].as_str().unwrap_or("").to_owned();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&text("task_name")),
            esc(&text("subtask")),
            esc(&text("error_code")),
            if f["disconnect"] == true { "yes" } else { "" },
            if f["fired_ms"].is_i64() { "yes" } else { "" },
        );
    }
    empty_row(&mut h, p.faults.is_empty(), 5);
    h.push_str("</table>\n<h2>HTTP fault rules</h2>\n<table id=\"rules\"><tr><th>id</th><th>method</th><th>path</th><th>action</th><th>fired</th></tr>\n");
    for r in p.rules {
        let times = r.times.map_or_else(String::new, |t| format!(" of {t}"));
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{}</td><td class=\"n\">{}{}</td></tr>",
            esc(&r.id),
            esc(&r.method),
            esc(&r.path),
            esc(&r.action),
            r.fired,
            esc(&times)
        );
    }
    empty_row(&mut h, p.rules.is_empty(), 5);
    let (journal_on, journal_rows) = p.journal;
    let _ = writeln!(
        h,
        "</table>\n<h2>Request journal</h2>\n<p id=\"journal\">{}: {journal_rows} entries (<code>GET /_cloudtwin/journal</code>)</p>\n\
         <table id=\"journal-latest\"><tr><th>request id</th><th>method</th><th>path</th><th>status</th><th>caller</th><th>fault</th></tr>",
        if journal_on { "on" } else { "off" }
    );
    for e in p.latest {
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&e.request_id),
            esc(&e.method),
            esc(&e.path),
            e.status,
            esc(e.caller.as_deref().unwrap_or("")),
            esc(e.fault_id.as_deref().unwrap_or(""))
        );
    }
    empty_row(&mut h, p.latest.is_empty(), 6);
    h.push_str("</table>\n");
    h.push_str("<h2>Recent requests</h2>\n<table id=\"recent\"><tr><th>time (UTC)</th><th>method</th><th>path</th><th>status</th><th>latency (ms)</th></tr>\n");
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
            clock: ("manual", time::OffsetDateTime::UNIX_EPOCH),
            migrations: &[Migration {
                task_id: "t\"1".into(),
                name: "<i>".into(),
                state: "RUNNING".into(),
                step: "MIGRATE_LINUX_BLOCK".into(),
                progress: 40,
                mbit: 1000.0,
                remain_secs: 3,
            }],
            faults: &[],
            rules: &[Rule {
                id: "f".into(),
                method: "any".into(),
                path: "/v3/<x>".into(),
                action: "respond before".into(),
                fired: 1,
                times: Some(2),
            }],
            journal: (true, 3),
            latest: &[],
            watchers: 0,
        });
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<i>"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("/tmp/a&amp;b.db"));
        assert!(html.contains("<meta http-equiv=\"refresh\" content=\"5\">"));
    }
}

/// The status page in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(page))]
pub struct Api;
