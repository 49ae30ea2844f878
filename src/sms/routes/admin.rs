//! `/_cloudtwin/sms`: put a source server or a task into any state, for tests.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::super::domain::{SourceState, TaskState};
use super::super::store;
use super::*;
use crate::error::TwinError;
use crate::extract::JsonBody;
use crate::kit::Replies;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/sources/{id}").put(admin_source))
        .service(web::resource("/tasks/{id}").put(admin_task));
}

#[derive(Deserialize)]
struct AdminSourceBody {
    state: Option<String>,
    connected: Option<bool>,
}

fn bad(msg: String) -> TwinError {
    TwinError::Rejected(msg, actix_web::http::StatusCode::BAD_REQUEST)
}

fn missing(what: &str, id: &str) -> TwinError {
    TwinError::Rejected(
        format!("no {what} with id {id}"),
        actix_web::http::StatusCode::NOT_FOUND,
    )
}

/// `PUT /_cloudtwin/sms/sources/{id}` `{"state": "replicate", "connected": true}`.
#[utoipa::path(
    put,
    path = "/_cloudtwin/sms/sources/{id}",
    tag = "cloudtwin admin",
    operation_id = "admin_admin_source",
    params(("id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn admin_source(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody<AdminSourceBody>,
) -> Result<HttpResponse, TwinError> {
    let body = body.parse()?;
    let new_state = body
        .state
        .as_deref()
        .map(|s| SourceState::parse(s).ok_or_else(|| bad(format!("unknown source state {s:?}"))))
        .transpose()?;
    let found = state
        .db
        .write(async |conn| {
            store::force_source_state(conn, &id, new_state, body.connected, state.clock.now_ms())
                .await
        })
        .await
        .map_err(TwinError::from_db)?;
    if !found {
        return Err(missing("source server", &id));
    }
    Ok(empty_ok())
}

#[derive(Deserialize)]
struct AdminTaskBody {
    state: String,
}

/// `PUT /_cloudtwin/sms/tasks/{id}` `{"state": "MIGRATE_SUCCESS"}`.
#[utoipa::path(
    put,
    path = "/_cloudtwin/sms/tasks/{id}",
    tag = "cloudtwin admin",
    operation_id = "admin_admin_task",
    params(("id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn admin_task(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody<AdminTaskBody>,
) -> Result<HttpResponse, TwinError> {
    let body = body.parse()?;
    let new_state = TaskState::parse(&body.state)
        .ok_or_else(|| bad(format!("unknown task state {:?}", body.state)))?;
    let found = state
        .db
        .write(async |conn| store::force_task_state(conn, &id, new_state).await)
        .await
        .map_err(TwinError::from_db)?;
    if !found {
        return Err(missing("migration task", &id));
    }
    Ok(empty_ok())
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(admin_source, admin_task))]
pub struct Api;
