//! All registry SQL. Every lookup is scoped by tenant (domain + project) so that another
//! tenant's rows look exactly like missing ones.

use std::collections::BTreeMap;

use sqlx::SqliteConnection;

use super::domain::{
    Dependency, DependencyMode, Environment, FindQuery, InstanceId, InstanceStatus, NewInstance,
    NewService, ProviderName, Schema, SchemaId, ServiceId, ServiceIds, ServiceKey, Tenant, Version,
    now_ms,
};
use super::error::RegistryError;
use crate::db::Db;

type Result<T> = std::result::Result<T, RegistryError>;

macro_rules! select_service {
    ($rest:literal) => {
        concat!(
            "SELECT service_id, environment, app_id, service_name, version, alias, description, ",
            "level, status, register_by, schemas, paths, properties, framework, created_at, ",
            "modified_at FROM microservices ",
            $rest
        )
    };
}

macro_rules! select_instance {
    ($rest:literal) => {
        concat!(
            "SELECT i.service_id, i.instance_id, i.host_name, i.endpoints, i.status, i.properties, ",
            "i.health_mode, i.health_interval, i.health_times, i.health_port, i.health_url, ",
            "i.data_center, i.version, i.created_at, i.modified_at FROM instances i ",
            $rest
        )
    };
}

#[derive(Debug, sqlx::FromRow)]
pub struct ServiceRecord {
    pub service_id: String,
    pub environment: String,
    pub app_id: String,
    pub service_name: String,
    pub version: String,
    pub alias: String,
    pub description: String,
    pub level: String,
    pub status: String,
    pub register_by: String,
    /// JSON array of schema ids.
    pub schemas: String,
    /// JSON array of `{path, property}`.
    pub paths: String,
    /// JSON object.
    pub properties: String,
    /// JSON object or NULL.
    pub framework: Option<String>,
    pub created_at: i64,
    pub modified_at: i64,
}

#[derive(Debug, sqlx::FromRow)]
pub struct InstanceRecord {
    pub service_id: String,
    pub instance_id: String,
    pub host_name: String,
    /// JSON array.
    pub endpoints: String,
    pub status: String,
    /// JSON object.
    pub properties: String,
    pub health_mode: String,
    pub health_interval: i64,
    pub health_times: i64,
    pub health_port: i64,
    pub health_url: String,
    /// JSON object or NULL.
    pub data_center: Option<String>,
    pub version: String,
    pub created_at: i64,
    pub modified_at: i64,
}

#[derive(Debug, sqlx::FromRow)]
pub struct SchemaRecord {
    pub schema_id: String,
    pub summary: String,
    pub schema: String,
}

fn to_json(value: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| RegistryError::Internal(e.to_string()))
}

fn now_secs() -> i64 {
    now_ms() / 1000
}

fn service_missing() -> RegistryError {
    RegistryError::ServiceNotExists("Service does not exist.".into())
}

fn instance_missing() -> RegistryError {
    RegistryError::InstanceNotExists("Instance does not exist.".into())
}

async fn service_in(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    id: &str,
) -> Result<Option<ServiceRecord>> {
    Ok(sqlx::query_as::<_, ServiceRecord>(select_service!(
        "WHERE service_id = ? AND domain = ? AND project = ?"
    ))
    .bind(id)
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .fetch_optional(&mut *conn)
    .await?)
}

async fn require_service(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    id: &ServiceId,
) -> Result<ServiceRecord> {
    service_in(conn, tenant, id.as_str())
        .await?
        .ok_or_else(service_missing)
}

/// Every version of one service name in a tenant.
async fn services_named(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    environment: &str,
    app_id: &str,
    service_name: &str,
) -> Result<Vec<ServiceRecord>> {
    Ok(sqlx::query_as::<_, ServiceRecord>(select_service!(
        "WHERE domain = ? AND project = ? AND environment = ? AND app_id = ? AND service_name = ? \
         ORDER BY created_at, service_id"
    ))
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .bind(environment)
    .bind(app_id)
    .bind(service_name)
    .fetch_all(&mut *conn)
    .await?)
}

// ---------------------------------------------------------------------------------------
// Microservices

