//! Instances: register, read, heartbeats, status, properties, deregister.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::domain::{
    self, InstanceBody, InstanceId, InstanceRef, InstanceStatus, NewInstance, ServiceId,
};
use super::super::error::RegistryError;
use super::super::model::Model;
use super::super::store;
use super::views::{Listing, revision_reply};
use super::watcher::Watchers;
use super::*;
use crate::extract::JsonBody;
use crate::iam::Caller;
use crate::kit::Replies;
use crate::state::AppState;
use utoipa::IntoParams;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/microservices/{service_id}/instances")
            .route(web::post().to(register_instance))
            .route(web::get().to(list_instances)),
    )
    .service(
        web::resource("/microservices/{service_id}/instances/{instance_id}")
            .route(web::get().to(get_instance))
            .route(web::delete().to(deregister_instance)),
    )
    .service(
        web::resource("/microservices/{service_id}/instances/{instance_id}/heartbeat")
            .route(web::put().to(heartbeat))
            .route(web::get().to(super::heartbeat_socket::heartbeat_socket)),
    )
    .service(
        web::resource("/microservices/{service_id}/instances/{instance_id}/status")
            .route(web::put().to(set_instance_status)),
    )
    .service(
        web::resource("/microservices/{service_id}/instances/{instance_id}/properties")
            .route(web::put().to(set_instance_properties)),
    )
    .service(web::resource("/heartbeats").route(web::put().to(heartbeats)))
    .service(web::resource("/instances/status").route(web::put().to(set_statuses_where)));
}

#[derive(Deserialize)]
struct RevQuery {
    rev: Option<String>,
}

#[derive(Deserialize)]
struct RegisterBody {
    instance: Option<InstanceBody>,
}

#[utoipa::path(
    post,
    path = "/v4/{project_id}/registry/microservices/{service_id}/instances",
    tag = "Registry",
    operation_id = "registry_register_instance",
    params(ServiceRoute),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn register_instance(
    caller: Caller,
    path: web::Path<ServiceRoute>,
    body: JsonBody<RegisterBody>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
    watchers: web::Data<Watchers>,
) -> Reply {
    caller.require("cse:instance:register")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let service_id = ServiceId::parse(&path.service_id)?;
    let instance = body
        .parse()?
        .instance
        .ok_or_else(|| RegistryError::InvalidParams("Request body is empty".into()))?;
    let instance = NewInstance::parse(instance)?;
    let (id, created) = model
        .register(
            &state.db,
            tenant,
            service_id,
            instance,
            state.clock.now_ms(),
        )
        .await?;
    watchers
        .publish(&state.db, created.into_iter().collect())
        .await;
    Ok(HttpResponse::Ok().json(json!({ "instanceId": id.as_str() })))
}

#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/microservices/{service_id}/instances",
    tag = "Registry",
    operation_id = "registry_list_instances",
    params(ServiceRoute),
    responses(Replies)
)]
async fn list_instances(
    caller: Caller,
    path: web::Path<ServiceRoute>,
    query: web::Query<RevQuery>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
) -> Reply {
    caller.require("cse:instance:list")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let service_id = ServiceId::parse(&path.service_id)?;
    let live = model.instances_of(&tenant, service_id.as_str(), state.clock.now_ms())?;
    let listing = Listing::of(&live);
    revision_reply(listing.body, &listing.rev, query.rev.as_deref())
}

fn instance_ids(path: &InstanceRoute) -> Result<(ServiceId, InstanceId), RegistryError> {
    Ok((
        ServiceId::parse(&path.service_id)?,
        InstanceId::parse(&path.instance_id)?,
    ))
}

#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/microservices/{service_id}/instances/{instance_id}",
    tag = "Registry",
    operation_id = "registry_get_instance",
    params(InstanceRoute),
    responses(Replies)
)]
async fn get_instance(
    caller: Caller,
    path: web::Path<InstanceRoute>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
) -> Reply {
    caller.require("cse:instance:get")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let (service_id, instance_id) = instance_ids(&path)?;
    let instance = model.instance(
        &tenant,
        service_id.as_str(),
        instance_id.as_str(),
        state.clock.now_ms(),
    )?;
    // The instance as the model keeps it, already rendered.
    let body = format!("{{\"instance\":{}}}", instance.json);
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body))
}

