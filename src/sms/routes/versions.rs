//! `GET /` and `GET /{version}`: the API versions, without a credential as on the real
//! service. A browser asking for `/` is sent to the console instead.

use actix_web::http::header::{ACCEPT, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::super::error::SmsError;
use crate::kit::Replies;

/// Where a browser that opens `/` is sent.
pub const CONSOLE: &str = "/_cloudtwin/console/";

pub fn routes(cfg: &mut web::ServiceConfig) {
    // A digit after the `v` keeps Service Center's `GET /version` out of this route.
    cfg.service(web::resource("/").get(list_versions))
        .service(web::resource("/{version:v[0-9][.0-9a-zA-Z]*}").get(show_version));
}

#[derive(Serialize)]
struct Link {
    href: String,
    rel: &'static str,
}

#[derive(Serialize)]
struct Version {
    id: &'static str,
    links: Vec<Link>,
    status: &'static str,
    updated: &'static str,
}

/// The one version cloudtwin serves, dated as the real service dates v3.
fn v3(req: &HttpRequest, path: &str) -> Version {
    Version {
        id: "v3",
        links: vec![Link {
            href: format!("{}{path}", crate::kit::base_url(req)),
            rel: "self",
        }],
        status: "CURRENT",
        updated: "2020-09-02T17:50:00Z",
    }
}

fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

#[utoipa::path(
    get,
    path = "/",
    tag = "SMS",
    operation_id = "sms_list_api_versions",
    responses(Replies)
)]
async fn list_versions(req: HttpRequest) -> HttpResponse {
    #[derive(Serialize)]
    struct Versions {
        versions: Vec<Version>,
    }
    if wants_html(&req) {
        return HttpResponse::Found()
            .insert_header((LOCATION, CONSOLE))
            .finish();
    }
    HttpResponse::Ok().json(Versions {
        versions: vec![v3(&req, "/v3")],
    })
}

#[utoipa::path(
    get,
    path = "/{version}",
    tag = "SMS",
    operation_id = "sms_show_api_version",
    params(("version" = String, Path, description = "a version id such as v3")),
    responses(Replies)
)]
async fn show_version(
    req: HttpRequest,
    version: web::Path<String>,
) -> Result<HttpResponse, SmsError> {
    if version.as_str() != "v3" {
        return Err(SmsError::missing("SMS.1002", "API version", &version));
    }
    Ok(HttpResponse::Ok().json(v3(&req, "/v3")))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(list_versions, show_version))]
pub struct Api;