/// Creates the service (with its tags and instances) or, when its key already exists,
/// returns the existing id as Service Center does.
pub async fn create_service(
    db: &Db,
    tenant: &Tenant,
    service: NewService,
    tags: BTreeMap<String, String>,
    instances: Vec<NewInstance>,
) -> Result<ServiceId> {
    db.write(async |conn| {
        let existing: Option<String> = sqlx::query_scalar(
            "SELECT service_id FROM microservices WHERE domain = ? AND project = ? \
             AND environment = ? AND app_id = ? AND service_name = ? AND version = ?",
        )
        .bind(&tenant.domain)
        .bind(&tenant.project)
        .bind(service.key.environment.as_str())
        .bind(&service.key.app_id)
        .bind(&service.key.service_name)
        .bind(service.key.version.as_str())
        .fetch_optional(&mut *conn)
        .await?;
        let conflict = || {
            RegistryError::ServiceAlreadyExists(
                "ServiceID conflict or found the same service with different id.".into(),
            )
        };
        if let Some(existing) = existing {
            return match service.requested_id() {
                Some(id) if id.as_str() != existing => Err(conflict()),
                _ => ServiceId::parse(&existing),
            };
        }
        let id = service.id(tenant);
        let taken: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM microservices WHERE service_id = ?)")
                .bind(id.as_str())
                .fetch_one(&mut *conn)
                .await?;
        if taken {
            return Err(conflict());
        }
        let now = now_secs();
        sqlx::query(
            "INSERT INTO microservices (service_id, domain, project, environment, app_id, \
             service_name, version, alias, description, level, status, register_by, schemas, \
             paths, properties, framework, created_at, modified_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id.as_str())
        .bind(&tenant.domain)
        .bind(&tenant.project)
        .bind(service.key.environment.as_str())
        .bind(&service.key.app_id)
        .bind(&service.key.service_name)
        .bind(service.key.version.as_str())
        .bind(&service.alias)
        .bind(&service.description)
        .bind(service.level.as_str())
        .bind(service.status)
        .bind(&service.register_by)
        .bind(to_json(&service.schemas)?)
        .bind(to_json(&service.paths)?)
        .bind(to_json(&service.properties)?)
        .bind(service.framework.as_ref().map(to_json).transpose()?)
        .bind(now)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        upsert_tags(conn, &id, &tags).await?;
        for instance in &instances {
            insert_instance(conn, &id, service.key.version.as_str(), instance).await?;
        }
        Ok(id)
    })
    .await
}

pub async fn get_service(db: &Db, tenant: &Tenant, id: &ServiceId) -> Result<ServiceRecord> {
    let mut conn = db.reader().acquire().await?;
    require_service(&mut conn, tenant, id).await
}

/// Optional filters of `GET /microservices`.
#[derive(Debug, Default)]
pub struct ServiceFilter {
    pub app_id: Option<String>,
    pub service_name: Option<String>,
    pub environment: Option<Environment>,
}

pub async fn list_services(
    db: &Db,
    tenant: &Tenant,
    filter: &ServiceFilter,
) -> Result<Vec<ServiceRecord>> {
    Ok(sqlx::query_as::<_, ServiceRecord>(select_service!(
        "WHERE domain = ?1 AND project = ?2 AND (?3 IS NULL OR app_id = ?3) \
         AND (?4 IS NULL OR service_name = ?4) AND (?5 IS NULL OR environment = ?5) \
         ORDER BY created_at, service_id"
    ))
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .bind(filter.app_id.as_deref())
    .bind(filter.service_name.as_deref())
    .bind(filter.environment.map(Environment::as_str))
    .fetch_all(db.reader())
    .await?)
}

/// The id of the service with exactly this key: 400012 when no version of the name
/// exists, 400026 when the name exists but not this version.
pub async fn service_id_of(db: &Db, tenant: &Tenant, key: &ServiceKey) -> Result<String> {
    let mut conn = db.reader().acquire().await?;
    let versions = services_named(
        &mut conn,
        tenant,
        key.environment.as_str(),
        &key.app_id,
        &key.service_name,
    )
    .await?;
    if versions.is_empty() {
        return Err(service_missing());
    }
    versions
        .into_iter()
        .find(|s| Version::parse(&s.version).is_ok_and(|v| v == key.version))
        .map(|s| s.service_id)
        .ok_or_else(|| {
            RegistryError::ServiceVersionNotExists(format!(
                "Micro-service version {} does not exist.",
                key.version.as_str()
            ))
        })
}

