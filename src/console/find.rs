//! `find?id=`: the header's search box. An id of a task, source server, template,
//! service or instance leads to its page; anything else is a page saying so.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::db_error;
use super::layout::{self, href};
use super::store::{self, Found};
use crate::error::TwinError;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct FindQuery {
    #[serde(default)]
    id: String,
}

pub async fn page(
    state: web::Data<AppState>,
    query: web::Query<FindQuery>,
) -> Result<HttpResponse, TwinError> {
    let id = query.id.trim();
    let mut tx = state.db.read().await.map_err(db_error)?;
    let found = store::find(&mut tx, id).await.map_err(db_error)?;
    drop(tx);
    let target = found.map(|f| match f {
        Found::Task => href(&format!("sms/tasks/{id}"), &[]),
        Found::Source(project) => href("sms/sources", &[("project", &project), ("id", id)]),
        Found::Template(project) => href("sms/templates", &[("project", &project)]),
        Found::Service(domain, project) => href(
            "registry/service",
            &[("domain", &domain), ("project", &project), ("id", id)],
        ),
        Found::Instance(domain, project, service) => href(
            "registry/service",
            &[("domain", &domain), ("project", &project), ("id", &service)],
        ),
    });
    Ok(match target {
        Some(url) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, url))
            .finish(),
        None => {
            let body = html! { p #not-found { "Nothing has the id " code { (id) } ": no task, source server, template, service or instance." } };
            let mut res = layout::page("Not found", "", None, body);
            *res.status_mut() = actix_web::http::StatusCode::NOT_FOUND;
            res
        }
    })
}