#[utoipa::path(
    delete,
    path = "/v4/{project_id}/registry/microservices/{service_id}/instances/{instance_id}",
    tag = "Registry",
    operation_id = "registry_deregister_instance",
    params(InstanceRoute),
    responses(Replies)
)]
async fn deregister_instance(
    caller: Caller,
    path: web::Path<InstanceRoute>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
    watchers: web::Data<Watchers>,
) -> Reply {
    caller.require("cse:instance:deregister")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let (service_id, instance_id) = instance_ids(&path)?;
    let gone = model
        .deregister(
            &state.db,
            tenant,
            service_id,
            instance_id,
            state.clock.now_ms(),
        )
        .await?;
    watchers.publish(&state.db, vec![gone]).await;
    Ok(ok_empty())
}

#[utoipa::path(
    put,
    path = "/v4/{project_id}/registry/microservices/{service_id}/instances/{instance_id}/heartbeat",
    tag = "Registry",
    operation_id = "registry_heartbeat",
    params(InstanceRoute),
    responses(Replies)
)]
async fn heartbeat(
    caller: Caller,
    path: web::Path<InstanceRoute>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
) -> Reply {
    caller.require("cse:instance:heartbeat")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let (service_id, instance_id) = instance_ids(&path)?;
    let now = state.clock.now_ms();
    if !model.renew(&tenant, service_id.as_str(), instance_id.as_str(), now) {
        return Err(RegistryError::InstanceNotExists(
            "Instance does not exist.".into(),
        ));
    }
    Ok(ok_empty())
}

#[derive(Deserialize)]
struct HeartbeatsBody {
    instances: Option<Vec<InstanceRef>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HeartbeatResult {
    service_id: String,
    instance_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    err_message: Option<String>,
}

/// Batch heartbeat: always 200 once the list is non-empty; a bad or unknown instance
/// only fails its own item.
#[utoipa::path(
    put,
    path = "/v4/{project_id}/registry/heartbeats",
    tag = "Registry",
    operation_id = "registry_heartbeats",
    params(ProjectRoute),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn heartbeats(
    caller: Caller,
    path: web::Path<ProjectRoute>,
    body: JsonBody<HeartbeatsBody>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
) -> Reply {
    caller.require("cse:instance:heartbeat")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let items = domain::parse_heartbeat_set(body.parse()?.instances)?;
    let mut results: Vec<HeartbeatResult> = Vec::with_capacity(items.len());
    let mut valid = Vec::new();
    for item in items {
        let err_message = ServiceId::parse(&item.service_id)
            .and_then(|_| InstanceId::parse(&item.instance_id))
            .err()
            .map(|e| e.err_message());
        if err_message.is_none() {
            valid.push((item.service_id.clone(), item.instance_id.clone()));
        }
        results.push(HeartbeatResult {
            service_id: item.service_id,
            instance_id: item.instance_id,
            err_message,
        });
    }
    let now = state.clock.now_ms();
    let renewed: Vec<bool> = valid
        .iter()
        .map(|(service, instance)| model.renew(&tenant, service, instance, now))
        .collect();
    let missing = RegistryError::InstanceNotExists("Instance does not exist.".into());
    let mut renewed = renewed.into_iter();
    for result in results.iter_mut().filter(|r| r.err_message.is_none()) {
        if !renewed.next().unwrap_or(false) {
            result.err_message = Some(missing.err_message());
        }
    }
    Ok(HttpResponse::Ok().json(json!({ "instances": results })))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct StatusQuery {
    /// UP, DOWN, STARTING, TESTING or OUTOFSERVICE
    value: Option<String>,
}

#[utoipa::path(
    put,
    path = "/v4/{project_id}/registry/microservices/{service_id}/instances/{instance_id}/status",
    tag = "Registry",
    operation_id = "registry_set_instance_status",
    params(InstanceRoute, StatusQuery),
    responses(Replies)
)]
async fn set_instance_status(
    caller: Caller,
    path: web::Path<InstanceRoute>,
    query: web::Query<StatusQuery>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
    watchers: web::Data<Watchers>,
) -> Reply {
    caller.require("cse:instance:update")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let (service_id, instance_id) = instance_ids(&path)?;
    let status = InstanceStatus::parse(query.value.as_deref().unwrap_or(""))?;
    let now = state.clock.now_ms();
    let changed = model
        .write(&state.db, async |conn, touched| {
            store::set_instance_status(conn, &tenant, &service_id, &instance_id, status, now)
                .await?;
            touched.instance(&tenant, service_id.as_str(), instance_id.as_str());
            store::change_of(conn, &tenant, &service_id, &instance_id, "UPDATE", now).await
        })
        .await?;
    watchers
        .publish(&state.db, changed.into_iter().collect())
        .await;
    Ok(ok_empty())
}