/// Replaces the service's properties.
pub async fn set_service_properties(
    db: &Db,
    tenant: &Tenant,
    id: &ServiceId,
    properties: &BTreeMap<String, String>,
) -> Result<()> {
    let properties = to_json(properties)?;
    db.write(async |conn| {
        let updated = sqlx::query(
            "UPDATE microservices SET properties = ?, modified_at = ? \
             WHERE service_id = ? AND domain = ? AND project = ?",
        )
        .bind(properties)
        .bind(now_secs())
        .bind(id.as_str())
        .bind(&tenant.domain)
        .bind(&tenant.project)
        .execute(&mut *conn)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(service_missing());
        }
        Ok(())
    })
    .await
}

/// Deletes each service of a batch on its own, in request order, and returns every
/// id with the reason it was refused, if it was. One service's failure never touches
/// another's transaction.
pub async fn delete_services(
    db: &Db,
    tenant: &Tenant,
    ids: &ServiceIds,
    force: bool,
) -> Vec<(ServiceId, Option<RegistryError>)> {
    let mut outcomes = Vec::new();
    for id in ids.iter() {
        let outcome = delete_service(db, tenant, id, force).await.err();
        if let Some(e @ (RegistryError::Internal(_) | RegistryError::Unavailable(_))) = &outcome {
            tracing::error!(error = ?e, service_id = id.as_str(), "batch delete failed");
        }
        outcomes.push((id.clone(), outcome));
    }
    outcomes
}

/// Deletes one service in its own transaction, refusing as Service Center does: not
/// found (400012), then, without `force`, depended on by another service (400023), then
/// live instances (400013). Everything that names the service goes in the same
/// transaction, so a refused delete changes nothing and a done one leaves no orphan.
pub async fn delete_service(db: &Db, tenant: &Tenant, id: &ServiceId, force: bool) -> Result<()> {
    db.write(async |conn| {
        let service = require_service(conn, tenant, id).await?;
        if !force {
            let consumers: Vec<String> = sqlx::query_scalar(
                "SELECT DISTINCT d.consumer_id FROM dependencies d \
                 JOIN microservices c ON c.service_id = d.consumer_id \
                 WHERE c.domain = ? AND c.project = ? AND d.provider_env = ? \
                 AND d.provider_app = ? AND d.provider_name = ? AND d.consumer_id <> ?",
            )
            .bind(&tenant.domain)
            .bind(&tenant.project)
            .bind(&service.environment)
            .bind(&service.app_id)
            .bind(&service.service_name)
            .bind(id.as_str())
            .fetch_all(&mut *conn)
            .await?;
            if !consumers.is_empty() {
                return Err(RegistryError::DependedOnConsumer);
            }
            let live: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM instances WHERE service_id = ? \
                 AND lease_expires_ms >= ?)",
            )
            .bind(id.as_str())
            .bind(now_ms())
            .fetch_one(&mut *conn)
            .await?;
            if live {
                return Err(RegistryError::DeployedInstance);
            }
        }
        // Rules name providers by name, not version: they go only with the last version.
        sqlx::query(
            "DELETE FROM dependencies WHERE provider_env = ?1 AND provider_app = ?2 \
             AND provider_name = ?3 \
             AND EXISTS (SELECT 1 FROM microservices c \
                                 WHERE c.service_id = dependencies.consumer_id AND c.domain = ?4 AND c.project = ?5) \
             AND NOT EXISTS (SELECT 1 FROM microservices WHERE domain = ?4 AND project = ?5 \
                             AND environment = ?1 AND app_id = ?2 AND service_name = ?3 \
                             AND service_id <> ?6)",
        )
        .bind(&service.environment)
        .bind(&service.app_id)
        .bind(&service.service_name)
        .bind(&tenant.domain)
        .bind(&tenant.project)
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
        // The foreign keys cascade too; deleting explicitly keeps the rule visible here.
        for sql in [
            "DELETE FROM dependencies WHERE consumer_id = ?",
            "DELETE FROM instances WHERE service_id = ?",
            "DELETE FROM service_schemas WHERE service_id = ?",
            "DELETE FROM service_tags WHERE service_id = ?",
            "DELETE FROM microservices WHERE service_id = ?",
        ] {
            sqlx::query(sql)
                .bind(id.as_str())
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Instances

async fn insert_instance(
    conn: &mut SqliteConnection,
    service_id: &ServiceId,
    version: &str,
    instance: &NewInstance,
) -> Result<InstanceId> {
    let id = instance.id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO instances (service_id, instance_id, host_name, endpoints, status, \
         properties, health_mode, health_interval, health_times, health_port, health_url, \
         data_center, version, created_at, modified_at, last_heartbeat_ms) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(service_id.as_str())
    .bind(id.as_str())
    .bind(&instance.host_name)
    .bind(to_json(&instance.endpoints)?)
    .bind(instance.status.as_str())
    .bind(to_json(&instance.properties)?)
    .bind(instance.health.mode.as_str())
    .bind(instance.health.interval)
    .bind(instance.health.times)
    .bind(instance.health.port)
    .bind(&instance.health.url)
    .bind(instance.data_center.as_ref().map(to_json).transpose()?)
    .bind(version)
    .bind(now / 1000)
    .bind(now / 1000)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            RegistryError::InvalidParams(format!("instanceId {} is given twice", id.as_str()))
        }
        _ => e.into(),
    })?;
    Ok(id)
}

