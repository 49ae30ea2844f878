//! Discovery: `GET /instances` finds the live instances of provider versions.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::super::domain::{FindQuery, InstanceId, ServiceId};
use super::super::error::RegistryError;
use super::super::model::Model;
use super::super::store;
use super::views::{Listing, revision_reply};
use super::*;
use crate::error::Rejection;
use crate::extract::JsonBody;
use crate::iam::Caller;
use crate::kit::Replies;
use crate::state::AppState;
use utoipa::IntoParams;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/instances").route(web::get().to(find_instances)))
        .service(web::resource("/instances/action").route(web::post().to(instances_action)));
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct FindParams {
    /// application
    app_id: Option<String>,
    /// service name or alias
    service_name: Option<String>,
    /// latest, 1.0.0+, 1.0.0-2.0.0 or exact; none means all
    version: Option<String>,
    /// environment
    env: Option<String>,
    /// revision from X-Resource-Revision: 304 when unchanged
    rev: Option<String>,
}

/// Discovery. With `X-ConsumerId` the consumer must exist, and the consumer → provider
/// dependency is recorded before the reply, as Service Center records it on find.
#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/instances",
    tag = "Registry",
    operation_id = "registry_find_instances",
    params(ProjectRoute, FindParams),
    responses(Replies)
)]
async fn find_instances(
    caller: Caller,
    req: HttpRequest,
    path: web::Path<ProjectRoute>,
    query: web::Query<FindParams>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
) -> Reply {
    caller.require("cse:instance:discover")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let find = FindQuery::parse(
        query.app_id.as_deref(),
        query.service_name.as_deref(),
        query.env.as_deref(),
        query.version.as_deref(),
        state.settings.registry.version_rules,
    )?;
    let consumer = consumer_of(&req)?;
    let found = find_recording(&state, &model, &tenant, &find, consumer.as_ref()).await?;
    revision_reply(found.body, &found.rev, query.rev.as_deref())
}

/// The `X-ConsumerId` header, when one is sent.
fn consumer_of(req: &HttpRequest) -> Result<Option<ServiceId>, RegistryError> {
    match req.headers().get("X-ConsumerId") {
        None => Ok(None),
        Some(v) => {
            let v = v.to_str().map_err(|_| {
                RegistryError::InvalidParams("X-ConsumerId is not visible ASCII".into())
            })?;
            (!v.is_empty()).then(|| ServiceId::parse(v)).transpose()
        }
    }
}

