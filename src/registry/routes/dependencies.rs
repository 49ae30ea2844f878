//! Dependencies: the rules consumers declare, and providers/consumers of a service.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::super::domain::{Dependency, DependencyBody, DependencyMode, ServiceId};
use super::super::error::RegistryError;
use super::super::model::Model;
use super::super::store;
use super::super::store::ServiceRecord;
use super::views::service_views;
use super::*;
use crate::extract::JsonBody;
use crate::iam::Caller;
use crate::kit::Replies;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/dependencies")
            .route(web::put().to(override_dependencies))
            .route(web::post().to(add_dependencies)),
    )
    .service(web::resource("/microservices/{service_id}/providers").route(web::get().to(providers)))
    .service(
        web::resource("/microservices/{service_id}/consumers").route(web::get().to(consumers)),
    );
}

#[derive(Deserialize)]
struct DependenciesBody {
    dependencies: Option<Vec<DependencyBody>>,
}

async fn put_dependencies(
    caller: Caller,
    project_id: &str,
    body: JsonBody<DependenciesBody>,
    mode: DependencyMode,
    state: &AppState,
    model: &Model,
) -> Reply {
    caller.require("cse:dependency:update")?;
    let body = body.parse()?;
    let tenant = tenant(&caller, project_id)?;
    let dependencies = Dependency::parse_all(body.dependencies, mode)?;
    model
        .write(&state.db, async |conn, touched| {
            store::put_dependencies(conn, &tenant, &dependencies, mode).await?;
            touched.rules(&tenant, None);
            Ok::<_, RegistryError>(())
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Deprecation", "version=\"v4\""))
        .finish())
}

#[utoipa::path(
    put,
    path = "/v4/{project_id}/registry/dependencies",
    tag = "Registry",
    operation_id = "registry_override_dependencies",
    params(ProjectRoute),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn override_dependencies(
    caller: Caller,
    path: web::Path<ProjectRoute>,
    body: JsonBody<DependenciesBody>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
) -> Reply {
    put_dependencies(
        caller,
        &path.project_id,
        body,
        DependencyMode::Override,
        &state,
        &model,
    )
    .await
}

#[utoipa::path(
    post,
    path = "/v4/{project_id}/registry/dependencies",
    tag = "Registry",
    operation_id = "registry_add_dependencies",
    params(ProjectRoute),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn add_dependencies(
    caller: Caller,
    path: web::Path<ProjectRoute>,
    body: JsonBody<DependenciesBody>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
) -> Reply {
    put_dependencies(
        caller,
        &path.project_id,
        body,
        DependencyMode::Add,
        &state,
        &model,
    )
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RelationQuery {
    no_self: Option<String>,
}

fn without_self(
    services: Vec<ServiceRecord>,
    id: &ServiceId,
    query: &RelationQuery,
) -> Vec<ServiceRecord> {
    let no_self = matches!(query.no_self.as_deref(), Some("1" | "true"));
    services
        .into_iter()
        .filter(|s| !(no_self && s.service_id == id.as_str()))
        .collect()
}

#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/microservices/{service_id}/providers",
    tag = "Registry",
    operation_id = "registry_providers",
    params(ServiceRoute),
    responses(Replies)
)]
async fn providers(
    caller: Caller,
    path: web::Path<ServiceRoute>,
    query: web::Query<RelationQuery>,
    state: web::Data<AppState>,
) -> Reply {
    related(&caller, &path, &query, &state, Side::Providers).await
}

#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/microservices/{service_id}/consumers",
    tag = "Registry",
    operation_id = "registry_consumers",
    params(ServiceRoute),
    responses(Replies)
)]
async fn consumers(
    caller: Caller,
    path: web::Path<ServiceRoute>,
    query: web::Query<RelationQuery>,
    state: web::Data<AppState>,
) -> Reply {
    related(&caller, &path, &query, &state, Side::Consumers).await
}

/// Which side of a dependency a query asks for; its name is also the reply's key.
#[derive(Clone, Copy)]
enum Side {
    Providers,
    Consumers,
}

async fn related(
    caller: &Caller,
    path: &ServiceRoute,
    query: &RelationQuery,
    state: &AppState,
    side: Side,
) -> Reply {
    caller.require("cse:dependency:get")?;
    let tenant = tenant(caller, &path.project_id)?;
    let id = ServiceId::parse(&path.service_id)?;
    let mut tx = state.db.read().await?;
    let (key, found) = match side {
        Side::Providers => (
            "providers",
            store::providers_of(&mut tx, &tenant, &id).await?,
        ),
        Side::Consumers => (
            "consumers",
            store::consumers_of(&mut tx, &tenant, &id).await?,
        ),
    };
    let views = service_views(without_self(found, &id, query))?;
    // Service Center leaves an empty list out: the reply is then `{}`.
    let mut body = serde_json::Map::new();
    if !views.is_empty() {
        let list =
            serde_json::to_value(views).map_err(|e| RegistryError::Internal(e.to_string()))?;
        body.insert(key.to_owned(), list);
    }
    Ok(HttpResponse::Ok().json(body))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(override_dependencies, add_dependencies, providers, consumers))]
pub struct Api;