/// Renews a live instance's lease; false when there is no live instance to renew.
async fn renew(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service: &str,
    instance: &str,
) -> Result<bool> {
    let now = now_ms();
    let renewed = sqlx::query(
        "UPDATE instances SET last_heartbeat_ms = ?1 \
         WHERE service_id = ?2 AND instance_id = ?3 AND lease_expires_ms >= ?1 \
         AND EXISTS (SELECT 1 FROM microservices m \
                     WHERE m.service_id = instances.service_id AND m.domain = ?4 AND m.project = ?5)",
    )
    .bind(now)
    .bind(service)
    .bind(instance)
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .execute(&mut *conn)
    .await?;
    Ok(renewed.rows_affected() > 0)
}

/// Registers an instance, in the same transaction as the check that its service
/// exists, so that it cannot outlive a concurrent delete of the service. An
/// `instanceId` that is already live is only renewed, as Service Center does.
pub async fn register_instance(
    db: &Db,
    tenant: &Tenant,
    service_id: &ServiceId,
    instance: &NewInstance,
) -> Result<InstanceId> {
    db.write(async |conn| {
        let service = service_in(conn, tenant, service_id.as_str())
            .await?
            .ok_or_else(|| {
                RegistryError::ServiceNotExists("Invalid 'serviceID' in request body.".into())
            })?;
        if let Some(id) = instance.requested_id() {
            if renew(conn, tenant, service_id.as_str(), id.as_str()).await? {
                return Ok(id.clone());
            }
            // An expired lease the reaper has not removed yet: the id is free again.
            sqlx::query("DELETE FROM instances WHERE service_id = ? AND instance_id = ?")
                .bind(service_id.as_str())
                .bind(id.as_str())
                .execute(&mut *conn)
                .await?;
        }
        insert_instance(conn, service_id, &service.version, instance).await
    })
    .await
}

async fn live_instances_of(
    conn: &mut SqliteConnection,
    service_id: &str,
    now: i64,
) -> Result<Vec<InstanceRecord>> {
    Ok(sqlx::query_as::<_, InstanceRecord>(select_instance!(
        "WHERE i.service_id = ? AND i.lease_expires_ms >= ? ORDER BY i.created_at, i.instance_id"
    ))
    .bind(service_id)
    .bind(now)
    .fetch_all(&mut *conn)
    .await?)
}

pub async fn list_instances(
    db: &Db,
    tenant: &Tenant,
    service_id: &ServiceId,
) -> Result<Vec<InstanceRecord>> {
    let mut tx = db.reader().begin().await?;
    require_service(&mut tx, tenant, service_id).await?;
    live_instances_of(&mut tx, service_id.as_str(), now_ms()).await
}

pub async fn get_instance(
    db: &Db,
    tenant: &Tenant,
    service_id: &ServiceId,
    instance_id: &InstanceId,
) -> Result<InstanceRecord> {
    let mut tx = db.reader().begin().await?;
    require_service(&mut tx, tenant, service_id).await?;
    sqlx::query_as::<_, InstanceRecord>(select_instance!(
        "WHERE i.service_id = ? AND i.instance_id = ? AND i.lease_expires_ms >= ?"
    ))
    .bind(service_id.as_str())
    .bind(instance_id.as_str())
    .bind(now_ms())
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(instance_missing)
}

/// Runs one instance update (its SQL binds the instance's service id and instance id
/// last) and turns "no live instance of this tenant" into 400017.
async fn update_instance(
    db: &Db,
    tenant: &Tenant,
    service_id: &ServiceId,
    instance_id: &InstanceId,
    sql: &'static str,
    value: String,
) -> Result<()> {
    db.write(async |conn| {
        let updated = sqlx::query(sql)
            .bind(value)
            .bind(now_secs())
            .bind(now_ms())
            .bind(&tenant.domain)
            .bind(&tenant.project)
            .bind(service_id.as_str())
            .bind(instance_id.as_str())
            .execute(&mut *conn)
            .await?;
        if updated.rows_affected() == 0 {
            return Err(instance_missing());
        }
        Ok(())
    })
    .await
}

