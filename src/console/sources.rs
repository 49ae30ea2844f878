//! `sms/sources`: a project's source servers: state, whether the agent is connected,
//! when it was last seen, and the task migrating each one.

use actix_web::{HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::layout::{self, empty_row, href, pager};
use super::store::sms::{self as store, SourceFilter};
use super::tasks::{chosen, sms_nav};
use super::{PAGE, db_error, split_page};
use crate::error::TwinError;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    project: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    after: String,
}

pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, TwinError> {
    let q = query.into_inner();
    let mut tx = state.db.read().await.map_err(db_error)?;
    let projects = store::projects(&mut tx).await.map_err(db_error)?;
    let project = chosen(&q.project, &projects);
    let filter = SourceFilter {
        project,
        state: &q.state,
        id: &q.id,
        after: &q.after,
    };
    let (rows, more) = split_page(
        store::sources(&mut tx, &filter, PAGE + 1)
            .await
            .map_err(db_error)?,
    );
    drop(tx);
    let pairs = [
        ("project", project),
        ("state", q.state.as_str()),
        ("id", q.id.as_str()),
    ];
    let next = more.then(|| rows.last().map(|r| r.id.as_str())).flatten();
    let body = html! {
        (sms_nav("sms/sources", "sms/sources", project, &projects))
        form.filter method="get" action={ (layout::ROOT) "sms/sources" } {
            input type="hidden" name="project" value=(project);
            label { "state " input name="state" value=(q.state) size="16" placeholder="e.g. replicate"; }
            button type="submit" { "Filter" }
        }
        table #source-list {
            tr { th { "name" } th { "id" } th { "ip" } th { "os" } th { "state" } th { "agent" } th { "last seen" } th { "current task" } }
            @for s in &rows {
                tr id={ "source-" (s.id) } {
                    td { (s.name) } td { code { (s.id) } } td { (s.ip) } td { (s.os_type.as_deref().unwrap_or("")) } td { (s.state) }
                    td { @if s.connected { "connected" } @else { "not connected" } " " (s.agent_version) }
                    td { (layout::when(s.last_visit_time.filter(|t| *t > 0))) }
                    td { @if let Some(t) = s.current_task_id.as_deref().filter(|t| !t.is_empty()) {
                        a href=(href(&format!("sms/tasks/{t}"), &[])) { "task" }
                    } }
                }
            }
            (empty_row(rows.is_empty(), 8))
        }
        (pager("sms/sources", &pairs, next, rows.len()))
    };
    Ok(layout::page("Source servers", "sms/tasks", None, body))
}
