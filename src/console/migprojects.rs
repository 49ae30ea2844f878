//! `sms/migprojects`: a project's migration projects and how many servers each holds.

use actix_web::{HttpResponse, web};
use maud::html;

use super::layout::{self, empty_row, href, pager};
use super::store::sms as store;
use super::tasks::{chosen, sms_nav};
use super::{PAGE, ProjectPage, db_error, split_page};
use crate::error::TwinError;
use crate::state::AppState;

pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<ProjectPage>,
) -> Result<HttpResponse, TwinError> {
    let q = query.into_inner();
    let mut tx = state.db.read().await.map_err(db_error)?;
    let projects = store::projects(&mut tx).await.map_err(db_error)?;
    let project = chosen(&q.project, &projects);
    let (rows, more) = split_page(
        store::migprojects(&mut tx, project, &q.after, PAGE + 1)
            .await
            .map_err(db_error)?,
    );
    drop(tx);
    let next = more.then(|| rows.last().map(|r| r.id.as_str())).flatten();
    let body = html! {
        (sms_nav("sms/migprojects", "sms/migprojects", project, &projects))
        table #migproject-list {
            tr { th { "name" } th { "id" } th { "default" } th { "region" } th { "type" } th { "servers" } th { "description" } }
            @for m in &rows {
                tr { td { (m.name) } td { code { (m.id) } } td { @if m.isdefault { "default" } } td { (m.region) }
                     td { (m.kind) } td.n { a href=(href("sms/sources", &[("project", project)])) { (m.sources) } } td { (m.description) } }
            }
            (empty_row(rows.is_empty(), 7))
        }
        (pager("sms/migprojects", &[("project", project)], next, rows.len()))
    };
    Ok(layout::page("Migration projects", "sms/tasks", None, body))
}
