//! Governance views, mounted by startup under `/v4/{project_id}/govern`: read-only
//! aggregates of the tenant's registry for dashboards, java-chassis' address index and
//! sc-client's `GetAllApplications`. Service Center serves them from a cache that lags
//! writes; cloudtwin reads them in one read transaction, so they never lag.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::SqliteConnection;
use utoipa::IntoParams;

use super::super::domain::{self, DetailOptions, Environment, ServiceId, Tenant};
use super::super::error::RegistryError;
use super::super::store::{self, ServiceFilter, ServiceRecord};
use super::views::{InstanceView, ServiceView, service_views};
use super::*;
use crate::iam::Caller;
use crate::kit::Replies;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/microservices").get(list_details))
        .service(web::resource("/microservices/{service_id}").get(one_detail))
        .service(web::resource("/relations").get(relations))
        .service(web::resource("/apps").get(apps))
        .service(web::resource("/statistics").get(statistics));
}

#[derive(Serialize)]
struct SchemaInfo {
    #[serde(rename = "schemaId")]
    schema_id: String,
    summary: String,
    schema: String,
}

/// Service Center's `ServiceDetail`: the service, and what the options asked for.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ServiceDetail {
    micro_service: ServiceView,
    #[serde(skip_serializing_if = "Option::is_none")]
    instances: Option<Vec<InstanceView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema_infos: Option<Vec<SchemaInfo>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    providers: Option<Vec<ServiceView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumers: Option<Vec<ServiceView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    statics: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    micro_service_versions: Option<Vec<String>>,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Counts {
    #[serde(skip_serializing_if = "is_zero")]
    count: i64,
    #[serde(skip_serializing_if = "is_zero")]
    online_count: i64,
    #[serde(skip_serializing_if = "is_zero")]
    count_by_domain: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

#[derive(Serialize, Default)]
struct Statistics {
    services: Counts,
    instances: Counts,
    apps: Counts,
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Service Center's statistics over the whole tenant: services counted by environment,
/// app and name (all versions together), online when any version has an instance.
async fn tenant_statistics(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    now: i64,
) -> Result<Statistics, RegistryError> {
    let services = store::list_services(conn, tenant, &ServiceFilter::default()).await?;
    let mut names = BTreeMap::<(String, String, String), bool>::new();
    let mut apps = BTreeSet::new();
    let mut instances = 0;
    for s in &services {
        let live = store::list_instances(conn, tenant, &ServiceId::parse(&s.service_id)?, now)
            .await?
            .len();
        instances += live;
        let key = (
            s.environment.clone(),
            s.app_id.clone(),
            s.service_name.clone(),
        );
        *names.entry(key).or_default() |= live > 0;
        apps.insert(s.app_id.clone());
    }
    Ok(Statistics {
        services: Counts {
            count: count(names.len()),
            online_count: count(names.values().filter(|online| **online).count()),
            ..Counts::default()
        },
        instances: Counts {
            count: count(instances),
            count_by_domain: count(instances),
            ..Counts::default()
        },
        apps: Counts {
            count: count(apps.len()),
            ..Counts::default()
        },
    })
}

/// One service's detail: `full` is the single-service view (everything, schemas and
/// instance properties kept); otherwise the list entry as `options` shape it.
async fn detail(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    record: ServiceRecord,
    options: DetailOptions,
    count_only: bool,
    full: bool,
    now: i64,
) -> Result<ServiceDetail, RegistryError> {
    let id = ServiceId::parse(&record.service_id)?;
    let key = (
        record.environment.clone(),
        record.app_id.clone(),
        record.service_name.clone(),
    );
    let mut service = ServiceView::try_from(record)?;
    if !full {
        service = service.without_schemas();
    }
    let mut out = ServiceDetail {
        micro_service: service,
        instances: None,
        schema_infos: None,
        providers: None,
        consumers: None,
        tags: None,
        statics: count_only.then(|| json!({})),
        micro_service_versions: None,
    };
    if options.instances {
        let live = store::list_instances(conn, tenant, &id, now).await?;
        if count_only {
            out.statics = Some(json!({"instances": {"count": live.len()}}));
        } else {
            let views = live.into_iter().map(InstanceView::try_from);
            out.instances = Some(if full {
                views.collect::<Result<_, _>>()?
            } else {
                views
                    .map(|v| v.map(InstanceView::without_properties))
                    .collect::<Result<_, _>>()?
            });
        }
    }
    if options.schemas {
        let schemas = store::list_schemas(conn, tenant, &id).await?;
        out.schema_infos = Some(
            schemas
                .into_iter()
                .map(|s| SchemaInfo {
                    schema_id: s.schema_id,
                    summary: s.summary,
                    schema: s.schema,
                })
                .collect(),
        );
    }
    if options.dependencies {
        let not_itself = |views: Vec<ServiceView>| -> Vec<ServiceView> {
            views
                .into_iter()
                .filter(|v| v.id() != id.as_str())
                .collect()
        };
        out.providers = Some(not_itself(service_views(
            store::providers_of(conn, tenant, &id).await?,
        )?));
        out.consumers = Some(not_itself(service_views(
            store::consumers_of(conn, tenant, &id).await?,
        )?));
    }
    if options.tags {
        out.tags = Some(store::get_tags(conn, tenant, &id).await?);
    }
    if full {
        let (env, app_id, name) = key;
        let filter = ServiceFilter {
            app_id: Some(app_id),
            service_name: Some(name),
            environment: Some(Environment::parse(Some(&env))?),
        };
        let versions = store::list_services(conn, tenant, &filter).await?;
        out.micro_service_versions = Some(versions.into_iter().map(|s| s.version).collect());
    }
    Ok(out)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct DetailsQuery {
    /// comma list: tags, instances, schemas, dependencies, statistics, all
    options: Option<String>,
    /// exact application
    app_id: Option<String>,
    /// exact service name
    service_name: Option<String>,
    /// exact environment
    env: Option<String>,
    /// 1 or 0: instance counts instead of lists
    count_only: Option<String>,
}

/// `GET /govern/microservices`: every service of the tenant with the details `options`
/// ask for, filtered by app, name, environment and properties.
#[utoipa::path(
    get,
    path = "/v4/{project_id}/govern/microservices",
    tag = "Registry",
    operation_id = "govern_list_services",
    params(
        ProjectRoute,
        DetailsQuery,
        ("property" = Option<String>, Query, description = "repeatable `key:value` (or bare `key`): the service's properties must hold each"),
        ("withShared" = Option<String>, Query, description = "accepted; cloudtwin stores no global (shared) services")
    ),
    responses(Replies)
)]
async fn list_details(
    caller: Caller,
    req: HttpRequest,
    path: web::Path<ProjectRoute>,
    query: web::Query<DetailsQuery>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:microservice:list")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let options = DetailOptions::parse(query.options.as_deref());
    let count_only = domain::parse_count_only(query.count_only.as_deref())?;
    let pairs = form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, _)| k == "property")
        .map(|(_, v)| v.into_owned())
        .collect::<Vec<_>>();
    let properties = domain::parse_property_filters(pairs.iter().map(String::as_str));
    let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
    let filter = ServiceFilter {
        app_id: nonempty(&query.app_id),
        service_name: nonempty(&query.service_name),
        environment: nonempty(&query.env)
            .map(|e| Environment::parse(Some(&e)))
            .transpose()?,
    };
    let mut tx = state.db.read().await?;
    let statistics = match options.statistics {
        true => Some(tenant_statistics(&mut tx, &tenant, state.clock.now_ms()).await?),
        false => None,
    };
    if options.statistics_only() {
        return Ok(HttpResponse::Ok().json(json!({ "statistics": statistics })));
    }
    let mut details = Vec::new();
    for record in store::list_services(&mut tx, &tenant, &filter).await? {
        let props: BTreeMap<String, String> = views::from_column(&record.properties)?;
        if properties.iter().all(|(k, v)| props.get(k) == Some(v)) {
            details.push(
                detail(
                    &mut tx,
                    &tenant,
                    record,
                    options,
                    count_only,
                    false,
                    state.clock.now_ms(),
                )
                .await?,
            );
        }
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Details {
        #[serde(skip_serializing_if = "Vec::is_empty")]
        all_services_detail: Vec<ServiceDetail>,
        #[serde(skip_serializing_if = "Option::is_none")]
        statistics: Option<Statistics>,
    }
    Ok(HttpResponse::Ok().json(Details {
        all_services_detail: details,
        statistics,
    }))
}

