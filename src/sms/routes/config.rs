//! The agent's configuration (`GET /v3/config`) and the privacy agreement of a domain.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::super::error::SmsError;
use super::super::store;
use super::*;
use crate::iam::Caller;
use crate::kit::Replies;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/config").get(show_config))
        .service(
            web::resource("/privacy-agreements")
                .get(show_privacy_agreements)
                .post(create_privacy_agreements),
        );
}

/// What the agent reads after it starts: where to migrate to and how. The region is the
/// caller's project (an IAM project is named after its region); `obs_domain` points at
/// an object-storage host the real agent would upload logs to.
#[utoipa::path(
    get,
    path = "/v3/config",
    tag = "SMS",
    operation_id = "sms_show_config",
    responses(Replies)
)]
async fn show_config(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:showConfig")?;
    let project = project(&caller)?;
    let region = store::project_name(&mut *state.db.read().await?, project)
        .await?
        .unwrap_or_default();
    Ok(HttpResponse::Ok().json(json!({
        "config": {
            "mainRegion": region,
            "obs_domain": format!("obs.{region}.myhuaweicloud.com"),
            "disktype": "SAS,SSD,GPSSD,ESSD",
            "process_and_it": "60",
        },
        "regions": [{ "project_name": region, "region_name": region }],
    })))
}

#[utoipa::path(
    get,
    path = "/v3/privacy-agreements",
    tag = "SMS",
    operation_id = "sms_show_privacy_agreements",
    responses(Replies)
)]
async fn show_privacy_agreements(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, SmsError> {
    let domain = domain_of(&caller)?;
    let flag = store::privacy_agreed(&mut *state.db.read().await?, domain).await?;
    Ok(HttpResponse::Ok().json(json!({ "flag": flag })))
}

/// Agreeing twice is agreeing: the first time stays recorded.
#[utoipa::path(
    post,
    path = "/v3/privacy-agreements",
    tag = "SMS",
    operation_id = "sms_create_privacy_agreements",
    responses(Replies)
)]
async fn create_privacy_agreements(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, SmsError> {
    let domain = domain_of(&caller)?;
    state
        .db
        .write(async |conn| store::agree_to_privacy(conn, domain, state.clock.now_ms()).await)
        .await?;
    Ok(empty_ok())
}

fn domain_of(caller: &Caller) -> Result<&str, SmsError> {
    caller
        .domain_id
        .as_deref()
        .ok_or_else(|| SmsError::Internal("authenticated caller without a domain".into()))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(show_config, show_privacy_agreements, create_privacy_agreements))]
pub struct Api;
