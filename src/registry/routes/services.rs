//! Microservices: register, read, list, existence, properties and both deletes.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::domain::{
    self, Environment, InstanceBody, NewInstance, NewService, SchemaId, ServiceBody, ServiceId,
    ServiceIds,
};
use super::super::error::RegistryError;
use super::super::model::Model;
use super::super::store;
use super::super::store::ServiceFilter;
use super::views::{ServiceView, service_views};
use super::watcher::Watchers;
use super::*;
use crate::extract::JsonBody;
use crate::iam::Caller;
use crate::kit::Replies;
use crate::state::AppState;
use utoipa::IntoParams;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/microservices")
            .route(web::get().to(list_services))
            .route(web::post().to(create_service))
            .route(web::delete().to(delete_services)),
    )
    .service(
        web::resource("/microservices/{service_id}")
            .route(web::get().to(get_service))
            .route(web::delete().to(delete_service)),
    )
    .service(
        web::resource("/microservices/{service_id}/properties")
            .route(web::put().to(set_service_properties)),
    )
    .service(web::resource("/existence").route(web::get().to(existence)));
}

#[derive(Deserialize)]
struct CreateServiceBody {
    service: Option<ServiceBody>,
    tags: Option<BTreeMap<String, String>>,
    instances: Option<Vec<InstanceBody>>,
}

#[utoipa::path(
    post,
    path = "/v4/{project_id}/registry/microservices",
    tag = "Registry",
    operation_id = "registry_create_service",
    params(ProjectRoute),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn create_service(
    caller: Caller,
    path: web::Path<ProjectRoute>,
    body: JsonBody<CreateServiceBody>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
) -> Reply {
    caller.require("cse:microservice:create")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let body = body.parse()?;
    let service = body
        .service
        .ok_or_else(|| RegistryError::InvalidParams("Request body is empty".into()))?;
    let service = NewService::parse(service)?;
    let tags = domain::parse_tags(body.tags)?;
    let instances = body
        .instances
        .unwrap_or_default()
        .into_iter()
        .map(NewInstance::parse)
        .collect::<Result<Vec<_>, _>>()?;
    let id = model
        .write(&state.db, async |conn, touched| {
            let id = store::create_service(
                conn,
                &tenant,
                service,
                tags,
                instances,
                state.clock.now_ms(),
            )
            .await?;
            touched.service(&tenant, id.as_str());
            Ok::<_, RegistryError>(id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "serviceId": id.as_str() })))
}

