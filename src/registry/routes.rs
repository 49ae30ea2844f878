//! HTTP handlers of the registry, mounted by startup under `/v4/{project_id}/registry`.
//! Each handler checks the caller's permission, parses its input into domain types and
//! renders what the store returns in Service Center's JSON shapes.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha1::{Digest, Sha1};

use super::domain::{
    self, DataCenter, Dependency, DependencyBody, DependencyMode, Environment, FindQuery,
    Framework, InstanceBody, InstanceId, InstanceRef, InstanceStatus, NewInstance, NewService,
    Schema, SchemaBody, SchemaId, ServiceBody, ServiceId, ServiceIds, ServicePath, Tenant,
};
use super::error::RegistryError;
use super::store::{self, InstanceRecord, SchemaRecord, ServiceFilter, ServiceRecord};
use crate::extract::JsonBody;
use crate::iam::Caller;
use crate::startup::AppState;

type Reply = Result<HttpResponse, RegistryError>;

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
    .service(web::resource("/existence").route(web::get().to(existence)))
    .service(
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
            .route(web::put().to(heartbeat)),
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
    .service(web::resource("/instances").route(web::get().to(find_instances)))
    .service(
        web::resource("/dependencies")
            .route(web::put().to(override_dependencies))
            .route(web::post().to(add_dependencies)),
    )
    .service(web::resource("/microservices/{service_id}/providers").route(web::get().to(providers)))
    .service(web::resource("/microservices/{service_id}/consumers").route(web::get().to(consumers)))
    .service(
        web::resource("/microservices/{service_id}/schemas")
            .route(web::post().to(replace_schemas))
            .route(web::get().to(list_schemas)),
    )
    .service(
        web::resource("/microservices/{service_id}/schemas/{schema_id}")
            .route(web::put().to(put_schema))
            .route(web::get().to(get_schema))
            .route(web::delete().to(delete_schema)),
    )
    .service(
        web::resource("/microservices/{service_id}/tags")
            .route(web::post().to(add_tags))
            .route(web::get().to(get_tags)),
    )
    .service(
        web::resource("/microservices/{service_id}/tags/{key}")
            .route(web::put().to(update_tag))
            .route(web::delete().to(delete_tags)),
    );
}

// ---------------------------------------------------------------------------------------
// Paths and views

#[derive(Deserialize)]
struct ProjectRoute {
    project_id: String,
}

#[derive(Deserialize)]
struct ServiceRoute {
    project_id: String,
    service_id: String,
}

#[derive(Deserialize)]
struct InstanceRoute {
    project_id: String,
    service_id: String,
    instance_id: String,
}

#[derive(Deserialize)]
struct SchemaRoute {
    project_id: String,
    service_id: String,
    schema_id: String,
}

#[derive(Deserialize)]
struct TagRoute {
    project_id: String,
    service_id: String,
    key: String,
}

fn tenant(caller: &Caller, project_id: &str) -> Tenant {
    Tenant {
        domain: caller.domain.clone(),
        project: project_id.to_owned(),
    }
}

fn from_column<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, RegistryError> {
    serde_json::from_str(text).map_err(|e| RegistryError::Internal(format!("stored JSON: {e}")))
}

/// A microservice as Service Center renders it (empty fields omitted, times as strings
/// of Unix seconds).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ServiceView {
    service_id: String,
    app_id: String,
    service_name: String,
    version: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    description: String,
    level: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    schemas: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    paths: Vec<ServicePath>,
    status: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    properties: BTreeMap<String, String>,
    timestamp: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    alias: String,
    mod_timestamp: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    environment: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    register_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    framework: Option<Framework>,
}

impl TryFrom<ServiceRecord> for ServiceView {
    type Error = RegistryError;