/// `GET /govern/microservices/{serviceId}`: everything about one service.
#[utoipa::path(
    get,
    path = "/v4/{project_id}/govern/microservices/{service_id}",
    tag = "Registry",
    operation_id = "govern_get_service",
    params(ServiceRoute),
    responses(Replies)
)]
async fn one_detail(
    caller: Caller,
    path: web::Path<ServiceRoute>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:microservice:get")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let id = ServiceId::parse(&path.service_id)?;
    let mut tx = state.db.read().await?;
    let record = store::get_service(&mut tx, &tenant, &id).await?;
    let everything = DetailOptions::parse(Some("all"));
    let service = detail(
        &mut tx,
        &tenant,
        record,
        everything,
        false,
        true,
        state.clock.now_ms(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "service": service })))
}

#[derive(Serialize)]
struct Node {
    id: String,
    name: String,
    #[serde(rename = "appId")]
    app_id: String,
    version: String,
    #[serde(rename = "type")]
    kind: &'static str,
    color: &'static str,
    position: &'static str,
}

/// `GET /govern/relations`: one node per service version, one line per consumer →
/// provider pair (the provider node with only its id and name, as Service Center's).
#[utoipa::path(
    get,
    path = "/v4/{project_id}/govern/relations",
    tag = "Registry",
    operation_id = "govern_relations",
    params(ProjectRoute),
    responses(Replies)
)]
async fn relations(
    caller: Caller,
    path: web::Path<ProjectRoute>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:microservice:list")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let mut tx = state.db.read().await?;
    let services = store::list_services(&mut tx, &tenant, &ServiceFilter::default()).await?;
    let node = |v: &ServiceView| Node {
        id: v.id().to_owned(),
        name: v.name().to_owned(),
        app_id: v.app_id().to_owned(),
        version: v.version().to_owned(),
        kind: "",
        color: "",
        position: "",
    };
    let mut nodes = Vec::new();
    let mut lines = Vec::new();
    for service in service_views(services)? {
        let id = ServiceId::parse(service.id())?;
        for provider in service_views(store::providers_of(&mut tx, &tenant, &id).await?)? {
            if provider.id() == service.id() {
                continue;
            }
            lines.push(json!({
                "from": node(&service),
                "to": {"id": provider.id(), "name": provider.name(), "appId": "",
                       "version": "", "type": "", "color": "", "position": ""},
                "type": "", "color": "", "descriptor": "",
            }));
        }
        nodes.push(node(&service));
    }
    // Service Center's graph has null, not [], for no nodes or lines.
    Ok(HttpResponse::Ok().json(json!({
        "nodes": (!nodes.is_empty()).then_some(nodes),
        "lines": (!lines.is_empty()).then_some(lines),
        "circles": null,
    })))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct AppsQuery {
    /// exact environment; absent means the empty one, as in Service Center
    env: Option<String>,
}

/// `GET /govern/apps`: the distinct apps of one environment, sorted.
#[utoipa::path(
    get,
    path = "/v4/{project_id}/govern/apps",
    tag = "Registry",
    operation_id = "govern_apps",
    params(
        ProjectRoute,
        AppsQuery,
        ("withShared" = Option<String>, Query, description = "accepted; cloudtwin stores no global (shared) services")
    ),
    responses(Replies)
)]
async fn apps(
    caller: Caller,
    path: web::Path<ProjectRoute>,
    query: web::Query<AppsQuery>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:microservice:list")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let filter = ServiceFilter {
        environment: Some(Environment::parse(query.env.as_deref())?),
        ..ServiceFilter::default()
    };
    let mut tx = state.db.read().await?;
    let apps: BTreeSet<String> = store::list_services(&mut tx, &tenant, &filter)
        .await?
        .into_iter()
        .map(|s| s.app_id)
        .collect();
    if apps.is_empty() {
        return Ok(HttpResponse::Ok().json(json!({})));
    }
    Ok(HttpResponse::Ok().json(json!({ "appIds": apps })))
}

/// `GET /govern/statistics`: the tenant's counts.
#[utoipa::path(
    get,
    path = "/v4/{project_id}/govern/statistics",
    tag = "Registry",
    operation_id = "govern_statistics",
    params(ProjectRoute),
    responses(Replies)
)]
async fn statistics(
    caller: Caller,
    path: web::Path<ProjectRoute>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:microservice:list")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let mut tx = state.db.read().await?;
    let statistics = tenant_statistics(&mut tx, &tenant, state.clock.now_ms()).await?;
    Ok(HttpResponse::Ok().json(json!({ "statistics": statistics })))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(list_details, one_detail, relations, apps, statistics))]
pub struct Api;
