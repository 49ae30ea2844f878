//! `sms/templates`: a project's server templates and how many tasks use each.

use actix_web::{HttpResponse, web};
use maud::html;

use super::layout::{self, empty_row, pager};
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
        store::templates(&mut tx, project, &q.after, PAGE + 1)
            .await
            .map_err(db_error)?,
    );
    drop(tx);
    let next = more.then(|| rows.last().map(|r| r.id.as_str())).flatten();
    let body = html! {
        (sms_nav("sms/templates", "sms/templates", project, &projects))
        table #template-list {
            tr { th { "name" } th { "id" } th { "region" } th { "zone" } th { "flavor" } th { "volume type" } th { "tasks" } }
            @for t in &rows {
                tr { td { (t.name) } td { code { (t.id) } } td { (t.region) } td { (t.availability_zone) }
                     td { (t.flavor) } td { (t.volumetype) } td.n { (t.tasks) } }
            }
            (empty_row(rows.is_empty(), 7))
        }
        (pager("sms/templates", &[("project", project)], next, rows.len()))
    };
    Ok(layout::page("Server templates", "sms/tasks", None, body))
}
