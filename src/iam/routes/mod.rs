//! IAM over HTTP, one file per resource: `POST /v3/auth/tokens`, `GET /v3/projects`,
//! and the middleware that authenticates every other SMS and registry request.

mod authenticate;
mod projects;
mod tokens;

pub use authenticate::authenticate;

use actix_web::web;
use serde::Serialize;
use utoipa::OpenApi;

/// Routes that need no credential.
pub fn public(cfg: &mut web::ServiceConfig) {
    cfg.configure(tokens::routes);
}

/// Routes behind [`authenticate`], relative to the `/v3/projects` scope.
pub fn protected(cfg: &mut web::ServiceConfig) {
    cfg.configure(projects::routes);
}

/// The IAM operations in the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = tokens::Api::openapi();
    doc.merge(projects::Api::openapi());
    doc
}

#[derive(Serialize)]
struct IdName<'a> {
    id: &'a str,
    name: &'a str,
}
