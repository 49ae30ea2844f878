//! What the migration agent calls: copy state, disk info, commands and their results,
//! progress reports and network checks. The real service documents them as "called by
//! the agent"; tests drive them to play the agent.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::super::domain::{
    CommandResult, CommandResultBody, CopyState, CopyStateBody, DiskInfoBody, NetworkCheckInfo,
    Progress, ProgressBody, SOURCE_ID_MAX, TASK_ID_MAX, path_id,
};
use super::super::error::SmsError;
use super::super::store;
use super::*;
use crate::extract::JsonBody;
use crate::iam::Caller;
use crate::kit::Replies;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/sources/{id}/changestate").put(update_copy_state))
        .service(web::resource("/sources/{id}/diskinfo").put(update_disk_info))
        .service(web::resource("/sources/{id}/command").get(show_command))
        .service(web::resource("/sources/{id}/command_result").post(update_command_result))
        .service(web::resource("/tasks/{id}/progress").put(update_task_speed));
}

/// `POST /v3/{task_id}/update-network-check-info` has no `tasks/` segment; it is mounted
/// after every other `/v3` route so that it cannot shadow one.
pub fn network_check_route(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/{id}/update-network-check-info").post(update_network_check_info));
}

#[utoipa::path(
    put,
    path = "/v3/sources/{id}/changestate",
    tag = "SMS agent",
    operation_id = "sms_update_copy_state",
    params(("id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn update_copy_state(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<CopyStateBody>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:updateCopyState")?;
    let id = path_id(&id, SOURCE_ID_MAX)?;
    let copy = CopyState::parse(body.parse()?)?;
    let project = project(&caller)?;
    state
        .db
        .write(async |conn| {
            // A real agent reporting takes the task over from the simulation.
            store::hand_over_source(conn, project, id).await?;
            store::set_copy_state(conn, project, id, copy, state.clock.now_ms()).await
        })
        .await?;
    Ok(empty_ok())
}

#[utoipa::path(
    put,
    path = "/v3/sources/{id}/diskinfo",
    tag = "SMS agent",
    operation_id = "sms_update_disk_info",
    params(("id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn update_disk_info(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<DiskInfoBody>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:updateDiskInfo")?;
    let id = path_id(&id, SOURCE_ID_MAX)?;
    let body = body.parse()?;
    body.check()?;
    let json = |v: &Option<Vec<serde_json::Value>>| v.as_ref().map(|l| json!(l).to_string());
    // `volumegroups` in the request is `volume_groups` in what show_server returns.
    let lists = [
        ("disks", json(&body.disks)),
        ("volume_groups", json(&body.volumegroups)),
        ("btrfs_list", json(&body.btrfs_list)),
    ];
    let project = project(&caller)?;
    state
        .db
        .write(async |conn| store::replace_disk_info(conn, project, id, lists).await)
        .await?;
    Ok(empty_ok())
}

#[utoipa::path(
    get,
    path = "/v3/sources/{id}/command",
    tag = "SMS agent",
    operation_id = "sms_show_command",
    params(("id" = String, Path)),
    responses(Replies)
)]
async fn show_command(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:showCommand")?;
    let id = path_id(&id, SOURCE_ID_MAX)?;
    let command = store::next_command(&mut *state.db.read().await?, project(&caller)?, id).await?;
    Ok(HttpResponse::Ok().json(command))
}

#[utoipa::path(
    post,
    path = "/v3/sources/{id}/command_result",
    tag = "SMS agent",
    operation_id = "sms_update_command_result",
    params(("id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn update_command_result(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<Option<CommandResultBody>>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:updateCommandResult")?;
    let id = path_id(&id, SOURCE_ID_MAX)?;
    let result = CommandResult::parse(body.parse()?)?;
    let project = project(&caller)?;
    state
        .db
        .write(async |conn| {
            store::record_command_result(conn, project, id, &result, state.clock.now_ms()).await
        })
        .await?;
    Ok(empty_ok())
}

#[utoipa::path(
    put,
    path = "/v3/tasks/{id}/progress",
    tag = "SMS agent",
    operation_id = "sms_update_task_speed",
    params(("id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn update_task_speed(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<Option<ProgressBody>>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:updateTaskSpeed")?;
    let id = path_id(&id, TASK_ID_MAX)?;
    let progress = Progress::parse(body.parse()?)?;
    let project = project(&caller)?;
    state
        .db
        .write(async |conn| {
            // A real agent reporting takes the task over from the simulation.
            store::hand_over(conn, id).await?;
            store::report_progress(conn, project, id, &progress, state.clock.now_ms()).await
        })
        .await?;
    Ok(empty_ok())
}

#[utoipa::path(
    post,
    path = "/v3/{id}/update-network-check-info",
    tag = "SMS agent",
    operation_id = "sms_update_network_check_info",
    params(("id" = String, Path, description = "the task id")),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn update_network_check_info(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<Option<NetworkCheckInfo>>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:updateNetworkCheckInfo")?;
    let id = path_id(&id, TASK_ID_MAX)?;
    let info = NetworkCheckInfo::parse(body.parse()?)?;
    let json = serde_json::to_string(&info).map_err(|e| SmsError::Internal(e.to_string()))?;
    let project = project(&caller)?;
    state
        .db
        .write(async |conn| store::record_network_check(conn, project, id, &json).await)
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "task_id": id })))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    update_copy_state,
    update_disk_info,
    show_command,
    update_command_result,
    update_task_speed,
    update_network_check_info
))]
pub struct Api;