#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/microservices/{service_id}",
    tag = "Registry",
    operation_id = "registry_get_service",
    params(ServiceRoute),
    responses(Replies)
)]
async fn get_service(
    caller: Caller,
    path: web::Path<ServiceRoute>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:microservice:get")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let id = ServiceId::parse(&path.service_id)?;
    let mut tx = state.db.read().await?;
    let service = store::get_service(&mut tx, &tenant, &id).await?;
    Ok(HttpResponse::Ok().json(json!({ "service": ServiceView::try_from(service)? })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    app_id: Option<String>,
    service_name: Option<String>,
    env: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/microservices",
    tag = "Registry",
    operation_id = "registry_list_services",
    params(ProjectRoute),
    responses(Replies)
)]
async fn list_services(
    caller: Caller,
    path: web::Path<ProjectRoute>,
    query: web::Query<ListQuery>,
    state: web::Data<AppState>,
) -> Reply {
    #[derive(Serialize)]
    struct Services {
        #[serde(skip_serializing_if = "Vec::is_empty")]
        services: Vec<ServiceView>,
    }
    caller.require("cse:microservice:list")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let query = query.into_inner();
    let filter = ServiceFilter {
        app_id: query.app_id.filter(|s| !s.is_empty()),
        service_name: query.service_name.filter(|s| !s.is_empty()),
        environment: query
            .env
            .as_deref()
            .filter(|e| !e.is_empty())
            .map(|e| Environment::parse(Some(e)))
            .transpose()?,
    };
    let mut tx = state.db.read().await?;
    let services = store::list_services(&mut tx, &tenant, &filter).await?;
    Ok(HttpResponse::Ok().json(Services {
        services: service_views(services)?,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct ExistenceQuery {
    /// microservice or schema
    #[serde(rename = "type")]
    kind: Option<String>,
    /// application
    app_id: Option<String>,
    /// service name or alias
    service_name: Option<String>,
    /// exact version
    version: Option<String>,
    /// environment
    env: Option<String>,
    /// for type=schema
    service_id: Option<String>,
    /// for type=schema
    schema_id: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/existence",
    tag = "Registry",
    operation_id = "registry_existence",
    params(ProjectRoute, ExistenceQuery),
    responses(Replies)
)]
async fn existence(
    caller: Caller,
    path: web::Path<ProjectRoute>,
    query: web::Query<ExistenceQuery>,
    state: web::Data<AppState>,
) -> Reply {
    let tenant = tenant(&caller, &path.project_id)?;
    match query.kind.as_deref() {
        Some("microservice") => {
            caller.require("cse:microservice:get")?;
            let key = domain::parse_existence_key(
                query.app_id.as_deref(),
                query.service_name.as_deref(),
                query.env.as_deref(),
                query.version.as_deref(),
            )?;
            let mut tx = state.db.read().await?;
            let id = store::service_id_of(&mut tx, &tenant, &key).await?;
            Ok(HttpResponse::Ok().json(json!({ "serviceId": id })))
        }
        Some("schema") => {
            caller.require("cse:schema:get")?;
            let service_id = ServiceId::parse(query.service_id.as_deref().unwrap_or(""))?;
            let schema_id = SchemaId::parse(query.schema_id.as_deref().unwrap_or(""))?;
            let mut tx = state.db.read().await?;
            let schema = store::get_schema(&mut tx, &tenant, &service_id, &schema_id).await?;
            let mut reply = HttpResponse::Ok();
            reply.insert_header(("X-Schema-Summary", schema.summary.as_str()));
            let mut body = json!({ "schemaId": schema.schema_id });
            if !schema.summary.is_empty() {
                body["summary"] = json!(schema.summary);
            }
            Ok(reply.json(body))
        }
        other => Err(RegistryError::InvalidParams(format!(
            "type must be microservice or schema, not '{}'",
            other.unwrap_or("")
        ))),
    }
}

#[utoipa::path(
    put,
    path = "/v4/{project_id}/registry/microservices/{service_id}/properties",
    tag = "Registry",
    operation_id = "registry_set_service_properties",
    params(ServiceRoute),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn set_service_properties(
    caller: Caller,
    path: web::Path<ServiceRoute>,
    body: JsonBody<PropertiesBody>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
) -> Reply {
    caller.require("cse:microservice:update")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let id = ServiceId::parse(&path.service_id)?;
    let properties = required_properties(body.parse()?)?;
    model
        .write(&state.db, async |conn, _| {
            store::set_service_properties(conn, &tenant, &id, &properties, state.clock.now_ms())
                .await
        })
        .await?;
    Ok(ok_empty())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ForceQuery {
    /// true, false, 1 or 0 (on the batch delete, true in the body forces too)
    force: Option<String>,
}

#[utoipa::path(
    delete,
    path = "/v4/{project_id}/registry/microservices/{service_id}",
    tag = "Registry",
    operation_id = "registry_delete_service",
    params(ServiceRoute, ForceQuery),
    responses(Replies)
)]
async fn delete_service(
    caller: Caller,
    path: web::Path<ServiceRoute>,
    query: web::Query<ForceQuery>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
    watchers: web::Data<Watchers>,
) -> Reply {
    caller.require("cse:microservice:delete")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let force = domain::parse_force(query.force.as_deref())?;
    let id = ServiceId::parse(&path.service_id)?;
    let gone = model
        .write(&state.db, async |conn, touched| {
            let gone =
                store::delete_service(conn, &tenant, &id, force, state.clock.now_ms()).await?;
            touched.service(&tenant, id.as_str());
            Ok::<_, RegistryError>(gone)
        })
        .await?;
    watchers.publish(&state.db, gone).await;
    Ok(ok_empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteServicesBody {
    service_ids: Option<Vec<String>>,
    force: Option<bool>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeletedService<'a> {
    service_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    err_message: Option<String>,
}

/// Batch delete: the whole request is validated first; then each service is deleted on
/// its own, in request order, and reported on its own (always 200, as Service Center
/// 2.1+). `force` may come from the body or the query; either one asking for it wins.
#[utoipa::path(
    delete,
    path = "/v4/{project_id}/registry/microservices",
    tag = "Registry",
    operation_id = "registry_delete_services",
    params(ProjectRoute, ForceQuery),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn delete_services(
    caller: Caller,
    path: web::Path<ProjectRoute>,
    query: web::Query<ForceQuery>,
    body: JsonBody<DeleteServicesBody>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
    watchers: web::Data<Watchers>,
) -> Reply {
    caller.require("cse:microservice:delete")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let body = body.parse()?;
    let force = domain::parse_force(query.force.as_deref())? || body.force.unwrap_or(false);
    let ids = ServiceIds::parse(body.service_ids)?;
    // Each service in a transaction of its own: one refusal never undoes another delete
    // (the SMS batch delete, all or nothing, is the other way round).
    let mut services = Vec::new();
    for id in ids.iter() {
        let outcome = model
            .write(&state.db, async |conn, touched| {
                let gone =
                    store::delete_service(conn, &tenant, id, force, state.clock.now_ms()).await?;
                touched.service(&tenant, id.as_str());
                Ok::<_, RegistryError>(gone)
            })
            .await;
        if let Err(e @ (RegistryError::Internal(_) | RegistryError::Unavailable(_))) = &outcome {
            tracing::error!(error = ?e, service_id = id.as_str(), "batch delete failed");
        }
        let err_message = match outcome {
            Ok(gone) => {
                watchers.publish(&state.db, gone).await;
                None
            }
            Err(e) => Some(e.err_message()),
        };
        services.push(DeletedService {
            service_id: id.as_str(),
            err_message,
        });
    }
    Ok(HttpResponse::Ok().json(json!({ "services": services })))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    create_service,
    get_service,
    list_services,
    existence,
    set_service_properties,
    delete_service,
    delete_services
))]
pub struct Api;
