//! SMS v3 over HTTP, one file per resource: source servers, migration tasks, and the
//! `/_cloudtwin/sms` admin controls that tests use to put servers into a state and to arm
//! faults on simulated migrations. Each
//! handler checks the permission, parses its input, and opens the transaction the
//! store functions run in.

mod admin;
mod agent;
mod config;
pub mod faults;
mod migprojects;
mod shapes;
mod sources;
mod task_settings;
mod tasks;
mod templates;
mod versions;
mod views;

pub use versions::CONSOLE;

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::OpenApi;

use super::domain::BatchIds;
use super::error::SmsError;
use super::store;
use crate::iam::Caller;
use crate::state::AppState;

/// Routes relative to the authenticated `/v3` scope.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(config::routes)
        .configure(migprojects::routes)
        .configure(sources::routes)
        .configure(templates::routes)
        .configure(task_settings::routes)
        .configure(agent::routes)
        .configure(tasks::routes)
        .configure(agent::network_check_route);
}

/// The routes that need no credential (`GET /`, `GET /{version}`), at the top level.
pub fn public_routes(cfg: &mut web::ServiceConfig) {
    versions::routes(cfg);
}

/// Admin controls, relative to `/_cloudtwin/sms`.
pub fn admin_routes(cfg: &mut web::ServiceConfig) {
    admin::routes(cfg);
    faults::routes(cfg);
}

/// The SMS operations (and their admin controls) in the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = versions::Api::openapi();
    for part in [
        config::Api::openapi(),
        migprojects::Api::openapi(),
        sources::Api::openapi(),
        templates::Api::openapi(),
        task_settings::Api::openapi(),
        agent::Api::openapi(),
        tasks::Api::openapi(),
        admin::Api::openapi(),
        faults::Api::openapi(),
    ] {
        doc.merge(part);
    }
    doc
}

fn project(caller: &Caller) -> Result<&str, SmsError> {
    caller
        .project_id
        .as_deref()
        .ok_or_else(|| SmsError::Internal("authenticated caller without a project".into()))
}

fn empty_ok() -> HttpResponse {
    HttpResponse::Ok().json(json!({}))
}

/// What a batch (or single) delete removes; both share the all-or-nothing rule.
enum Deletion {
    Tasks,
    Sources,
}

async fn delete_all(
    state: &AppState,
    caller: &Caller,
    what: Deletion,
    ids: &BatchIds,
) -> Result<HttpResponse, SmsError> {
    let project = project(caller)?;
    let rule = state.settings.sms.delete_rule;
    state
        .db
        .write(async |conn| match what {
            Deletion::Tasks => store::delete_tasks(conn, project, ids, rule).await,
            Deletion::Sources => store::delete_sources(conn, project, ids, rule).await,
        })
        .await?;
    Ok(empty_ok())
}

#[derive(Deserialize)]
struct IdsBody {
    ids: Option<Value>,
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}