#[utoipa::path(
    put,
    path = "/v4/{project_id}/registry/microservices/{service_id}/instances/{instance_id}/properties",
    tag = "Registry",
    operation_id = "registry_set_instance_properties",
    params(InstanceRoute),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn set_instance_properties(
    caller: Caller,
    path: web::Path<InstanceRoute>,
    body: JsonBody<PropertiesBody>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
    watchers: web::Data<Watchers>,
) -> Reply {
    caller.require("cse:instance:update")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let (service_id, instance_id) = instance_ids(&path)?;
    let properties = required_properties(body.parse()?)?;
    let now = state.clock.now_ms();
    let changed = model
        .write(&state.db, async |conn, touched| {
            touched.instance(&tenant, service_id.as_str(), instance_id.as_str());
            store::set_instance_properties(
                conn,
                &tenant,
                &service_id,
                &instance_id,
                &properties,
                now,
            )
            .await?;
            store::change_of(conn, &tenant, &service_id, &instance_id, "UPDATE", now).await
        })
        .await?;
    watchers
        .publish(&state.db, changed.into_iter().collect())
        .await;
    Ok(ok_empty())
}

#[derive(Deserialize, Default)]
struct StatusMatches {
    #[serde(default)]
    properties: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct StatusesBody {
    #[serde(default)]
    matches: StatusMatches,
    status: Option<String>,
}

/// `PUT /instances/status` (Service Center 2.2+): every live instance of the tenant whose
/// properties hold all of `matches.properties` (none given: every instance) gets
/// `status`, in one transaction. Unlike Service Center, which writes any string, the
/// status must be one of the five documented values.
#[utoipa::path(
    put,
    path = "/v4/{project_id}/registry/instances/status",
    tag = "Registry",
    operation_id = "registry_set_instance_statuses",
    params(ProjectRoute),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn set_statuses_where(
    caller: Caller,
    path: web::Path<ProjectRoute>,
    body: JsonBody<StatusesBody>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
    watchers: web::Data<Watchers>,
) -> Reply {
    caller.require("cse:instance:update")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let body = body.parse()?;
    let status = InstanceStatus::parse(body.status.as_deref().unwrap_or(""))?;
    let matches = body.matches.properties;
    let changed = model
        .write(&state.db, async |conn, touched| {
            let changed =
                store::set_statuses_where(conn, &tenant, &matches, status, state.clock.now_ms())
                    .await?;
            touched.changes(&changed);
            Ok::<_, RegistryError>(changed)
        })
        .await?;
    watchers.publish(&state.db, changed).await;
    Ok(ok_empty())
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    register_instance,
    list_instances,
    get_instance,
    deregister_instance,
    heartbeat,
    heartbeats,
    set_instance_status,
    set_instance_properties,
    set_statuses_where
))]
pub struct Api;
