//! Service Center's own admin API (`/v4/{project_id}/admin`, not cloudtwin's
//! `/_cloudtwin`): the cache dump, alarms and clusters, which its integration tests and
//! operators' scripts read.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::IntoParams;

use super::super::domain::ServiceId;
use super::super::store::{self, ServiceFilter};
use super::views::{InstanceView, ServiceView};
use super::*;
use crate::iam::Caller;
use crate::kit::Replies;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/dump").get(dump))
        .service(web::resource("/alarms").get(alarms).delete(clear_alarms))
        .service(web::resource("/clusters").get(clusters));
}

/// One cache entry as Service Center dumps it: its etcd key, its revision (cloudtwin:
/// the row's modification time) and the value.
#[derive(Serialize)]
struct Entry<T> {
    key: String,
    rev: i64,
    cluster: &'static str,
    value: T,
}

fn entry<T>(key: String, rev: i64, value: T) -> Entry<T> {
    Entry {
        key,
        rev,
        cluster: "default",
        value,
    }
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Cache {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    services: Vec<Entry<ServiceView>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    service_indexes: Vec<Entry<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    service_aliases: Vec<Entry<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    service_tags: Vec<Entry<BTreeMap<String, String>>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    summaries: Vec<Entry<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    instances: Vec<Entry<InstanceView>>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DumpQuery {
    /// comma list: cache (the default), info, all
    options: Option<String>,
}

/// `GET /admin/dump`: the registry as Service Center's cache holds it, under its etcd
/// key layout. Service Center dumps every tenant (and only for `default/default`);
/// cloudtwin dumps the caller's tenant, for every tenant, so tenancy holds here too.
#[utoipa::path(
    get,
    path = "/v4/{project_id}/admin/dump",
    tag = "Registry",
    operation_id = "registry_admin_dump",
    params(ProjectRoute, DumpQuery),
    responses(Replies)
)]
async fn dump(
    caller: Caller,
    path: web::Path<ProjectRoute>,
    query: web::Query<DumpQuery>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:microservice:list")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let (mut info, mut cache) = (false, false);
    for option in query.options.as_deref().unwrap_or("").split(',') {
        match option.trim() {
            "" | "cache" => cache = true,
            "info" => info = true,
            "all" => (info, cache) = (true, true),
            _ => {}
        }
    }
    #[derive(Serialize)]
    struct Dump {
        #[serde(skip_serializing_if = "Option::is_none")]
        info: Option<serde_json::Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        cache: Option<Cache>,
    }
    let mut reply = Dump {
        info: None,
        cache: None,
    };
    if info {
        let mut version = super::meta::version_body(super::meta::API_VERSION_V4);
        if let Some(fields) = version.as_object_mut() {
            fields.remove("apiVersion");
        }
        reply.info = Some(version);
    }
    if cache {
        let dp = format!("{}/{}", tenant.domain, tenant.project);
        let mut out = Cache::default();
        let mut tx = state.db.read().await?;
        for s in store::list_services(&mut tx, &tenant, &ServiceFilter::default()).await? {
            let id = ServiceId::parse(&s.service_id)?;
            let (sid, rev) = (s.service_id.clone(), s.modified_at);
            let index = format!(
                "{}/{}/{}/{}",
                s.environment, s.app_id, s.service_name, s.version
            );
            out.service_indexes.push(entry(
                format!("/cse-sr/ms/indexes/{dp}/{index}"),
                rev,
                sid.clone(),
            ));
            if !s.alias.is_empty() {
                let alias = format!("{}/{}/{}/{}", s.environment, s.app_id, s.alias, s.version);
                out.service_aliases.push(entry(
                    format!("/cse-sr/ms/alias/{dp}/{alias}"),
                    rev,
                    sid.clone(),
                ));
            }
            let tags = store::get_tags(&mut tx, &tenant, &id).await?;
            if !tags.is_empty() {
                out.service_tags
                    .push(entry(format!("/cse-sr/ms/tags/{dp}/{sid}"), rev, tags));
            }
            for schema in store::list_schemas(&mut tx, &tenant, &id).await? {
                if !schema.summary.is_empty() {
                    out.summaries.push(entry(
                        format!("/cse-sr/ms/schema-sum/{dp}/{sid}/{}", schema.schema_id),
                        rev,
                        schema.summary,
                    ));
                }
            }
            for instance in
                store::list_instances(&mut tx, &tenant, &id, state.clock.now_ms()).await?
            {
                let key = format!("/cse-sr/inst/files/{dp}/{sid}/{}", instance.instance_id);
                let rev = instance.modified_at;
                out.instances
                    .push(entry(key, rev, InstanceView::try_from(instance)?));
            }
            out.services.push(entry(
                format!("/cse-sr/ms/files/{dp}/{sid}"),
                rev,
                ServiceView::try_from(s)?,
            ));
        }
        reply.cache = Some(out);
    }
    Ok(HttpResponse::Ok().json(reply))
}

/// `GET /admin/alarms`: cloudtwin raises none of Service Center's alarms (they are
/// about its etcd backend and syncers), so the list is always empty: `{}`.
#[utoipa::path(
    get,
    path = "/v4/{project_id}/admin/alarms",
    tag = "Registry",
    operation_id = "registry_admin_alarms",
    params(ProjectRoute),
    responses(Replies)
)]
async fn alarms(caller: Caller, path: web::Path<ProjectRoute>) -> Reply {
    caller.require("cse:microservice:list")?;
    tenant(&caller, &path.project_id)?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `DELETE /admin/alarms`: clears every alarm, of which there are none.
#[utoipa::path(
    delete,
    path = "/v4/{project_id}/admin/alarms",
    tag = "Registry",
    operation_id = "registry_admin_clear_alarms",
    params(ProjectRoute),
    responses(Replies)
)]
async fn clear_alarms(caller: Caller, path: web::Path<ProjectRoute>) -> Reply {
    caller.require("cse:microservice:update")?;
    tenant(&caller, &path.project_id)?;
    Ok(ok_empty())
}

/// `GET /admin/clusters`: the backend's clusters. cloudtwin's backend is one SQLite
/// file, not etcd, so it answers `{}` as Service Center does on its non-etcd backend.
#[utoipa::path(
    get,
    path = "/v4/{project_id}/admin/clusters",
    tag = "Registry",
    operation_id = "registry_admin_clusters",
    params(ProjectRoute),
    responses(Replies)
)]
async fn clusters(caller: Caller, path: web::Path<ProjectRoute>) -> Reply {
    caller.require("cse:microservice:list")?;
    tenant(&caller, &path.project_id)?;
    Ok(HttpResponse::Ok().json(json!({})))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(dump, alarms, clear_alarms, clusters))]
pub struct Api;
