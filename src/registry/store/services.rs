//! Microservices: create, read, list, properties and the single delete with its rules.

use std::collections::BTreeMap;

use sqlx::SqliteConnection;

use super::super::domain::*;
use super::*;

#[derive(Debug, Clone, sqlx::FromRow)]
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

pub(super) async fn service_in(
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

pub(super) async fn require_service(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    id: &ServiceId,
) -> Result<ServiceRecord> {
    service_in(conn, tenant, id.as_str())
        .await?
        .ok_or_else(service_missing)
}

/// Every version of one service name in a tenant.
pub(super) async fn services_named(
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

/// Creates the service (with its tags and instances) or, when its key already exists,
/// returns the existing id as Service Center does.
pub async fn create_service(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service: NewService,
    tags: BTreeMap<String, String>,
    instances: Vec<NewInstance>,
    now: i64,
) -> Result<ServiceId> {
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
    let taken: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM microservices \
             WHERE domain = ? AND project = ? AND service_id = ?)",
    )
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .bind(id.as_str())
    .fetch_one(&mut *conn)
    .await?;
    if taken {
        return Err(conflict());
    }
    insert_service(
        conn,
        tenant,
        &id,
        &service,
        &service.schemas,
        now.div_euclid(1000),
    )
    .await?;
    upsert_tags(conn, tenant, &id, &tags).await?;
    for instance in &instances {
        add_instance(
            conn,
            tenant,
            &id,
            service.key.version.as_str(),
            instance,
            now,
        )
        .await?;
    }
    Ok(id)
}

/// The one INSERT of a microservice: used by `create_service` and by seeding, which
/// pins the id and declares the schema ids it loads.
pub async fn insert_service(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    id: &ServiceId,
    service: &NewService,
    schema_ids: &[String],
    now_secs: i64,
) -> sqlx::Result<()> {
    let json = |v: serde_json::Result<String>| v.map_err(|e| sqlx::Error::Encode(Box::new(e)));
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
    .bind(json(serde_json::to_string(schema_ids))?)
    .bind(json(serde_json::to_string(&service.paths))?)
    .bind(json(serde_json::to_string(&service.properties))?)
    .bind(
        service
            .framework
            .as_ref()
            .map(|f| json(serde_json::to_string(f)))
            .transpose()?,
    )
    .bind(now_secs)
    .bind(now_secs)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn get_service(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    id: &ServiceId,
) -> Result<ServiceRecord> {
    require_service(conn, tenant, id).await
}

/// Optional filters of `GET /microservices`.
#[derive(Debug, Default)]
pub struct ServiceFilter {
    pub app_id: Option<String>,
    pub service_name: Option<String>,
    pub environment: Option<Environment>,
}

pub async fn list_services(
    conn: &mut SqliteConnection,
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
    .fetch_all(&mut *conn)
    .await?)
}

/// The id of the service with exactly this key: 400012 when no version of the name
/// exists, 400026 when the name exists but not this version.
pub async fn service_id_of(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    key: &ServiceKey,
) -> Result<String> {
    let versions = services_named(
        conn,
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
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    id: &ServiceId,
    properties: &BTreeMap<String, String>,
    now: i64,
) -> Result<()> {
    let properties = to_json(properties)?;
    let updated = sqlx::query(
        "UPDATE microservices SET properties = ?, modified_at = ? \
         WHERE service_id = ? AND domain = ? AND project = ?",
    )
    .bind(properties)
    .bind(now.div_euclid(1000))
    .bind(id.as_str())
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(service_missing());
    }
    Ok(())
}

/// Deletes one service, refusing as Service Center does: not
/// found (400012), then, without `force`, depended on by another service (400023), then
/// live instances (400013). Everything that names the service goes in the caller's
/// transaction, so a refused delete changes nothing and a done one leaves no orphan.
/// Returns the live instances it deleted, for the watchers.
pub async fn delete_service(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    id: &ServiceId,
    force: bool,
    now: i64,
) -> Result<Vec<Change>> {
    let service = require_service(conn, tenant, id).await?;
    if !force {
        let consumers: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT consumer_id FROM dependencies \
             WHERE domain = ? AND project = ? AND provider_env = ? \
             AND provider_app = ? AND provider_name = ? AND consumer_id <> ?",
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
            "SELECT EXISTS (SELECT 1 FROM instances WHERE domain = ? AND project = ? \
             AND service_id = ? AND lease_expires_ms >= ?)",
        )
        .bind(&tenant.domain)
        .bind(&tenant.project)
        .bind(id.as_str())
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
        if live {
            return Err(RegistryError::DeployedInstance);
        }
    }
    // What the watchers are told: the live instances as they were, before the rules go.
    let gone = deletions(conn, tenant, &service, now).await?;
    // Rules name providers by name, not version: they go only with the last version.
    sqlx::query(
        "DELETE FROM dependencies WHERE provider_env = ?1 AND provider_app = ?2 \
         AND provider_name = ?3 AND domain = ?4 AND project = ?5 \
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
        "DELETE FROM dependencies WHERE domain = ? AND project = ? AND consumer_id = ?",
        "DELETE FROM instances WHERE domain = ? AND project = ? AND service_id = ?",
        "DELETE FROM service_schemas WHERE domain = ? AND project = ? AND service_id = ?",
        "DELETE FROM service_tags WHERE domain = ? AND project = ? AND service_id = ?",
        "DELETE FROM microservices WHERE domain = ? AND project = ? AND service_id = ?",
    ] {
        sqlx::query(sql)
            .bind(&tenant.domain)
            .bind(&tenant.project)
            .bind(id.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(gone)
}