/// Finds a provider's instances in the read model, then records the consumer → provider
/// rule the lookup taught, in a write of its own (only when it is new).
async fn find_recording(
    state: &AppState,
    model: &Model,
    tenant: &Tenant,
    find: &FindQuery,
    consumer: Option<&ServiceId>,
) -> Result<Listing, RegistryError> {
    let (live, rule) = model.find(tenant, find, consumer, state.clock.now_ms())?;
    let listing = Listing::of(&live);
    if let Some(rule) = rule {
        model
            .write(&state.db, async |conn, touched| {
                store::record_dependency(
                    conn,
                    tenant,
                    &rule.consumer_id,
                    &rule.environment,
                    &rule.app_id,
                    &rule.service_name,
                )
                .await?;
                touched.rules(tenant, Some(&rule.consumer_id));
                Ok::<_, RegistryError>(())
            })
            .await?;
    }
    Ok(listing)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ActionQuery {
    /// query (the only action)
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// One provider key of a batch find.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServiceKeyBody {
    environment: Option<String>,
    app_id: Option<String>,
    service_name: Option<String>,
}

#[derive(Deserialize)]
struct FindService {
    service: Option<ServiceKeyBody>,
    rev: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InstanceKeyBody {
    service_id: Option<String>,
    instance_id: Option<String>,
}

#[derive(Deserialize)]
struct FindInstance {
    instance: Option<InstanceKeyBody>,
    rev: Option<String>,
}

#[derive(Deserialize)]
struct BatchFindBody {
    services: Option<Vec<FindService>>,
    instances: Option<Vec<FindInstance>>,
}

#[derive(Serialize)]
struct FindResult {
    index: usize,
    rev: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    instances: Option<Box<RawValue>>,
}

#[derive(Serialize)]
struct FailedError {
    #[serde(rename = "errorCode")]
    error_code: String,
    #[serde(rename = "errorMessage")]
    error_message: String,
    detail: String,
}

#[derive(Serialize)]
struct Failed {
    indexes: Vec<usize>,
    error: FailedError,
}

/// One part (`services` or `instances`) of a batch reply.
#[derive(Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct BatchResult {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    failed: Vec<Failed>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    not_modified: Vec<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    updated: Vec<FindResult>,
}

impl BatchResult {
    /// Files an item: its instances and revision, or its refusal grouped by code.
    fn add(
        &mut self,
        index: usize,
        known: Option<&str>,
        outcome: Result<Listing, RegistryError>,
    ) -> Result<(), RegistryError> {
        match outcome {
            Ok(listing) => {
                if known == Some(listing.rev.as_str()) {
                    self.not_modified.push(index);
                } else {
                    self.updated.push(FindResult {
                        index,
                        instances: listing
                            .array()
                            .map(|a| RawValue::from_string(a.to_owned()))
                            .transpose()
                            .map_err(|e| RegistryError::Internal(e.to_string()))?,
                        rev: listing.rev,
                    });
                }
            }
            // A failure of the database is the request's, not the item's.
            Err(e @ (RegistryError::Internal(_) | RegistryError::Unavailable(_))) => return Err(e),
            Err(e) => {
                let code = e.code().to_string();
                match self.failed.iter_mut().find(|f| f.error.error_code == code) {
                    Some(group) => group.indexes.push(index),
                    None => self.failed.push(Failed {
                        indexes: vec![index],
                        error: FailedError {
                            error_code: code,
                            error_message: e.to_string(),
                            detail: e.err_message(),
                        },
                    }),
                }
            }
        }
        Ok(())
    }
}

/// Batch discovery, what go-chassis uses to find providers: each `services` item runs
/// the `GET /instances` lookup (recording the consumer's dependency, matching names but
/// not aliases), each `instances` item the lookup of one instance; every item gets its
/// instances and revision, `notModified` when the client already holds that revision,
/// or a failure grouped by error code. Always 200 once the request itself is valid.
#[utoipa::path(
    post,
    path = "/v4/{project_id}/registry/instances/action",
    tag = "Registry",
    operation_id = "registry_batch_find_instances",
    params(ProjectRoute, ActionQuery),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn instances_action(
    caller: Caller,
    req: HttpRequest,
    path: web::Path<ProjectRoute>,
    query: web::Query<ActionQuery>,
    body: JsonBody<BatchFindBody>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
) -> Reply {
    #[derive(Serialize)]
    struct Reply {
        #[serde(skip_serializing_if = "Option::is_none")]
        services: Option<BatchResult>,
        #[serde(skip_serializing_if = "Option::is_none")]
        instances: Option<BatchResult>,
    }
    caller.require("cse:instance:discover")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let body = body.parse().map_err(|r| match r {
        Rejection::BadRequest(_) => RegistryError::InvalidParams("Unmarshal error".into()),
        other => RegistryError::from(other),
    })?;
    if query.kind.as_deref() != Some("query") {
        return Err(RegistryError::InvalidParams(format!(
            "Invalid action: {}",
            query.kind.as_deref().unwrap_or("")
        )));
    }
    let services = body.services.unwrap_or_default();
    let instances = body.instances.unwrap_or_default();
    if services.is_empty() && instances.is_empty() {
        return Err(RegistryError::InvalidParams(
            "Required services or instances".into(),
        ));
    }
    let consumer = consumer_of(&req)?;
    // The whole request is checked before any item is looked up.
    let mut finds = Vec::with_capacity(services.len());
    for item in &services {
        let key = item
            .service
            .as_ref()
            .ok_or_else(|| RegistryError::InvalidParams("services[].service is required".into()))?;
        let mut find = FindQuery::parse(
            Some(key.app_id.as_deref().unwrap_or("")),
            key.service_name.as_deref(),
            key.environment.as_deref(),
            None,
            false,
        )?;
        find.alias_fallback = false;
        finds.push(find);
    }
    let mut keys = Vec::with_capacity(instances.len());
    for item in &instances {
        let key = item.instance.as_ref().ok_or_else(|| {
            RegistryError::InvalidParams("instances[].instance is required".into())
        })?;
        keys.push((
            ServiceId::parse(key.service_id.as_deref().unwrap_or(""))?,
            InstanceId::parse(key.instance_id.as_deref().unwrap_or(""))?,
        ));
    }

    let mut reply = Reply {
        services: None,
        instances: None,
    };
    if !finds.is_empty() {
        let mut part = BatchResult::default();
        for (index, (find, item)) in finds.iter().zip(&services).enumerate() {
            let outcome = find_recording(&state, &model, &tenant, find, consumer.as_ref()).await;
            part.add(index, item.rev.as_deref(), outcome)?;
        }
        reply.services = Some(part);
    }
    if !keys.is_empty() {
        let mut part = BatchResult::default();
        for (index, ((service_id, instance_id), item)) in keys.iter().zip(&instances).enumerate() {
            let outcome = model
                .instance(
                    &tenant,
                    service_id.as_str(),
                    instance_id.as_str(),
                    state.clock.now_ms(),
                )
                .map(|entry| Listing::of(&[entry]))
                .map_err(|e| match e {
                    RegistryError::ServiceNotExists(_) => RegistryError::ServiceNotExists(format!(
                        "Provider[{}] does not exist.",
                        service_id.as_str()
                    )),
                    other => other,
                });
            part.add(index, item.rev.as_deref(), outcome)?;
        }
        reply.instances = Some(part);
    }
    Ok(HttpResponse::Ok().json(reply))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(find_instances, instances_action))]
pub struct Api;
