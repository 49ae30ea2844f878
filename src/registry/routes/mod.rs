//! HTTP handlers of the registry, mounted by startup under `/v4/{project_id}/registry`
//! (governance under `/v4/{project_id}/govern`, Service Center's admin API under
//! `/v4/{project_id}/admin`),
//! one file per resource. Each handler checks the caller's permission, parses its input
//! into domain types, opens the transaction (a read, or a `BEGIN IMMEDIATE` write)
//! that the store functions run in, and renders what they return in Service Center's
//! JSON shapes.

mod dependencies;
mod discovery;
mod govern;
mod heartbeat_socket;
mod instances;
mod meta;
mod sc_admin;
mod schemas;
mod services;
mod tags;
mod views;
mod watcher;

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use super::domain::Tenant;
use super::error::RegistryError;
use crate::iam::Caller;

pub use govern::routes as govern_routes;
pub use meta::{probe_routes, public_routes};
pub use sc_admin::routes as admin_routes;
pub use views::instance_json;
pub use watcher::Watchers;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // actix tries routes in this order, each `{param}` pattern by a regex capture, so
    // discovery (static paths, and the most frequent call) goes first. No two patterns
    // here match the same path, so the order changes nothing else.
    cfg.configure(discovery::routes)
        .configure(services::routes)
        .configure(instances::routes)
        .configure(dependencies::routes)
        .configure(schemas::routes)
        .configure(tags::routes)
        .configure(watcher::routes);
}

/// The registry operations in the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = services::Api::openapi();
    for part in [
        instances::Api::openapi(),
        discovery::Api::openapi(),
        dependencies::Api::openapi(),
        schemas::Api::openapi(),
        tags::Api::openapi(),
        meta::Api::openapi(),
        govern::Api::openapi(),
        sc_admin::Api::openapi(),
        watcher::Api::openapi(),
        heartbeat_socket::Api::openapi(),
    ] {
        doc.merge(part);
    }
    doc
}

type Reply = Result<HttpResponse, RegistryError>;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
struct ProjectRoute {
    project_id: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
struct ServiceRoute {
    project_id: String,
    service_id: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
struct InstanceRoute {
    project_id: String,
    service_id: String,
    instance_id: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
struct SchemaRoute {
    project_id: String,
    service_id: String,
    schema_id: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
struct TagRoute {
    project_id: String,
    service_id: String,
    key: String,
}

/// The tenant of a request. Service Center validates neither name; cloudtwin refuses
/// control characters and names over 256 bytes (a deliberate difference), which would
/// otherwise end up in every row, log line and console page.
fn tenant(caller: &Caller, project_id: &str) -> Result<Tenant, RegistryError> {
    for (what, name) in [("domain", caller.domain.as_str()), ("project", project_id)] {
        if name.is_empty() || name.len() > 256 || name.chars().any(char::is_control) {
            return Err(RegistryError::InvalidParams(format!(
                "the {what} name must be 1 to 256 bytes without control characters"
            )));
        }
    }
    Ok(Tenant {
        domain: caller.domain.clone(),
        project: project_id.to_owned(),
    })
}

fn ok_empty() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[derive(Deserialize)]
struct PropertiesBody {
    properties: Option<BTreeMap<String, String>>,
}

fn required_properties(body: PropertiesBody) -> Result<BTreeMap<String, String>, RegistryError> {
    body.properties
        .ok_or_else(|| RegistryError::InvalidParams("properties is required".into()))
}