pub async fn set_instance_status(
    db: &Db,
    tenant: &Tenant,
    service_id: &ServiceId,
    instance_id: &InstanceId,
    status: InstanceStatus,
) -> Result<()> {
    update_instance(
        db,
        tenant,
        service_id,
        instance_id,
        "UPDATE instances SET status = ?1, modified_at = ?2 WHERE lease_expires_ms >= ?3 \
         AND EXISTS (SELECT 1 FROM microservices m WHERE m.service_id = instances.service_id \
         AND m.domain = ?4 AND m.project = ?5) \
         AND service_id = ?6 AND instance_id = ?7",
        status.as_str().to_owned(),
    )
    .await
}

pub async fn set_instance_properties(
    db: &Db,
    tenant: &Tenant,
    service_id: &ServiceId,
    instance_id: &InstanceId,
    properties: &BTreeMap<String, String>,
) -> Result<()> {
    update_instance(
        db,
        tenant,
        service_id,
        instance_id,
        "UPDATE instances SET properties = ?1, modified_at = ?2 WHERE lease_expires_ms >= ?3 \
         AND EXISTS (SELECT 1 FROM microservices m WHERE m.service_id = instances.service_id \
         AND m.domain = ?4 AND m.project = ?5) \
         AND service_id = ?6 AND instance_id = ?7",
        to_json(properties)?,
    )
    .await
}

pub async fn deregister_instance(
    db: &Db,
    tenant: &Tenant,
    service_id: &ServiceId,
    instance_id: &InstanceId,
) -> Result<()> {
    db.write(async |conn| {
        let deleted = sqlx::query(
            "DELETE FROM instances WHERE service_id = ?1 AND instance_id = ?2 \
             AND lease_expires_ms >= ?3 AND EXISTS (SELECT 1 FROM microservices m \
             WHERE m.service_id = instances.service_id AND m.domain = ?4 AND m.project = ?5)",
        )
        .bind(service_id.as_str())
        .bind(instance_id.as_str())
        .bind(now_ms())
        .bind(&tenant.domain)
        .bind(&tenant.project)
        .execute(&mut *conn)
        .await?;
        if deleted.rows_affected() == 0 {
            return Err(instance_missing());
        }
        Ok(())
    })
    .await
}

pub async fn heartbeat(
    db: &Db,
    tenant: &Tenant,
    service_id: &ServiceId,
    instance_id: &InstanceId,
) -> Result<()> {
    db.write(async |conn| {
        if renew(conn, tenant, service_id.as_str(), instance_id.as_str()).await? {
            Ok(())
        } else {
            Err(instance_missing())
        }
    })
    .await
}

/// Renews many leases in one transaction; each item gets its own outcome.
pub async fn heartbeat_many(
    db: &Db,
    tenant: &Tenant,
    items: &[(String, String)],
) -> Result<Vec<bool>> {
    db.write(async |conn| {
        let mut renewed = Vec::with_capacity(items.len());
        for (service, instance) in items {
            renewed.push(renew(conn, tenant, service, instance).await?);
        }
        Ok(renewed)
    })
    .await
}

/// Removes every instance whose lease has expired; returns how many went.
pub async fn reap_expired(db: &Db) -> Result<u64> {
    // An index probe on a reader first, so that an idle round never queues for the
    // single writer connection ahead of requests.
    let any: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM instances WHERE lease_expires_ms < ?)")
            .bind(now_ms())
            .fetch_one(db.reader())
            .await?;
    if !any {
        return Ok(0);
    }
    db.write(async |conn| {
        let done = sqlx::query("DELETE FROM instances WHERE lease_expires_ms < ?")
            .bind(now_ms())
            .execute(&mut *conn)
            .await?;
        Ok(done.rows_affected())
    })
    .await
}

