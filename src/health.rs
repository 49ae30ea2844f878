//! Liveness and readiness probes.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::error::TwinError;
use crate::kit::Replies;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/health").get(health))
        .service(web::resource("/ready").get(ready));
}

#[utoipa::path(
    get,
    path = "/health",
    tag = "cloudtwin",
    operation_id = "cloudtwin_health",
    responses(Replies)
)]
async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Ready means the database answers and carries every migration this build knows.
#[utoipa::path(
    get,
    path = "/ready",
    tag = "cloudtwin",
    operation_id = "cloudtwin_ready",
    responses(Replies)
)]
async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, TwinError> {
    let version = state
        .db
        .schema_version()
        .await
        .map_err(TwinError::from_db)?;
    let expected = crate::db::expected_schema_version();
    if version < expected {
        return Err(TwinError::Unavailable(format!(
            "schema version {version}, expected {expected}"
        )));
    }
    Ok(HttpResponse::Ok().json(json!({
        "status": "ready",
        "schema_version": version,
        "database": state.db.path().display().to_string(),
    })))
}

/// The probes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(health, ready))]
pub struct Api;
