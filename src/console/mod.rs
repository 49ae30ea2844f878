//! The console: server-rendered pages under `/_cloudtwin/console/` that show what the
//! twin holds (tasks, sources, services, instances and their leases, accounts, the
//! journal, fault rules) and drive its test controls. One file per page, as in the API
//! areas; the pages read through `store/` and through the registry's read model, and
//! their forms call the same functions the `/_cloudtwin` JSON routes call. No script:
//! every page is plain HTML and forms, so it works offline and under a policy that
//! forbids scripts.

mod admin;
mod faults;
mod find;
mod graph;
mod identity;
mod journal;
mod layout;
mod login;
mod migprojects;
mod overview;
mod registry;
mod services;
mod sources;
pub mod store;
mod tasks;
mod templates;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};

use crate::error::{Rejection, TwinError};

pub use overview::Api;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/console/").get(overview::page))
        .service(web::resource("/console/console.css").get(style))
        .service(web::resource("/console/find").get(find::page))
        .service(
            web::resource("/console/login")
                .get(login::page)
                .post(login::submit),
        )
        .service(web::resource("/console/clock").post(overview::clock))
        .service(web::resource("/console/sms/tasks").get(tasks::list))
        .service(web::resource("/console/sms/tasks/{id}").get(tasks::detail))
        .service(web::resource("/console/sms/sources").get(sources::list))
        .service(web::resource("/console/sms/templates").get(templates::list))
        .service(web::resource("/console/sms/migprojects").get(migprojects::list))
        .service(web::resource("/console/registry").get(registry::tenants))
        .service(web::resource("/console/registry/services").get(registry::services))
        .service(web::resource("/console/registry/service").get(services::detail))
        .service(web::resource("/console/registry/graph").get(graph::page))
        .service(web::resource("/console/identity").get(identity::page))
        .service(web::resource("/console/journal").get(journal::page))
        .service(web::resource("/console/journal/clear").post(journal::clear))
        .service(web::resource("/console/faults").get(faults::page))
        .service(web::resource("/console/faults/add").post(faults::add))
        .service(web::resource("/console/faults/remove").post(faults::remove))
        .service(web::resource("/console/faults/disarm").post(faults::disarm))
        .service(web::resource("/console/admin").get(admin::page))
        .service(web::resource("/console/admin/reset").post(admin::reset))
        .service(web::resource("/console/admin/snapshot").post(admin::snapshot));
}

/// Rows per page of every list.
const PAGE: i64 = 50;

async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "max-age=3600"))
        .body(layout::STYLE)
}

fn db_error(e: sqlx::Error) -> TwinError {
    TwinError::from_db(e)
}

fn internal(e: impl std::fmt::Display) -> TwinError {
    Rejection::Internal(e.to_string()).into()
}

/// After a form did its work: back to the page that shows the result, with a note.
fn see_other(path: &str, note: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, layout::href(path, &[("note", note)])))
        .finish()
}

/// The query of a list that pages through one project's rows.
#[derive(serde::Deserialize)]
pub struct ProjectPage {
    #[serde(default)]
    project: String,
    #[serde(default)]
    after: String,
}

/// The note a form leaves for the page it leads back to (`?note=`).
#[derive(serde::Deserialize)]
pub struct Note {
    pub note: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct Confirm {
    #[serde(default)]
    pub confirm: String,
}

impl Confirm {
    /// A form that destroys something carries a ticked box; a bare POST is refused.
    pub fn check(&self) -> Result<(), TwinError> {
        if self.confirm == "yes" {
            Ok(())
        } else {
            Err(TwinError::Rejected(
                "tick the confirmation box (confirm=yes)".into(),
                StatusCode::BAD_REQUEST,
            ))
        }
    }
}

/// A page's rows beyond `PAGE` only say that another page exists.
fn split_page<T>(mut rows: Vec<T>) -> (Vec<T>, bool) {
    let more = rows.len() > PAGE as usize;
    rows.truncate(PAGE as usize);
    (rows, more)
}
