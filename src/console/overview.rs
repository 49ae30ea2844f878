//! `GET /_cloudtwin/console/`: the overview. Counts of everything, the database and its
//! schema, the clock with its controls, simulated migrations, faults, the journal's
//! newest entries and the bounded in-memory log of recent requests.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{self, empty_row, href};
use super::store::overview as store;
use super::{Note, db_error, internal, see_other};
use crate::admin::clock::ClockChange;
use crate::error::TwinError;
use crate::sms::store as sms_store;
use crate::state::AppState;
use crate::telemetry::{RecentRequests, RequestRecord};

/// How many recent requests the page shows.
const RECENT_SHOWN: usize = 20;

/// How many journal entries the page shows.
const JOURNAL_SHOWN: i64 = 10;

/// How many simulated migrations and faults the page shows.
const SIMULATED_SHOWN: i64 = 50;

#[utoipa::path(
    get,
    path = "/_cloudtwin/console/",
    tag = "cloudtwin",
    operation_id = "cloudtwin_page",
    responses((status = 200, description = "The console's overview", body = String, content_type = "text/html"))
)]
pub async fn page(
    state: web::Data<AppState>,
    registry: web::Data<crate::registry::Model>,
    recent: web::Data<RecentRequests>,
    watchers: Option<web::Data<crate::registry::Watchers>>,
    note: web::Query<Note>,
) -> Result<HttpResponse, TwinError> {
    // The journal's waiting batch first, so the page shows every earlier request.
    state.journal.flush().await;
    let now = state.clock.now_ms();
    let mut tx = state.db.read().await.map_err(db_error)?;
    let tasks = store::tasks_by_state(&mut tx).await.map_err(db_error)?;
    let sources = store::sources_by_state(&mut tx).await.map_err(db_error)?;
    let migrations: Vec<Migration> = sms_store::simulation::running(&mut tx, SIMULATED_SHOWN)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|r| Migration::new(r, now))
        .collect();
    let faults = sms_store::faults::faults(&mut tx, SIMULATED_SHOWN)
        .await
        .map_err(db_error)?;
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
    let version = state.db.schema_version().await.map_err(db_error)?;
    let file_bytes = ["", "-wal"]
        .iter()
        .filter_map(|suffix| {
            let mut path = state.db.path().as_os_str().to_owned();
            path.push(suffix);
            std::fs::metadata(path).ok().map(|m| m.len())
        })
        .sum();
    let body = render(&Page {
        database: &state.db.path().display().to_string(),
        file_bytes,
        schema_version: version,
        tasks: &tasks,
        sources: &sources,
        tenants: &registry.tenant_counts(now),
        recent: &recent.latest(RECENT_SHOWN),
        clock: (state.clock.mode().as_str(), now),
        migrations: &migrations,
        faults: &faults,
        rules: state.faults.list().len(),
        journal: (state.journal.enabled(), journal_rows),
        latest: &latest,
        watchers: watchers.map_or(0, |w| w.count()),
        note: note.note.as_deref(),
    });
    Ok(layout::page("Overview", "", Some(5), body))
}

#[derive(Deserialize)]
pub struct ClockForm {
    #[serde(default)]
    mode: String,
    #[serde(default)]
    advance_secs: String,
}

/// `POST /_cloudtwin/console/clock`: the overview's clock form.
pub async fn clock(
    state: web::Data<AppState>,
    form: web::Form<ClockForm>,
) -> Result<HttpResponse, TwinError> {
    let bad = |why: String| TwinError::Rejected(why, StatusCode::BAD_REQUEST);
    let mode = match form.mode.as_str() {
        "" => None,
        m => Some(serde_json::from_value(serde_json::json!(m)).map_err(|e| bad(e.to_string()))?),
    };
    let advance_secs = match form.advance_secs.trim() {
        "" => None,
        n => Some(
            n.parse()
                .map_err(|_| bad(format!("advance_secs: not a whole number: {n}")))?,
        ),
    };
    super::super::admin::clock::apply(&state, ClockChange { mode, advance_secs }).await?;
    Ok(see_other("", "clock changed"))
}