    fn try_from(r: ServiceRecord) -> Result<Self, RegistryError> {
        Ok(Self {
            schemas: from_column(&r.schemas)?,
            paths: from_column(&r.paths)?,
            properties: from_column(&r.properties)?,
            framework: r.framework.as_deref().map(from_column).transpose()?,
            service_id: r.service_id,
            app_id: r.app_id,
            service_name: r.service_name,
            version: r.version,
            description: r.description,
            level: r.level,
            status: r.status,
            timestamp: r.created_at.to_string(),
            alias: r.alias,
            mod_timestamp: r.modified_at.to_string(),
            environment: r.environment,
            register_by: r.register_by,
        })
    }
}

fn service_views(records: Vec<ServiceRecord>) -> Result<Vec<ServiceView>, RegistryError> {
    records.into_iter().map(ServiceView::try_from).collect()
}

#[derive(Serialize)]
struct HealthCheckView {
    mode: String,
    #[serde(skip_serializing_if = "is_zero")]
    port: i64,
    interval: i64,
    times: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    url: String,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InstanceView {
    instance_id: String,
    service_id: String,
    endpoints: Vec<String>,
    host_name: String,
    status: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    properties: BTreeMap<String, String>,
    health_check: HealthCheckView,
    timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_center_info: Option<DataCenter>,
    mod_timestamp: String,
    version: String,
}

impl TryFrom<InstanceRecord> for InstanceView {
    type Error = RegistryError;

