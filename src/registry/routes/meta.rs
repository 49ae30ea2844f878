//! What clients probe before they log in: the registry's health (its own instances,
//! which sc-client and java-chassis take as their address pool) and version. Mounted
//! ahead of the authenticated routes: Service Center answers them without a token too.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::kit::Replies;

/// Service Center's API version on the v4 routes, and on the root `/version`.
pub(super) const API_VERSION_V4: &str = "4.0.0";
const API_VERSION_ROOT: &str = "3.0.0";

/// `GET /version`, at the top level.
pub fn public_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/version").get(root_version));
}

/// `GET …/health` and `GET …/version`, relative to the `/v4/{project_id}/registry` scope.
pub fn probe_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/health").get(health))
        .service(web::resource("/version").get(version));
}

/// The registry itself as one instance of Service Center's own `SERVICECENTER` service,
/// made up on each request (never stored: it stays out of lists, counts and exports),
/// its endpoint the address the client used, so that clients that take their address
/// pool from here keep talking to this twin.
#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/health",
    tag = "Registry",
    operation_id = "registry_health",
    params(("project_id" = String, Path)),
    responses(Replies)
)]
async fn health(req: HttpRequest) -> HttpResponse {
    let host = crate::kit::base_url(&req)
        .trim_start_matches("http://")
        .to_owned();
    let started = started_at();
    HttpResponse::Ok().json(json!({
        "instances": [{
            "instanceId": "cloudtwin",
            "serviceId": "SERVICECENTER",
            "endpoints": [format!("rest://{host}/")],
            "hostName": "cloudtwin",
            "status": "UP",
            "healthCheck": {"mode": "push", "interval": 30, "times": 3},
            "timestamp": started,
            "modTimestamp": started,
            "version": env!("CARGO_PKG_VERSION"),
        }]
    }))
}

/// When this process started, in Unix seconds as Service Center's timestamps are.
fn started_at() -> String {
    static STARTED: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    STARTED
        .get_or_init(|| time::OffsetDateTime::now_utc().unix_timestamp())
        .to_string()
}

pub(super) fn version_body(api_version: &str) -> serde_json::Value {
    json!({
        "version": env!("CARGO_PKG_VERSION"),
        "buildTag": "cloudtwin",
        "goVersion": "n/a",
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
        "apiVersion": api_version,
    })
}

#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/version",
    tag = "Registry",
    operation_id = "registry_version",
    params(("project_id" = String, Path)),
    responses(Replies)
)]
async fn version() -> HttpResponse {
    HttpResponse::Ok().json(version_body(API_VERSION_V4))
}

/// Service Center's root version (its v3 controller), which clients probe too.
#[utoipa::path(
    get,
    path = "/version",
    tag = "Registry",
    operation_id = "registry_root_version",
    responses(Replies)
)]
async fn root_version() -> HttpResponse {
    HttpResponse::Ok().json(version_body(API_VERSION_ROOT))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(health, version, root_version))]
pub struct Api;