pub struct Page<'a> {
    pub database: &'a str,
    /// The database file and its write-ahead log.
    pub file_bytes: u64,
    pub schema_version: i64,
    pub tasks: &'a [(String, i64)],
    pub sources: &'a [(String, i64, i64)],
    /// Tenants with their services and live instances.
    pub tenants: &'a [(crate::registry::domain::Tenant, usize, usize)],
    pub recent: &'a [RequestRecord],
    /// The clock's mode and simulated time.
    pub clock: (&'a str, i64),
    pub migrations: &'a [Migration],
    pub faults: &'a [sms_store::faults::FaultRow],
    /// HTTP fault rules in force.
    pub rules: usize,
    /// Whether the journal is on, and its rows.
    pub journal: (bool, i64),
    /// The journal's newest entries (written ones: the last batch may still wait).
    pub latest: &'a [crate::journal::Entry],
    /// Open registry watch sockets.
    pub watchers: usize,
    pub note: Option<&'a str>,
}

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
    pub fn new(r: sms_store::simulation::RunningTask, now: i64) -> Self {
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

/// Renders the overview's body; every value from the database or a request goes
/// through maud's escaping.
pub fn render(p: &Page<'_>) -> Markup {
    let (mode, now) = p.clock;
    html! {
        @if let Some(note) = p.note { p.flash { (note) } }
        @let expected = crate::db::expected_schema_version();
        p { "health: " strong #health { @if p.schema_version >= expected { "ready" } @else { "not ready: schema " (p.schema_version) " of " (expected) } }
            " (the same check as " a href="/ready" { code { "/ready" } } ")" }
        p { "database " code #database { (p.database) } " (" (layout::bytes(p.file_bytes)) "), schema version "
            span #schema-version { (p.schema_version) } }
        p { "clock " span #clock-mode { (mode) } ", simulated time " span #clock-now { (layout::when(Some(now))) } }
        form.inline method="post" action={ (layout::ROOT) "clock" } {
            label { "advance by " input type="number" name="advance_secs" min="0" value="60" size="6"; " s" }
            select name="mode" aria-label="clock mode" {
                option value="" { "keep mode" }
                option value="manual" { "manual" }
                option value="real" { "real" }
            }
            button type="submit" { "Apply" }
        }
        h2 { a href=(href("sms/tasks", &[])) { "Migration tasks" } " by state" }
        table #tasks {
            tr { th { "state" } th { "tasks" } }
            @for (state, n) in p.tasks {
                tr id={ "task-" (state) } { td { (state) } td.n { (n) } }
            }
            (empty_row(p.tasks.is_empty(), 2))
        }
        h2 { a href=(href("sms/sources", &[])) { "Source servers" } " by state" }
        table #sources {
            tr { th { "state" } th { "servers" } th { "connected" } }
            @for (state, n, connected) in p.sources {
                tr id={ "source-" (state) } { td { (state) } td.n { (n) } td.n { (connected) } }
            }
            (empty_row(p.sources.is_empty(), 3))
        }
        h2 { a href=(href("registry", &[])) { "Registry tenants" } }
        table #registry {
            tr { th { "domain" } th { "project" } th { "microservices" } th { "live instances" } }
            @for (tenant, services, live) in p.tenants {
                tr {
                    td { (tenant.domain) }
                    td { a href=(href("registry/services", &[("domain", &tenant.domain), ("project", &tenant.project)])) { (tenant.project) } }
                    td.n { (services) } td.n { (live) }
                }
            }
            (empty_row(p.tenants.is_empty(), 4))
        }
        p { "registry watch sockets open: " span #watchers { (p.watchers) } }
        h2 { "Simulated migrations" }
        table #migrations {
            tr { th { "task" } th { "state" } th { "subtask" } th { "progress" } th { "Mbit/s" } th { "remaining (s)" } }
            @for m in p.migrations {
                tr id={ "migration-" (m.task_id) } {
                    td { a href=(href(&format!("sms/tasks/{}", m.task_id), &[])) { (m.name) } }
                    td { (m.state) } td { (m.step) }
                    td.n { progress max="100" value=(m.progress) {} " " (m.progress) " %" }
                    td.n { (format!("{:.0}", m.mbit)) } td.n { (m.remain_secs) }
                }
            }
            (empty_row(p.migrations.is_empty(), 6))
        }
        h2 { a href=(href("faults", &[])) { "Armed faults" } }
        table #faults {
            tr { th { "task" } th { "fails at" } th { "error" } th { "disconnect" } th { "fired" } }
            @for f in p.faults {
                tr {
                    td { (f.task_name) } td { (f.subtask.as_deref().unwrap_or("")) } td { (f.error_code) }
                    td { @if f.disconnect { "yes" } } td { @if f.fired_ms.is_some() { "yes" } }
                }
            }
            (empty_row(p.faults.is_empty(), 5))
        }
        p { a href=(href("faults", &[])) { "HTTP fault rules" } ": " span #rules { (p.rules) } " in force" }
        h2 { a href=(href("journal", &[])) { "Request journal" } }
        p #journal { (if p.journal.0 { "on" } else { "off" }) ": " (p.journal.1) " entries" }
        table #journal-latest {
            tr { th { "request id" } th { "method" } th { "path" } th { "status" } th { "caller" } th { "fault" } }
            @for e in p.latest {
                tr {
                    td { code { (e.request_id) } } td { (e.method) } td { code { (e.path) } } td.n { (e.status) }
                    td { (e.caller.as_deref().unwrap_or("")) } td { (e.fault_id.as_deref().unwrap_or("")) }
                }
            }
            (empty_row(p.latest.is_empty(), 6))
        }
        h2 { "Recent requests" }
        table #recent {
            tr { th { "time (UTC)" } th { "method" } th { "path" } th { "status" } th { "latency (ms)" } }
            @for r in p.recent {
                tr {
                    td { (r.at.format(time::macros::format_description!("[hour]:[minute]:[second].[subsecond digits:3]")).unwrap_or_default()) }
                    td { (r.method) } td { code { (r.path) } } td.n { (r.status) } td.n { (format!("{:.1}", r.latency_ms)) }
                }
            }
            (empty_row(p.recent.is_empty(), 5))
        }
        p.empty { "Refreshes every 5 seconds. Requests for the console are not listed." }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_is_escaped() {
        let recent = RecentRequests::new(3);
        recent.record("GET", "/v3/<script>alert(1)</script>", 404, 0.5);
        let tenant = crate::registry::domain::Tenant {
            domain: "d\"".into(),
            project: "p".into(),
        };
        let html = render(&Page {
            database: "/tmp/a&b.db",
            file_bytes: 0,
            schema_version: 4,
            tasks: &[("<b>".into(), 1)],
            sources: &[],
            tenants: &[(tenant, 1, 2)],
            recent: &recent.latest(5),
            clock: ("manual", 0),
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
            rules: 1,
            journal: (true, 3),
            latest: &[],
            watchers: 0,
            note: Some("<script>"),
        })
        .into_string();
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<i>"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("/tmp/a&amp;b.db"));
    }
}

/// The overview in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(page))]
pub struct Api;
