//! `/_cloudtwin/sms/tasks/{id}/fault`: arm a failure on a simulated migration (fail at a
//! subtask, or make the source's agent go silent), look at it, remove it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::super::domain::{Fault, FaultBody};
use super::super::store::faults::{self, FaultRow};
use crate::error::TwinError;
use crate::extract::JsonBody;
use crate::kit::Replies;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/tasks/{id}/fault")
            .post(arm)
            .get(show)
            .delete(disarm),
    );
}

/// A fault as the routes show it.
pub fn view(f: &FaultRow) -> Value {
    let params: Value = serde_json::from_str(&f.error_param).unwrap_or_else(|_| json!([]));
    json!({
        "task_id": f.task_id, "task_name": f.task_name, "subtask": f.subtask,
        "error_code": f.error_code, "error_param": params, "disconnect": f.disconnect,
        "disconnect_at_ms": f.disconnect_due_ms, "armed_ms": f.armed_ms,
        "fired_ms": f.fired_ms,
    })
}

fn missing(id: &str, what: &str) -> TwinError {
    TwinError::Rejected(format!("no {what} for task {id}"), StatusCode::NOT_FOUND)
}

/// `POST /_cloudtwin/sms/tasks/{id}/fault` with `{"subtask", "error_code", "error_param"}`
/// and/or `{"disconnect": true}`: 201 with the armed fault; it replaces an earlier one.
#[utoipa::path(
    post,
    path = "/_cloudtwin/sms/tasks/{id}/fault",
    tag = "cloudtwin admin",
    operation_id = "admin_sms_fault_arm",
    params(("id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn arm(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody<FaultBody>,
) -> Result<HttpResponse, TwinError> {
    let fault = Fault::parse(body.parse()?)
        .map_err(|why| TwinError::Rejected(why, StatusCode::BAD_REQUEST))?;
    let timeout_ms = state.settings.sms.simulation.agent_timeout_secs * 1000;
    let armed = state
        .db
        .write(async |conn| {
            if !faults::arm(conn, &id, &fault, state.clock.now_ms(), timeout_ms).await? {
                return Ok(None);
            }
            faults::fault(conn, &id).await
        })
        .await
        .map_err(TwinError::from_db)?
        .ok_or_else(|| missing(&id, "migration task"))?;
    Ok(HttpResponse::Created().json(view(&armed)))
}

/// `GET /_cloudtwin/sms/tasks/{id}/fault`
#[utoipa::path(
    get,
    path = "/_cloudtwin/sms/tasks/{id}/fault",
    tag = "cloudtwin admin",
    operation_id = "admin_sms_fault_show",
    params(("id" = String, Path)),
    responses(Replies)
)]
async fn show(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, TwinError> {
    let mut tx = state.db.read().await.map_err(TwinError::from_db)?;
    let fault = faults::fault(&mut tx, &id)
        .await
        .map_err(TwinError::from_db)?
        .ok_or_else(|| missing(&id, "fault"))?;
    Ok(HttpResponse::Ok().json(view(&fault)))
}

/// `DELETE /_cloudtwin/sms/tasks/{id}/fault`: the fault is gone (a silent agent stays
/// disconnected until it registers again).
#[utoipa::path(
    delete,
    path = "/_cloudtwin/sms/tasks/{id}/fault",
    tag = "cloudtwin admin",
    operation_id = "admin_sms_fault_disarm",
    params(("id" = String, Path)),
    responses(Replies)
)]
async fn disarm(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, TwinError> {
    let removed = state
        .db
        .write(async |conn| faults::disarm(conn, &id).await)
        .await
        .map_err(TwinError::from_db)?;
    if !removed {
        return Err(missing(&id, "fault"));
    }
    Ok(HttpResponse::Ok().json(json!({"removed": true})))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(arm, show, disarm))]
pub struct Api;
