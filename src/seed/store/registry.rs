//! Microservices, instances, schemas and dependencies of a fixture, and their export.

use std::collections::BTreeMap;

use sqlx::SqliteConnection;

use super::super::*;
use super::*;

use crate::registry::domain::Tenant;
use crate::registry::store;
/// A microservice with its schemas, tags, instances and dependency rules, written
/// through the registry store with its pinned ids.
pub async fn insert_service(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    p: &PlanService,
    now: i64,
) -> Result<(), FixtureError> {
    let schema_ids: Vec<String> = p.schemas.iter().map(|x| x.id.as_str().to_owned()).collect();
    store::insert_service(conn, tenant, &p.id, &p.service, &schema_ids, now / 1000)
        .await
        .map_err(at(&p.ctx))?;
    for schema in &p.schemas {
        store::upsert_schema(conn, tenant, p.id.as_str(), schema)
            .await
            .map_err(at(&p.ctx))?;
    }
    store::upsert_tags(conn, tenant, &p.id, &p.tags)
        .await
        .map_err(at(&p.ctx))?;
    let version = p.service.key.version.as_str();
    for (ctx, id, instance) in &p.instances {
        store::insert_instance(conn, tenant, &p.id, id, version, instance, now)
            .await
            .map_err(at(ctx))?;
    }
    for (env, app, name) in &p.depends_on {
        store::record_dependency(conn, tenant, p.id.as_str(), env, app, name)
            .await
            .map_err(at(&p.ctx))?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ServiceRow {
    service_id: String,
    domain: String,
    project: String,
    environment: String,
    app_id: String,
    service_name: String,
    version: String,
    alias: String,
    description: String,
    level: String,
    status: String,
    register_by: String,
    properties: String,
}

#[derive(sqlx::FromRow)]
struct InstanceRow {
    domain: String,
    project: String,
    service_id: String,
    instance_id: String,
    host_name: String,
    endpoints: String,
    status: String,
    properties: String,
    health_interval: i64,
    health_times: i64,
}

pub(super) async fn export_registry(
    conn: &mut SqliteConnection,
) -> Result<Vec<TenantFx>, FixtureError> {
    let services: Vec<ServiceRow> = sqlx::query_as(
        "SELECT service_id, domain, project, environment, app_id, service_name, version, alias,
                description, level, status, register_by, properties
           FROM microservices
          ORDER BY domain, project, app_id, service_name, environment, version, service_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    // Expired instances are gone for every reader; the reaper just has not run yet.
    let instances: Vec<InstanceRow> = sqlx::query_as(
        "SELECT domain, project, service_id, instance_id, host_name, endpoints, status,
                properties, health_interval, health_times
           FROM instances WHERE lease_expires_ms >= ?
          ORDER BY domain, project, service_id, instance_id",
    )
    .bind(crate::clock::store::now(&mut *conn).await?)
    .fetch_all(&mut *conn)
    .await?;
    let schemas: Vec<(String, String, String, String, String, String)> = sqlx::query_as(
        "SELECT domain, project, service_id, schema_id, summary, schema FROM service_schemas
          ORDER BY domain, project, service_id, schema_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let tags: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT domain, project, service_id, key, value FROM service_tags
          ORDER BY domain, project, service_id, key",
    )
    .fetch_all(&mut *conn)
    .await?;
    let deps: Vec<(String, String, String, String, String, String)> = sqlx::query_as(
        "SELECT domain, project, consumer_id, provider_env, provider_app, provider_name
           FROM dependencies
          ORDER BY domain, project, consumer_id, provider_app, provider_name, provider_env",
    )
    .fetch_all(&mut *conn)
    .await?;

    let mut tenants: Vec<TenantFx> = Vec::new();
    for s in &services {
        let id = &s.service_id;
        // Ids are unique per tenant only: a child belongs to this service when its tenant
        // and service id both match.
        let mine = |domain: &str, project: &str, service: &str| {
            domain == s.domain && project == s.project && service == id
        };
        let service = ServiceFx {
            id: Some(id.clone()),
            app_id: Some(s.app_id.clone()),
            service_name: s.service_name.clone(),
            version: Some(s.version.clone()),
            environment: s.environment.clone(),
            alias: s.alias.clone(),
            description: s.description.clone(),
            level: Some(s.level.clone()),
            status: s.status.clone(),
            register_by: s.register_by.clone(),
            properties: column(&s.properties, "microservice properties")?,
            instances: instances
                .iter()
                .filter(|i| mine(&i.domain, &i.project, &i.service_id))
                .map(|i| {
                    Ok(InstanceFx {
                        id: Some(i.instance_id.clone()),
                        host_name: i.host_name.clone(),
                        endpoints: column(&i.endpoints, "instance endpoints")?,
                        status: i.status.clone(),
                        properties: column(&i.properties, "instance properties")?,
                        lease: (i.health_interval != PERMANENT_INTERVAL || i.health_times != 0)
                            .then_some(LeaseFx {
                                interval: i.health_interval,
                                times: i.health_times,
                            }),
                    })
                })
                .collect::<Result<_, FixtureError>>()?,
            schemas: schemas
                .iter()
                .filter(|x| mine(&x.0, &x.1, &x.2))
                .map(|x| SchemaFx {
                    id: x.3.clone(),
                    summary: x.4.clone(),
                    schema: x.5.clone(),
                })
                .collect(),
            tags: tags
                .iter()
                .filter(|t| mine(&t.0, &t.1, &t.2))
                .map(|t| (t.3.clone(), t.4.clone()))
                .collect::<BTreeMap<_, _>>(),
            depends_on: deps
                .iter()
                .filter(|d| mine(&d.0, &d.1, &d.2))
                .map(|d| ProviderFx {
                    app_id: (d.4 != s.app_id).then(|| d.4.clone()),
                    service_name: d.5.clone(),
                    environment: (d.3 != s.environment).then(|| d.3.clone()),
                })
                .collect(),
        };
        match tenants.last_mut() {
            Some(t) if t.domain == s.domain && t.project == s.project => {
                t.microservices.push(service);
            }
            _ => tenants.push(TenantFx {
                domain: s.domain.clone(),
                project: s.project.clone(),
                microservices: vec![service],
            }),
        }
    }
    Ok(tenants)
}