/// What discovery found: the live instances of the matching provider versions.
pub async fn find_instances(
    db: &Db,
    tenant: &Tenant,
    query: &FindQuery,
    consumer: Option<&ServiceId>,
) -> Result<Vec<InstanceRecord>> {
    let mut tx = db.reader().begin().await?;
    let environment = match consumer {
        // As in Service Center, a consumer looks for providers in its own environment.
        Some(id) => {
            let consumer = service_in(&mut tx, tenant, id.as_str())
                .await?
                .ok_or_else(|| {
                    RegistryError::ServiceNotExists("Consumer does not exist.".into())
                })?;
            consumer.environment
        }
        None => query.environment.as_str().to_owned(),
    };
    let mut versions = services_named(
        &mut tx,
        tenant,
        &environment,
        &query.app_id,
        &query.service_name,
    )
    .await?;
    if versions.is_empty() {
        versions = sqlx::query_as::<_, ServiceRecord>(select_service!(
            "WHERE domain = ? AND project = ? AND environment = ? AND app_id = ? AND alias = ? \
             ORDER BY created_at, service_id"
        ))
        .bind(&tenant.domain)
        .bind(&tenant.project)
        .bind(&environment)
        .bind(&query.app_id)
        .bind(&query.service_name)
        .fetch_all(&mut *tx)
        .await?;
    }
    let providers = query
        .versions
        .select(versions, |s| Version::parse(&s.version).ok());
    if providers.is_empty() {
        return Err(RegistryError::ServiceNotExists(
            "Provider does not exist.".into(),
        ));
    }
    let now = now_ms();
    let mut instances = Vec::new();
    for provider in &providers {
        instances.extend(live_instances_of(&mut tx, &provider.service_id, now).await?);
    }
    // Found by alias, the rule still names the provider by its service name.
    let provider_name = providers[0].service_name.clone();
    if let Some(consumer) = consumer {
        let known: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM dependencies WHERE consumer_id = ? \
             AND provider_env = ? AND provider_app = ? AND provider_name = ?)",
        )
        .bind(consumer.as_str())
        .bind(&environment)
        .bind(&query.app_id)
        .bind(&provider_name)
        .fetch_one(&mut *tx)
        .await?;
        drop(tx);
        if !known {
            db.write(async |conn| {
                record_dependency(
                    conn,
                    consumer.as_str(),
                    &environment,
                    &query.app_id,
                    &provider_name,
                )
                .await
            })
            .await?;
        }
    }
    Ok(instances)
}

// ---------------------------------------------------------------------------------------
// Dependencies