    fn try_from(r: InstanceRecord) -> Result<Self, RegistryError> {
        Ok(Self {
            endpoints: from_column(&r.endpoints)?,
            properties: from_column(&r.properties)?,
            data_center_info: r.data_center.as_deref().map(from_column).transpose()?,
            instance_id: r.instance_id,
            service_id: r.service_id,
            host_name: r.host_name,
            status: r.status,
            health_check: HealthCheckView {
                mode: r.health_mode,
                port: r.health_port,
                interval: r.health_interval,
                times: r.health_times,
                url: r.health_url,
            },
            timestamp: r.created_at.to_string(),
            mod_timestamp: r.modified_at.to_string(),
            version: r.version,
        })
    }
}

#[derive(Deserialize)]
struct RevQuery {
    rev: Option<String>,
}

/// `{"instances":[...]}`, or `{}` when there are none, as Service Center replies, with
/// an `X-Resource-Revision` that changes whenever the reply would; a client that sends
/// the revision it already holds as `rev` gets 304 instead of the same list again.
/// Heartbeats do not touch the rendered instances, so they do not change the revision.
fn instances_reply(records: Vec<InstanceRecord>, known: Option<&str>) -> Reply {
    #[derive(Serialize)]
    struct Instances {
        #[serde(skip_serializing_if = "Vec::is_empty")]
        instances: Vec<InstanceView>,
    }
    let instances = records
        .into_iter()
        .map(InstanceView::try_from)
        .collect::<Result<_, _>>()?;
    let body = serde_json::to_vec(&Instances { instances })
        .map_err(|e| RegistryError::Internal(e.to_string()))?;
    let revision = hex::encode(Sha1::digest(&body));
    if known == Some(revision.as_str()) {
        return Ok(HttpResponse::NotModified()
            .insert_header(("X-Resource-Revision", revision))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header(("X-Resource-Revision", revision))
        .content_type("application/json")
        .body(body))
}

fn ok_empty() -> HttpResponse {
    HttpResponse::Ok().finish()
}

// ---------------------------------------------------------------------------------------
// Microservices

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
    params(("project_id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn create_service(
    caller: Caller,
    path: web::Path<ProjectRoute>,
    body: JsonBody<CreateServiceBody>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:microservice:create")?;
    let tenant = tenant(&caller, &path.project_id);
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
    let id = store::create_service(&state.db, &tenant, service, tags, instances).await?;
    Ok(HttpResponse::Ok().json(json!({ "serviceId": id.as_str() })))
}

#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/microservices/{service_id}",
    tag = "Registry",
    operation_id = "registry_get_service",
    params(("project_id" = String, Path), ("service_id" = String, Path)),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn get_service(
    caller: Caller,
    path: web::Path<ServiceRoute>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:microservice:get")?;
    let tenant = tenant(&caller, &path.project_id);
    let id = ServiceId::parse(&path.service_id)?;
    let service = store::get_service(&state.db, &tenant, &id).await?;
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
    params(("project_id" = String, Path)),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
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
    let tenant = tenant(&caller, &path.project_id);
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
    let services = store::list_services(&state.db, &tenant, &filter).await?;
    Ok(HttpResponse::Ok().json(Services {
        services: service_views(services)?,
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExistenceQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
    app_id: Option<String>,
    service_name: Option<String>,
    version: Option<String>,
    env: Option<String>,
    service_id: Option<String>,
    schema_id: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/existence",
    tag = "Registry",
    operation_id = "registry_existence",
    params(("project_id" = String, Path), ("type" = Option<String>, Query, description = "microservice or schema"), ("appId" = Option<String>, Query, description = "application"), ("serviceName" = Option<String>, Query, description = "service name or alias"), ("version" = Option<String>, Query, description = "exact version"), ("env" = Option<String>, Query, description = "environment"), ("serviceId" = Option<String>, Query, description = "for type=schema"), ("schemaId" = Option<String>, Query, description = "for type=schema")),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn existence(
    caller: Caller,
    path: web::Path<ProjectRoute>,
    query: web::Query<ExistenceQuery>,
    state: web::Data<AppState>,
) -> Reply {
    let tenant = tenant(&caller, &path.project_id);
    match query.kind.as_deref() {
        Some("microservice") => {
            caller.require("cse:microservice:get")?;
            let key = domain::parse_existence_key(
                query.app_id.as_deref(),
                query.service_name.as_deref(),
                query.env.as_deref(),
                query.version.as_deref(),
            )?;
            let id = store::service_id_of(&state.db, &tenant, &key).await?;
            Ok(HttpResponse::Ok().json(json!({ "serviceId": id })))
        }
        Some("schema") => {
            caller.require("cse:schema:get")?;
            let service_id = ServiceId::parse(query.service_id.as_deref().unwrap_or(""))?;
            let schema_id = SchemaId::parse(query.schema_id.as_deref().unwrap_or(""))?;
            let schema = store::get_schema(&state.db, &tenant, &service_id, &schema_id).await?;
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

#[derive(Deserialize)]
struct PropertiesBody {
    properties: Option<BTreeMap<String, String>>,
}

fn required_properties(body: PropertiesBody) -> Result<BTreeMap<String, String>, RegistryError> {
    body.properties
        .ok_or_else(|| RegistryError::InvalidParams("properties is required".into()))
}

#[utoipa::path(
    put,
    path = "/v4/{project_id}/registry/microservices/{service_id}/properties",
    tag = "Registry",
    operation_id = "registry_set_service_properties",
    params(("project_id" = String, Path), ("service_id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn set_service_properties(
    caller: Caller,
    path: web::Path<ServiceRoute>,
    body: JsonBody<PropertiesBody>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:microservice:update")?;
    let tenant = tenant(&caller, &path.project_id);
    let id = ServiceId::parse(&path.service_id)?;
    let properties = required_properties(body.parse()?)?;
    store::set_service_properties(&state.db, &tenant, &id, &properties).await?;
    Ok(ok_empty())
}

#[derive(Deserialize)]
struct ForceQuery {
    force: Option<String>,
}

#[utoipa::path(
    delete,
    path = "/v4/{project_id}/registry/microservices/{service_id}",
    tag = "Registry",
    operation_id = "registry_delete_service",
    params(("project_id" = String, Path), ("service_id" = String, Path), ("force" = Option<String>, Query, description = "true, false, 1 or 0")),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn delete_service(
    caller: Caller,
    path: web::Path<ServiceRoute>,
    query: web::Query<ForceQuery>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:microservice:delete")?;
    let tenant = tenant(&caller, &path.project_id);
    let force = domain::parse_force(query.force.as_deref())?;
    let id = ServiceId::parse(&path.service_id)?;
    store::delete_service(&state.db, &tenant, &id, force).await?;
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
    params(("project_id" = String, Path), ("force" = Option<String>, Query, description = "true, false, 1 or 0 (true in the body or here forces)")),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn delete_services(
    caller: Caller,
    path: web::Path<ProjectRoute>,
    query: web::Query<ForceQuery>,
    body: JsonBody<DeleteServicesBody>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:microservice:delete")?;
    let tenant = tenant(&caller, &path.project_id);
    let body = body.parse()?;
    let force = domain::parse_force(query.force.as_deref())? || body.force.unwrap_or(false);
    let ids = ServiceIds::parse(body.service_ids)?;
    let outcomes = store::delete_services(&state.db, &tenant, &ids, force).await;
    let services: Vec<DeletedService> = outcomes
        .iter()
        .map(|(id, err)| DeletedService {
            service_id: id.as_str(),
            err_message: err.as_ref().map(RegistryError::err_message),
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "services": services })))
}

// ---------------------------------------------------------------------------------------
// Instances

#[derive(Deserialize)]
struct RegisterBody {
    instance: Option<InstanceBody>,
}

#[utoipa::path(
    post,
    path = "/v4/{project_id}/registry/microservices/{service_id}/instances",
    tag = "Registry",
    operation_id = "registry_register_instance",
    params(("project_id" = String, Path), ("service_id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn register_instance(
    caller: Caller,
    path: web::Path<ServiceRoute>,
    body: JsonBody<RegisterBody>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:instance:register")?;
    let tenant = tenant(&caller, &path.project_id);
    let service_id = ServiceId::parse(&path.service_id)?;
    let instance = body
        .parse()?
        .instance
        .ok_or_else(|| RegistryError::InvalidParams("Request body is empty".into()))?;
    let instance = NewInstance::parse(instance)?;
    let id = store::register_instance(&state.db, &tenant, &service_id, &instance).await?;
    Ok(HttpResponse::Ok().json(json!({ "instanceId": id.as_str() })))
}

#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/microservices/{service_id}/instances",
    tag = "Registry",
    operation_id = "registry_list_instances",
    params(("project_id" = String, Path), ("service_id" = String, Path)),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn list_instances(
    caller: Caller,
    path: web::Path<ServiceRoute>,
    query: web::Query<RevQuery>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:instance:list")?;
    let tenant = tenant(&caller, &path.project_id);
    let service_id = ServiceId::parse(&path.service_id)?;
    let instances = store::list_instances(&state.db, &tenant, &service_id).await?;
    instances_reply(instances, query.rev.as_deref())
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
    params(("project_id" = String, Path), ("service_id" = String, Path), ("instance_id" = String, Path)),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn get_instance(
    caller: Caller,
    path: web::Path<InstanceRoute>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:instance:get")?;
    let tenant = tenant(&caller, &path.project_id);
    let (service_id, instance_id) = instance_ids(&path)?;
    let instance = store::get_instance(&state.db, &tenant, &service_id, &instance_id).await?;
    Ok(HttpResponse::Ok().json(json!({ "instance": InstanceView::try_from(instance)? })))
}

#[utoipa::path(
    delete,
    path = "/v4/{project_id}/registry/microservices/{service_id}/instances/{instance_id}",
    tag = "Registry",
    operation_id = "registry_deregister_instance",
    params(("project_id" = String, Path), ("service_id" = String, Path), ("instance_id" = String, Path)),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn deregister_instance(
    caller: Caller,
    path: web::Path<InstanceRoute>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:instance:deregister")?;
    let tenant = tenant(&caller, &path.project_id);
    let (service_id, instance_id) = instance_ids(&path)?;
    store::deregister_instance(&state.db, &tenant, &service_id, &instance_id).await?;
    Ok(ok_empty())
}

#[utoipa::path(
    put,
    path = "/v4/{project_id}/registry/microservices/{service_id}/instances/{instance_id}/heartbeat",
    tag = "Registry",
    operation_id = "registry_heartbeat",
    params(("project_id" = String, Path), ("service_id" = String, Path), ("instance_id" = String, Path)),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn heartbeat(
    caller: Caller,
    path: web::Path<InstanceRoute>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:instance:heartbeat")?;
    let tenant = tenant(&caller, &path.project_id);
    let (service_id, instance_id) = instance_ids(&path)?;
    store::heartbeat(&state.db, &tenant, &service_id, &instance_id).await?;
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
    params(("project_id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn heartbeats(
    caller: Caller,
    path: web::Path<ProjectRoute>,
    body: JsonBody<HeartbeatsBody>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:instance:heartbeat")?;
    let tenant = tenant(&caller, &path.project_id);
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
    let renewed = store::heartbeat_many(&state.db, &tenant, &valid).await?;
    let missing = RegistryError::InstanceNotExists("Instance does not exist.".into());
    let mut renewed = renewed.into_iter();
    for result in results.iter_mut().filter(|r| r.err_message.is_none()) {
        if !renewed.next().unwrap_or(false) {
            result.err_message = Some(missing.err_message());
        }
    }
    Ok(HttpResponse::Ok().json(json!({ "instances": results })))
}

#[derive(Deserialize)]
struct StatusQuery {
    value: Option<String>,
}

#[utoipa::path(
    put,
    path = "/v4/{project_id}/registry/microservices/{service_id}/instances/{instance_id}/status",
    tag = "Registry",
    operation_id = "registry_set_instance_status",
    params(("project_id" = String, Path), ("service_id" = String, Path), ("instance_id" = String, Path), ("value" = Option<String>, Query, description = "UP, DOWN, STARTING, TESTING or OUTOFSERVICE")),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn set_instance_status(
    caller: Caller,
    path: web::Path<InstanceRoute>,
    query: web::Query<StatusQuery>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:instance:update")?;
    let tenant = tenant(&caller, &path.project_id);
    let (service_id, instance_id) = instance_ids(&path)?;
    let status = InstanceStatus::parse(query.value.as_deref().unwrap_or(""))?;
    store::set_instance_status(&state.db, &tenant, &service_id, &instance_id, status).await?;
    Ok(ok_empty())
}

#[utoipa::path(
    put,
    path = "/v4/{project_id}/registry/microservices/{service_id}/instances/{instance_id}/properties",
    tag = "Registry",
    operation_id = "registry_set_instance_properties",
    params(("project_id" = String, Path), ("service_id" = String, Path), ("instance_id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn set_instance_properties(
    caller: Caller,
    path: web::Path<InstanceRoute>,
    body: JsonBody<PropertiesBody>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:instance:update")?;
    let tenant = tenant(&caller, &path.project_id);
    let (service_id, instance_id) = instance_ids(&path)?;
    let properties = required_properties(body.parse()?)?;
    store::set_instance_properties(&state.db, &tenant, &service_id, &instance_id, &properties)
        .await?;
    Ok(ok_empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FindParams {
    app_id: Option<String>,
    service_name: Option<String>,
    version: Option<String>,
    env: Option<String>,
    rev: Option<String>,
}

/// Discovery. With `X-ConsumerId` the consumer must exist, and the consumer → provider
/// dependency is recorded before the reply, as Service Center records it on find.
#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/instances",
    tag = "Registry",
    operation_id = "registry_find_instances",
    params(("project_id" = String, Path), ("appId" = Option<String>, Query, description = "application"), ("serviceName" = Option<String>, Query, description = "service name or alias"), ("version" = Option<String>, Query, description = "latest, 1.0.0+, 1.0.0-2.0.0 or exact; none means all"), ("env" = Option<String>, Query, description = "environment"), ("rev" = Option<String>, Query, description = "revision from X-Resource-Revision: 304 when unchanged")),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn find_instances(
    caller: Caller,
    req: HttpRequest,
    path: web::Path<ProjectRoute>,
    query: web::Query<FindParams>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:instance:discover")?;
    let tenant = tenant(&caller, &path.project_id);
    let find = FindQuery::parse(
        query.app_id.as_deref(),
        query.service_name.as_deref(),
        query.env.as_deref(),
        query.version.as_deref(),
    )?;
    let consumer = match req.headers().get("X-ConsumerId") {
        None => None,
        Some(v) => {
            let v = v.to_str().map_err(|_| {
                RegistryError::InvalidParams("X-ConsumerId is not visible ASCII".into())
            })?;
            (!v.is_empty()).then(|| ServiceId::parse(v)).transpose()?
        }
    };
    let instances = store::find_instances(&state.db, &tenant, &find, consumer.as_ref()).await?;
    instances_reply(instances, query.rev.as_deref())
}

// ---------------------------------------------------------------------------------------
// Dependencies

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
) -> Reply {
    caller.require("cse:dependency:update")?;
    let body = body.parse()?;
    let tenant = tenant(&caller, project_id);
    let dependencies = Dependency::parse_all(body.dependencies, mode)?;
    store::put_dependencies(&state.db, &tenant, &dependencies, mode).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Deprecation", "version=\"v4\""))
        .finish())
}

#[utoipa::path(
    put,
    path = "/v4/{project_id}/registry/dependencies",
    tag = "Registry",
    operation_id = "registry_override_dependencies",
    params(("project_id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn override_dependencies(
    caller: Caller,
    path: web::Path<ProjectRoute>,
    body: JsonBody<DependenciesBody>,
    state: web::Data<AppState>,
) -> Reply {
    put_dependencies(
        caller,
        &path.project_id,
        body,
        DependencyMode::Override,
        &state,
    )
    .await
}

#[utoipa::path(
    post,
    path = "/v4/{project_id}/registry/dependencies",
    tag = "Registry",
    operation_id = "registry_add_dependencies",
    params(("project_id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn add_dependencies(
    caller: Caller,
    path: web::Path<ProjectRoute>,
    body: JsonBody<DependenciesBody>,
    state: web::Data<AppState>,
) -> Reply {
    put_dependencies(caller, &path.project_id, body, DependencyMode::Add, &state).await
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
    params(("project_id" = String, Path), ("service_id" = String, Path)),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
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
    params(("project_id" = String, Path), ("service_id" = String, Path)),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
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
    let tenant = tenant(caller, &path.project_id);
    let id = ServiceId::parse(&path.service_id)?;
    let (key, found) = match side {
        Side::Providers => (
            "providers",
            store::providers_of(&state.db, &tenant, &id).await?,
        ),
        Side::Consumers => (
            "consumers",
            store::consumers_of(&state.db, &tenant, &id).await?,
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

// ---------------------------------------------------------------------------------------
// Schemas

#[derive(Deserialize)]
struct SchemasBody {
    schemas: Option<Vec<SchemaBody>>,
}

#[utoipa::path(
    post,
    path = "/v4/{project_id}/registry/microservices/{service_id}/schemas",
    tag = "Registry",
    operation_id = "registry_replace_schemas",
    params(("project_id" = String, Path), ("service_id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn replace_schemas(
    caller: Caller,
    path: web::Path<ServiceRoute>,
    body: JsonBody<SchemasBody>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:schema:update")?;
    let tenant = tenant(&caller, &path.project_id);
    let service_id = ServiceId::parse(&path.service_id)?;
    let schemas = Schema::parse_set(body.parse()?.schemas)?;
    store::replace_schemas(&state.db, &tenant, &service_id, &schemas).await?;
    Ok(ok_empty())
}

fn schema_ids(path: &SchemaRoute) -> Result<(ServiceId, SchemaId), RegistryError> {
    Ok((
        ServiceId::parse(&path.service_id)?,
        SchemaId::parse(&path.schema_id)?,
    ))
}

#[utoipa::path(
    put,
    path = "/v4/{project_id}/registry/microservices/{service_id}/schemas/{schema_id}",
    tag = "Registry",
    operation_id = "registry_put_schema",
    params(("project_id" = String, Path), ("service_id" = String, Path), ("schema_id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn put_schema(
    caller: Caller,
    path: web::Path<SchemaRoute>,
    body: JsonBody<SchemaBody>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:schema:update")?;
    let tenant = tenant(&caller, &path.project_id);
    let (service_id, schema_id) = schema_ids(&path)?;
    let schema = Schema::parse_for(schema_id, body.parse()?)?;
    store::put_schema(&state.db, &tenant, &service_id, &schema).await?;
    Ok(ok_empty())
}

#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/microservices/{service_id}/schemas/{schema_id}",
    tag = "Registry",
    operation_id = "registry_get_schema",
    params(("project_id" = String, Path), ("service_id" = String, Path), ("schema_id" = String, Path)),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn get_schema(
    caller: Caller,
    path: web::Path<SchemaRoute>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:schema:get")?;
    let tenant = tenant(&caller, &path.project_id);
    let (service_id, schema_id) = schema_ids(&path)?;
    let schema = store::get_schema(&state.db, &tenant, &service_id, &schema_id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("X-Schema-Summary", schema.summary.as_str()))
        .json(json!({ "schema": schema.schema })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemasQuery {
    with_schema: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/microservices/{service_id}/schemas",
    tag = "Registry",
    operation_id = "registry_list_schemas",
    params(("project_id" = String, Path), ("service_id" = String, Path)),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn list_schemas(
    caller: Caller,
    path: web::Path<ServiceRoute>,
    query: web::Query<SchemasQuery>,
    state: web::Data<AppState>,
) -> Reply {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct SchemaView {
        schema_id: String,
        #[serde(skip_serializing_if = "String::is_empty")]
        summary: String,
        #[serde(skip_serializing_if = "String::is_empty")]
        schema: String,
    }
    #[derive(Serialize)]
    struct Schemas {
        #[serde(skip_serializing_if = "Vec::is_empty")]
        schemas: Vec<SchemaView>,
    }
    caller.require("cse:schema:get")?;
    let tenant = tenant(&caller, &path.project_id);
    let service_id = ServiceId::parse(&path.service_id)?;
    let with_schema = domain::parse_with_schema(query.with_schema.as_deref())?;
    let schemas = store::list_schemas(&state.db, &tenant, &service_id).await?;
    let schemas = schemas
        .into_iter()
        .map(|s: SchemaRecord| SchemaView {
            schema_id: s.schema_id,
            summary: s.summary,
            schema: if with_schema { s.schema } else { String::new() },
        })
        .collect();
    Ok(HttpResponse::Ok().json(Schemas { schemas }))
}

#[utoipa::path(
    delete,
    path = "/v4/{project_id}/registry/microservices/{service_id}/schemas/{schema_id}",
    tag = "Registry",
    operation_id = "registry_delete_schema",
    params(("project_id" = String, Path), ("service_id" = String, Path), ("schema_id" = String, Path)),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn delete_schema(
    caller: Caller,
    path: web::Path<SchemaRoute>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:schema:delete")?;
    let tenant = tenant(&caller, &path.project_id);
    let (service_id, schema_id) = schema_ids(&path)?;
    store::delete_schema(&state.db, &tenant, &service_id, &schema_id).await?;
    Ok(ok_empty())
}

// ---------------------------------------------------------------------------------------
// Tags

#[derive(Deserialize)]
struct TagsBody {
    tags: Option<BTreeMap<String, String>>,
}

#[utoipa::path(
    post,
    path = "/v4/{project_id}/registry/microservices/{service_id}/tags",
    tag = "Registry",
    operation_id = "registry_add_tags",
    params(("project_id" = String, Path), ("service_id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn add_tags(
    caller: Caller,
    path: web::Path<ServiceRoute>,
    body: JsonBody<TagsBody>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:tag:update")?;
    let tenant = tenant(&caller, &path.project_id);
    let service_id = ServiceId::parse(&path.service_id)?;
    let tags = domain::parse_tags(body.parse()?.tags)?;
    store::add_tags(&state.db, &tenant, &service_id, &tags, domain::MAX_TAGS).await?;
    Ok(ok_empty())
}

#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/microservices/{service_id}/tags",
    tag = "Registry",
    operation_id = "registry_get_tags",
    params(("project_id" = String, Path), ("service_id" = String, Path)),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn get_tags(
    caller: Caller,
    path: web::Path<ServiceRoute>,
    state: web::Data<AppState>,
) -> Reply {
    #[derive(Serialize)]
    struct Tags {
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        tags: BTreeMap<String, String>,
    }
    caller.require("cse:tag:get")?;
    let tenant = tenant(&caller, &path.project_id);
    let service_id = ServiceId::parse(&path.service_id)?;
    let tags = store::get_tags(&state.db, &tenant, &service_id).await?;
    Ok(HttpResponse::Ok().json(Tags { tags }))
}

#[derive(Deserialize)]
struct TagValueQuery {
    value: Option<String>,
}

#[utoipa::path(
    put,
    path = "/v4/{project_id}/registry/microservices/{service_id}/tags/{key}",
    tag = "Registry",
    operation_id = "registry_update_tag",
    params(("project_id" = String, Path), ("service_id" = String, Path), ("key" = String, Path), ("value" = Option<String>, Query, description = "the new value")),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn update_tag(
    caller: Caller,
    path: web::Path<TagRoute>,
    query: web::Query<TagValueQuery>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:tag:update")?;
    let tenant = tenant(&caller, &path.project_id);
    let service_id = ServiceId::parse(&path.service_id)?;
    let key = domain::parse_tag_key(&path.key)?;
    let value = domain::parse_tag_value(query.value.as_deref().unwrap_or(""))?;
    store::update_tag(&state.db, &tenant, &service_id, &key, &value).await?;
    Ok(ok_empty())
}

#[utoipa::path(
    delete,
    path = "/v4/{project_id}/registry/microservices/{service_id}/tags/{key}",
    tag = "Registry",
    operation_id = "registry_delete_tags",
    params(("project_id" = String, Path), ("service_id" = String, Path), ("key" = String, Path)),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn delete_tags(
    caller: Caller,
    path: web::Path<TagRoute>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:tag:delete")?;
    let tenant = tenant(&caller, &path.project_id);
    let service_id = ServiceId::parse(&path.service_id)?;
    let keys = domain::parse_tag_keys(&path.key)?;
    store::delete_tags(&state.db, &tenant, &service_id, &keys).await?;
    Ok(ok_empty())
}

/// The registry operations in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    create_service,
    get_service,
    list_services,
    existence,
    set_service_properties,
    delete_service,
    delete_services,
    register_instance,
    list_instances,
    get_instance,
    deregister_instance,
    heartbeat,
    heartbeats,
    set_instance_status,
    set_instance_properties,
    find_instances,
    override_dependencies,
    add_dependencies,
    providers,
    consumers,
    replace_schemas,
    put_schema,
    get_schema,
    list_schemas,
    delete_schema,
    add_tags,
    get_tags,
    update_tag,
    delete_tags
))]
pub struct Api;
