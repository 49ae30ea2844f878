//! `sms/tasks`: a project's migration tasks, newest first, with their simulated progress;
//! `sms/tasks/{id}`: one task with its subtask timeline, source, template and error.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{self, empty_row, href, pager};
use super::store::sms::{self as store, ProjectLine, TaskFilter};
use super::{PAGE, db_error, internal, split_page};
use crate::error::TwinError;
use crate::sms::store as sms_store;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub project: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    after: String,
}

/// The project a list shows: the one asked for, else the one with the most tasks.
pub fn chosen<'a>(asked: &'a str, projects: &'a [ProjectLine]) -> &'a str {
    if asked.is_empty() {
        projects.first().map_or("", |p| p.id.as_str())
    } else {
        asked
    }
}

/// The SMS pages' second row of links, and the project picker of a list.
pub fn sms_nav(current: &str, path: &str, project: &str, projects: &[ProjectLine]) -> Markup {
    let pages = [
        ("sms/tasks", "Tasks"),
        ("sms/sources", "Source servers"),
        ("sms/templates", "Templates"),
        ("sms/migprojects", "Migration projects"),
    ];
    html! {
        p {
            @for (i, (page, label)) in pages.iter().enumerate() {
                @if i > 0 { " · " }
                @if *page == current { strong { (label) } } @else { a href=(href(page, &[("project", project)])) { (label) } }
            }
        }
        form.filter method="get" action={ (layout::ROOT) (path) } {
            label { "project " select name="project" {
                @for p in projects {
                    option value=(p.id) selected[p.id == project] { (p.domain) " / " (p.name) " (" (p.tasks) " tasks)" }
                }
            } }
            button type="submit" { "Show" }
        }
    }
}

pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, TwinError> {
    let q = query.into_inner();
    let after = match q.after.split_once('~') {
        Some((date, id)) => Some((
            date.parse::<i64>().map_err(|_| {
                TwinError::Rejected(
                    "after: not a cursor of this list".into(),
                    StatusCode::BAD_REQUEST,
                )
            })?,
            id,
        )),
        None if q.after.is_empty() => None,
        None => {
            return Err(TwinError::Rejected(
                "after: not a cursor of this list".into(),
                StatusCode::BAD_REQUEST,
            ));
        }
    };
    let now = state.clock.now_ms();
    let mut tx = state.db.read().await.map_err(db_error)?;
    let projects = store::projects(&mut tx).await.map_err(db_error)?;
    let project = chosen(&q.project, &projects);
    let filter = TaskFilter {
        project,
        state: &q.state,
        name: &q.name,
        after,
    };
    let (rows, more) = split_page(
        store::tasks(&mut tx, &filter, PAGE + 1)
            .await
            .map_err(db_error)?,
    );
    let total = store::task_count(&mut tx, project)
        .await
        .map_err(db_error)?;
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let runs = sms_store::simulation::runs_of(&mut tx, &ids)
        .await
        .map_err(internal)?;
    drop(tx);
    let pairs = [
        ("project", project),
        ("state", q.state.as_str()),
        ("name", q.name.as_str()),
    ];
    let next = more
        .then(|| rows.last().map(|r| format!("{}~{}", r.create_date, r.id)))
        .flatten();
    let body = html! {
        (sms_nav("sms/tasks", "sms/tasks", project, &projects))
        form.filter method="get" action={ (layout::ROOT) "sms/tasks" } {
            input type="hidden" name="project" value=(project);
            label { "state " input name="state" value=(q.state) size="16" placeholder="e.g. RUNNING"; }
            label { "name contains " input name="name" value=(q.name) size="16"; }
            button type="submit" { "Filter" }
        }
        p { (total) " tasks in this project" }
        table #task-list {
            tr { th { "name" } th { "state" } th { "type" } th { "source" } th { "created" } th { "progress" } th { "Mbit/s" } th { "remaining" } }
            @for t in &rows {
                @let snap = runs.get(&t.id).and_then(|r| r.snapshot(now));
                tr {
                    td { a href=(href(&format!("sms/tasks/{}", t.id), &[])) { (t.name) } }
                    td { (t.state) } td { (t.kind) }
                    td { @if let Some(id) = &t.source_id { a href=(href("sms/sources", &[("project", project), ("id", id)])) { (t.source_name.as_deref().unwrap_or(id)) } } }
                    td { (layout::when(Some(t.create_date))) }
                    @if let Some(s) = &snap {
                        td.n { progress max="100" value=(s.progress) {} " " (s.progress) " %" }
                        td.n { (format!("{:.0}", s.mbit)) }
                        td.n { (layout::duration((s.remain_ms + 999) / 1000)) }
                    } @else {
                        td {} td.n { (t.migrate_speed.filter(|s| *s > 0.0).map(|s| format!("{s:.0}")).unwrap_or_default()) }
                        td.n { (t.remain_seconds.filter(|s| *s > 0).map(layout::duration).unwrap_or_default()) }
                    }
                }
            }
            (empty_row(rows.is_empty(), 8))
        }
        (pager("sms/tasks", &pairs, next.as_deref(), rows.len()))
    };
    Ok(layout::page("Migration tasks", "sms/tasks", None, body))
}