/// Adds one consumer → provider-name rule; a consumer deleted meanwhile adds nothing.
async fn record_dependency(
    conn: &mut SqliteConnection,
    consumer_id: &str,
    environment: &str,
    app_id: &str,
    service_name: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT OR IGNORE INTO dependencies (consumer_id, provider_env, provider_app, provider_name) \
         SELECT service_id, ?, ?, ? FROM microservices WHERE service_id = ?",
    )
    .bind(environment)
    .bind(app_id)
    .bind(service_name)
    .bind(consumer_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Applies `/dependencies` in one transaction: every consumer must exist at its exact
/// version; `Override` first drops the consumer's previous rules.
pub async fn put_dependencies(
    db: &Db,
    tenant: &Tenant,
    dependencies: &[Dependency],
    mode: DependencyMode,
) -> Result<()> {
    db.write(async |conn| {
        for dependency in dependencies {
            let key = &dependency.consumer;
            let consumer = services_named(
                conn,
                tenant,
                key.environment.as_str(),
                &key.app_id,
                &key.service_name,
            )
            .await?
            .into_iter()
            .find(|s| Version::parse(&s.version).is_ok_and(|v| v == key.version))
            .ok_or_else(|| {
                RegistryError::ServiceNotExists(format!(
                    "Consumer {}/{}/{}/{} does not exist.",
                    key.environment.as_str(),
                    key.app_id,
                    key.service_name,
                    key.version.as_str()
                ))
            })?;
            if mode == DependencyMode::Override {
                sqlx::query("DELETE FROM dependencies WHERE consumer_id = ?")
                    .bind(&consumer.service_id)
                    .execute(&mut *conn)
                    .await?;
            }
            for ProviderName {
                environment,
                app_id,
                service_name,
            } in &dependency.providers
            {
                record_dependency(
                    conn,
                    &consumer.service_id,
                    environment.as_str(),
                    app_id,
                    service_name,
                )
                .await?;
            }
        }
        Ok(())
    })
    .await
}

/// Every version of every provider name the consumer depends on.
pub async fn providers_of(
    db: &Db,
    tenant: &Tenant,
    consumer: &ServiceId,
) -> Result<Vec<ServiceRecord>> {
    let mut tx = db.reader().begin().await?;
    service_in(&mut tx, tenant, consumer.as_str())
        .await?
        .ok_or_else(|| RegistryError::ServiceNotExists("Consumer does not exist.".into()))?;
    Ok(sqlx::query_as::<_, ServiceRecord>(select_service!(
        "WHERE domain = ? AND project = ? AND EXISTS (SELECT 1 FROM dependencies d \
         WHERE d.consumer_id = ? AND d.provider_env = microservices.environment \
         AND d.provider_app = microservices.app_id \
         AND d.provider_name = microservices.service_name) \
         ORDER BY created_at, service_id"
    ))
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .bind(consumer.as_str())
    .fetch_all(&mut *tx)
    .await?)
}

/// The services that depend on any version of the provider's name.
pub async fn consumers_of(
    db: &Db,
    tenant: &Tenant,
    provider: &ServiceId,
) -> Result<Vec<ServiceRecord>> {
    let mut tx = db.reader().begin().await?;
    let provider = service_in(&mut tx, tenant, provider.as_str())
        .await?
        .ok_or_else(|| RegistryError::ServiceNotExists("Provider does not exist.".into()))?;
    Ok(sqlx::query_as::<_, ServiceRecord>(select_service!(
        "WHERE domain = ? AND project = ? AND service_id IN (SELECT d.consumer_id \
         FROM dependencies d WHERE d.provider_env = ? AND d.provider_app = ? \
         AND d.provider_name = ?) ORDER BY created_at, service_id"
    ))
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .bind(&provider.environment)
    .bind(&provider.app_id)
    .bind(&provider.service_name)
    .fetch_all(&mut *tx)
    .await?)
}

// ---------------------------------------------------------------------------------------
// Schemas

async fn upsert_schema(
    conn: &mut SqliteConnection,
    service_id: &str,
    schema: &Schema,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO service_schemas (service_id, schema_id, summary, schema) VALUES (?, ?, ?, ?) \
         ON CONFLICT (service_id, schema_id) DO UPDATE SET summary = excluded.summary, \
         schema = excluded.schema",
    )
    .bind(service_id)
    .bind(schema.id.as_str())
    .bind(&schema.summary)
    .bind(&schema.schema)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Replaces the service's schemas, and its declared schema ids with theirs.
pub async fn replace_schemas(
    db: &Db,
    tenant: &Tenant,
    service_id: &ServiceId,
    schemas: &[Schema],
) -> Result<()> {
    db.write(async |conn| {
        require_service(conn, tenant, service_id).await?;
        sqlx::query("DELETE FROM service_schemas WHERE service_id = ?")
            .bind(service_id.as_str())
            .execute(&mut *conn)
            .await?;
        for schema in schemas {
            upsert_schema(conn, service_id.as_str(), schema).await?;
        }
        let ids: Vec<&str> = schemas.iter().map(|s| s.id.as_str()).collect();
        sqlx::query("UPDATE microservices SET schemas = ?, modified_at = ? WHERE service_id = ?")
            .bind(to_json(&ids)?)
            .bind(now_secs())
            .bind(service_id.as_str())
            .execute(&mut *conn)
            .await?;
        Ok(())
    })
    .await
}

/// Creates or replaces one schema, declaring its id on the service if it was not.
pub async fn put_schema(
    db: &Db,
    tenant: &Tenant,
    service_id: &ServiceId,
    schema: &Schema,
) -> Result<()> {
    db.write(async |conn| {
        let service = require_service(conn, tenant, service_id).await?;
        upsert_schema(conn, service_id.as_str(), schema).await?;
        let mut ids: Vec<String> = serde_json::from_str(&service.schemas)
            .map_err(|e| RegistryError::Internal(e.to_string()))?;
        if !ids.iter().any(|id| id == schema.id.as_str()) {
            ids.push(schema.id.as_str().to_owned());
            sqlx::query(
                "UPDATE microservices SET schemas = ?, modified_at = ? WHERE service_id = ?",
            )
            .bind(to_json(&ids)?)
            .bind(now_secs())
            .bind(service_id.as_str())
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    })
    .await
}

pub async fn get_schema(
    db: &Db,
    tenant: &Tenant,
    service_id: &ServiceId,
    schema_id: &SchemaId,
) -> Result<SchemaRecord> {
    let mut tx = db.reader().begin().await?;
    require_service(&mut tx, tenant, service_id).await?;
    sqlx::query_as::<_, SchemaRecord>(
        "SELECT schema_id, summary, schema FROM service_schemas \
         WHERE service_id = ? AND schema_id = ?",
    )
    .bind(service_id.as_str())
    .bind(schema_id.as_str())
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| RegistryError::SchemaNotExists("Do not have this schema info.".into()))
}

pub async fn list_schemas(
    db: &Db,
    tenant: &Tenant,
    service_id: &ServiceId,
) -> Result<Vec<SchemaRecord>> {
    let mut tx = db.reader().begin().await?;
    require_service(&mut tx, tenant, service_id).await?;
    Ok(sqlx::query_as::<_, SchemaRecord>(
        "SELECT schema_id, summary, schema FROM service_schemas WHERE service_id = ? \
         ORDER BY schema_id",
    )
    .bind(service_id.as_str())
    .fetch_all(&mut *tx)
    .await?)
}

pub async fn delete_schema(
    db: &Db,
    tenant: &Tenant,
    service_id: &ServiceId,
    schema_id: &SchemaId,
) -> Result<()> {
    db.write(async |conn| {
        require_service(conn, tenant, service_id).await?;
        let deleted =
            sqlx::query("DELETE FROM service_schemas WHERE service_id = ? AND schema_id = ?")
                .bind(service_id.as_str())
                .bind(schema_id.as_str())
                .execute(&mut *conn)
                .await?;
        if deleted.rows_affected() == 0 {
            return Err(RegistryError::SchemaNotExists(
                "Schema info does not exist.".into(),
            ));
        }
        Ok(())
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Tags

async fn upsert_tags(
    conn: &mut SqliteConnection,
    service_id: &ServiceId,
    tags: &BTreeMap<String, String>,
) -> Result<()> {
    for (key, value) in tags {
        sqlx::query(
            "INSERT INTO service_tags (service_id, key, value) VALUES (?, ?, ?) \
             ON CONFLICT (service_id, key) DO UPDATE SET value = excluded.value",
        )
        .bind(service_id.as_str())
        .bind(key)
        .bind(value)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Adds or overwrites tags, keeping at most `max` on the service.
pub async fn add_tags(
    db: &Db,
    tenant: &Tenant,
    service_id: &ServiceId,
    tags: &BTreeMap<String, String>,
    max: usize,
) -> Result<()> {
    db.write(async |conn| {
        require_service(conn, tenant, service_id).await?;
        upsert_tags(conn, service_id, tags).await?;
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM service_tags WHERE service_id = ?")
                .bind(service_id.as_str())
                .fetch_one(&mut *conn)
                .await?;
        if usize::try_from(count).unwrap_or(usize::MAX) > max {
            return Err(RegistryError::InvalidParams(format!(
                "a service holds at most {max} tags"
            )));
        }
        Ok(())
    })
    .await
}

pub async fn get_tags(
    db: &Db,
    tenant: &Tenant,
    service_id: &ServiceId,
) -> Result<BTreeMap<String, String>> {
    let mut tx = db.reader().begin().await?;
    require_service(&mut tx, tenant, service_id).await?;
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT key, value FROM service_tags WHERE service_id = ?")
            .bind(service_id.as_str())
            .fetch_all(&mut *tx)
            .await?;
    Ok(rows.into_iter().collect())
}

pub async fn update_tag(
    db: &Db,
    tenant: &Tenant,
    service_id: &ServiceId,
    key: &str,
    value: &str,
) -> Result<()> {
    db.write(async |conn| {
        require_service(conn, tenant, service_id).await?;
        let updated =
            sqlx::query("UPDATE service_tags SET value = ? WHERE service_id = ? AND key = ?")
                .bind(value)
                .bind(service_id.as_str())
                .bind(key)
                .execute(&mut *conn)
                .await?;
        if updated.rows_affected() == 0 {
            return Err(RegistryError::TagNotExists(format!(
                "Update tag for service failed for update tags not exist, serviceID {}",
                service_id.as_str()
            )));
        }
        Ok(())
    })
    .await
}

/// Deletes all the keys or, when one is missing, none.
pub async fn delete_tags(
    db: &Db,
    tenant: &Tenant,
    service_id: &ServiceId,
    keys: &[String],
) -> Result<()> {
    db.write(async |conn| {
        require_service(conn, tenant, service_id).await?;
        for key in keys {
            let deleted = sqlx::query("DELETE FROM service_tags WHERE service_id = ? AND key = ?")
                .bind(service_id.as_str())
                .bind(key)
                .execute(&mut *conn)
                .await?;
            if deleted.rows_affected() == 0 {
                return Err(RegistryError::TagNotExists(format!(
                    "Delete tags failed for this key {key} does not exist."
                )));
            }
        }
        Ok(())
    })
    .await
}
