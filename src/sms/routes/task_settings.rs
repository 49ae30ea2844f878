//! What a user sets or reads on one task: bandwidth schedule, secure-channel secrets,
//! agent configuration settings, consistency results (and their export), log collection.

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

use super::super::domain::{
    CollectLogBody, ConfigSettingsBody, ConsistencyBody, ExportBody, SpeedLimitBody, TASK_ID_MAX,
    parse_config_settings, parse_consistency, parse_export, parse_log_bucket, parse_speed_limits,
    path_id,
};
use super::super::error::SmsError;
use super::super::store::{self, task_missing};
use super::*;
use crate::extract::JsonBody;
use crate::iam::Caller;
use crate::kit::Replies;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/tasks/consistency-results/export").post(export_consistency_results),
    )
    .service(
        web::resource("/tasks/{id}/speed-limit")
            .get(shows_speed_limits)
            .post(update_speed),
    )
    .service(web::resource("/tasks/{id}/passphrase").get(show_passphrase))
    .service(web::resource("/tasks/{id}/certkey").get(show_cert_key))
    .service(
        web::resource("/tasks/{id}/configuration-setting")
            .get(show_config_setting)
            .post(upload_config_setting),
    )
    .service(
        web::resource("/tasks/{id}/consistency-result")
            .get(show_consistency_result)
            .post(update_consistency_result),
    )
    .service(web::resource("/tasks/{id}/log").post(collect_log));
}

fn task_id(raw: &str) -> Result<&str, SmsError> {
    path_id(raw, TASK_ID_MAX)
}

#[utoipa::path(
    get,
    path = "/v3/tasks/{id}/speed-limit",
    tag = "SMS",
    operation_id = "sms_shows_speed_limits",
    params(("id" = String, Path)),
    responses(Replies)
)]
async fn shows_speed_limits(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:showSpeedLimits")?;
    let id = task_id(&id)?;
    let windows = store::speed_limits(&mut *state.db.read().await?, project(&caller)?, id).await?;
    Ok(HttpResponse::Ok().json(json!({ "speed_limit": windows })))
}

/// Replaces the task's schedule; an empty list removes it.
#[utoipa::path(
    post,
    path = "/v3/tasks/{id}/speed-limit",
    tag = "SMS",
    operation_id = "sms_update_speed",
    params(("id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn update_speed(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<Option<SpeedLimitBody>>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:updateSpeed")?;
    let id = task_id(&id)?;
    let windows = parse_speed_limits(body.parse()?)?;
    let project = project(&caller)?;
    state
        .db
        .write(async |conn| {
            store::set_speed_limits(conn, project, id, &windows).await?;
            // A running simulated migration copies at the new limits from now on.
            let sim = &state.settings.sms.simulation;
            store::simulation::replan(conn, id, state.clock.now_ms(), sim).await
        })
        .await?;
    Ok(empty_ok())
}

/// The secrets are made on first read; later reads (and restarts) return the same.
async fn secrets(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(String, super::super::domain::CertBundle), SmsError> {
    let project = project(caller)?;
    if let Some(found) = store::stored_secrets(&mut *state.db.read().await?, project, id).await? {
        return Ok(found);
    }
    state
        .db
        .write(async |conn| store::task_secrets(conn, project, id).await)
        .await
}

#[utoipa::path(
    get,
    path = "/v3/tasks/{id}/passphrase",
    tag = "SMS",
    operation_id = "sms_show_passphrase",
    params(("id" = String, Path)),
    responses(Replies)
)]
async fn show_passphrase(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:showPassphrase")?;
    let id = task_id(&id)?;
    let (passphrase, _) = secrets(&state, &caller, id).await?;
    Ok(HttpResponse::Ok().json(json!({ "task_id": id, "passphrase": passphrase })))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct CertQuery {
    /// true or false (default): whether a CA certificate is wanted; cloudtwin always sends one
    enable_ca_cert: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v3/tasks/{id}/certkey",
    tag = "SMS",
    operation_id = "sms_show_cert_key",
    params(("id" = String, Path), CertQuery),
    responses(Replies)
)]
async fn show_cert_key(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<CertQuery>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:showCertKey")?;
    let id = task_id(&id)?;
    if !matches!(
        query.enable_ca_cert.as_deref(),
        None | Some("true" | "false")
    ) {
        return Err(SmsError::bad(
            "SMS.6011",
            "enable_ca_cert",
            "enable_ca_cert must be true or false",
        ));
    }
    let (_, bundle) = secrets(&state, &caller, id).await?;
    Ok(HttpResponse::Ok().json(bundle))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ConfigQuery {
    /// only this config_key
    config_key: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v3/tasks/{id}/configuration-setting",
    tag = "SMS",
    operation_id = "sms_show_config_setting",
    params(("id" = String, Path), ConfigQuery),
    responses(Replies)
)]
async fn show_config_setting(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<ConfigQuery>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:showConfigSetting")?;
    let id = task_id(&id)?;
    let project = project(&caller)?;
    let mut tx = state.db.read().await?;
    let (kind, os) = store::task_kind(&mut tx, project, id)
        .await?
        .ok_or_else(|| task_missing(id))?;
    let key = query.config_key.as_deref().filter(|k| !k.is_empty());
    let configurations = store::config_settings(&mut tx, project, id, key).await?;
    Ok(HttpResponse::Ok().json(json!({
        "task_id": id,
        "migrate_type": format!("{os}_{kind}"),
        "configurations": configurations,
    })))
}