pub async fn detail(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, TwinError> {
    let now = state.clock.now_ms();
    let mut tx = state.db.read().await.map_err(db_error)?;
    let task = store::task(&mut tx, &id)
        .await
        .map_err(db_error)?
        .ok_or_else(|| TwinError::Rejected(format!("no task {id}"), StatusCode::NOT_FOUND))?;
    let subtasks = store::subtasks(&mut tx, &id).await.map_err(db_error)?;
    let run = sms_store::simulation::run_of(&mut tx, &id)
        .await
        .map_err(internal)?;
    let fault = sms_store::faults::fault(&mut tx, &id)
        .await
        .map_err(db_error)?;
    drop(tx);
    let snap = run.as_ref().and_then(|r| r.snapshot(now));
    let project = task.project_id.as_str();
    let body = html! {
        p { a href=(href("sms/tasks", &[("project", project)])) { "← tasks of this project" } }
        dl {
            dt { "id" } dd { code { (task.id) } }
            dt { "state" } dd #task-state { (task.state) }
            dt { "type" } dd { (task.kind) " · " (task.os_type) }
            dt { "source server" } dd { @if let Some(s) = &task.source_id {
                a href=(href("sms/sources", &[("project", project), ("id", s)])) { (task.source_name.as_deref().unwrap_or(s)) }
            } }
            dt { "template" } dd { @if let Some(t) = &task.vm_template_id {
                a href=(href("sms/templates", &[("project", project)])) { (task.template_name.as_deref().unwrap_or(t)) }
            } }
            dt { "region" } dd { (task.region_name.as_deref().unwrap_or("")) }
            dt { "created" } dd { (layout::when(Some(task.create_date))) }
            dt { "started" } dd { (layout::when(task.start_date)) }
            dt { "finished" } dd { (layout::when(task.finish_date)) }
            @if let Some(s) = &snap {
                dt { "now" } dd #task-progress { (s.step.as_str()) " " progress max="100" value=(s.progress) {} " " (s.progress) " %, "
                    (format!("{:.0}", s.mbit)) " Mbit/s, " (layout::duration((s.remain_ms + 999) / 1000)) " left" }
            }
        }
        h2 { "Subtasks" }
        table #subtasks {
            tr { th { "subtask" } th { "progress" } th { "started" } th { "ended" } }
            @for s in &subtasks {
                tr { td { (s.name) } td.n { progress max="100" value=(s.progress) {} " " (s.progress) " %" }
                     td { (layout::when(s.start_date)) } td { (layout::when(s.end_date)) } }
            }
            (empty_row(subtasks.is_empty(), 4))
        }
        @if let Some(f) = &fault {
            h2 { a href=(href("faults", &[])) { "Armed fault" } }
            p { "fails at " (f.subtask.as_deref().unwrap_or("(silent agent)")) " with " code { (f.error_code) }
                @if f.fired_ms.is_some() { " — fired" } }
        }
        @if let Some(target) = task.target_server.as_deref().filter(|t| !t.is_empty() && *t != "{}") {
            h2 { "Target server" } pre { (layout::pretty(target)) }
        }
        @if let Some(error) = task.error_json.as_deref().filter(|e| !e.is_empty()) {
            h2.warn { "Error" } pre #task-error { (layout::pretty(error)) }
        }
    };
    Ok(layout::page(
        &format!("Task {}", task.name),
        "sms/tasks",
        None,
        body,
    ))
}