/// Sets each given key; the others keep their value.
#[utoipa::path(
    post,
    path = "/v3/tasks/{id}/configuration-setting",
    tag = "SMS",
    operation_id = "sms_upload_special_configuration_setting",
    params(("id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn upload_config_setting(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<Option<ConfigSettingsBody>>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:uploadSpecialConfigurationSetting")?;
    let id = task_id(&id)?;
    let settings = parse_config_settings(body.parse()?)?;
    let project = project(&caller)?;
    state
        .db
        .write(async |conn| store::upsert_config_settings(conn, project, id, &settings).await)
        .await?;
    Ok(empty_ok())
}

/// `result_list` is declared as strings: each is the JSON of one check, as the
/// reference's example shows it (`check_result`, `consistency_result`, `finished_time`).
#[utoipa::path(
    get,
    path = "/v3/tasks/{id}/consistency-result",
    tag = "SMS",
    operation_id = "sms_show_consistency_result",
    params(("id" = String, Path)),
    responses(Replies)
)]
async fn show_consistency_result(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:showConsistencyResult")?;
    let id = task_id(&id)?;
    let results =
        store::consistency_results(&mut *state.db.read().await?, project(&caller)?, id).await?;
    let result_list: Vec<String> = match results.first() {
        None => Vec::new(),
        Some((_, finished)) => {
            let same = results
                .iter()
                .all(|(r, _)| r.num_different_files == 0 && r.num_target_miss_files == 0);
            let check = json!({
                "check_result": if same { "success" } else { "failed" },
                "consistency_result": results.iter().map(|(r, _)| r).collect::<Vec<_>>(),
                "finished_time": finished,
            });
            vec![check.to_string()]
        }
    };
    Ok(HttpResponse::Ok().json(json!({ "task_id": id, "result_list": result_list })))
}

#[utoipa::path(
    post,
    path = "/v3/tasks/{id}/consistency-result",
    tag = "SMS agent",
    operation_id = "sms_update_consistency_result",
    params(("id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn update_consistency_result(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<Option<ConsistencyBody>>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:updateConsistencyResult")?;
    let id = task_id(&id)?;
    let results = parse_consistency(body.parse()?)?;
    let project = project(&caller)?;
    state
        .db
        .write(async |conn| {
            store::set_consistency_results(conn, project, id, &results, state.clock.now_ms()).await
        })
        .await?;
    Ok(empty_ok())
}

/// A CSV file, one row per checked directory of each task asked for (the real format is
/// not documented; a spreadsheet opens this one).
#[utoipa::path(
    post,
    path = "/v3/tasks/consistency-results/export",
    tag = "SMS",
    operation_id = "sms_export_consistency_results",
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn export_consistency_results(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonBody<Option<ExportBody>>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:exportConsistencyResults")?;
    let tasks = parse_export(body.parse()?)?;
    let project = project(&caller)?;
    let mut tx = state.db.read().await?;
    let mut csv = String::from(
        "task_id,source_id,source_name,dir_check,num_total_files,num_different_files,\
         num_target_miss_files,num_target_more_files,finished_time\n",
    );
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for t in &tasks {
        let results = store::consistency_results(&mut tx, project, &t.task_id).await?;
        for (r, finished) in results {
            csv.push_str(&format!(
                "{},{},{},{},{},{},{},{},{}\n",
                quote(&t.task_id),
                quote(&t.source_id),
                quote(&t.source_name),
                quote(&r.dir_check),
                r.num_total_files,
                r.num_different_files,
                r.num_target_miss_files,
                r.num_target_more_files,
                finished
            ));
        }
    }
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            CONTENT_DISPOSITION,
            "attachment; filename=\"consistency-results.csv\"",
        ))
        .body(csv))
}

#[utoipa::path(
    post,
    path = "/v3/tasks/{id}/log",
    tag = "SMS",
    operation_id = "sms_collect_log",
    params(("id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn collect_log(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<Option<CollectLogBody>>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:collectLog")?;
    let id = task_id(&id)?;
    let bucket = parse_log_bucket(body.parse()?)?;
    let project = project(&caller)?;
    state
        .db
        .write(async |conn| store::start_log_collection(conn, project, id, &bucket).await)
        .await?;
    Ok(empty_ok())
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    shows_speed_limits,
    update_speed,
    show_passphrase,
    show_cert_key,
    show_config_setting,
    upload_config_setting,
    show_consistency_result,
    update_consistency_result,
    export_consistency_results,
    collect_log
))]
pub struct Api;
