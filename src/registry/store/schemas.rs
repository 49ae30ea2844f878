//! Schemas of a service.

use sqlx::SqliteConnection;

use super::super::domain::*;
use super::*;

#[derive(Debug, sqlx::FromRow)]
pub struct SchemaRecord {
    pub schema_id: String,
    pub summary: String,
    pub schema: String,
}

pub async fn upsert_schema(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &str,
    schema: &Schema,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO service_schemas (domain, project, service_id, schema_id, summary, schema) \
         VALUES (?, ?, ?, ?, ?, ?) \
         ON CONFLICT (domain, project, service_id, schema_id) \
         DO UPDATE SET summary = excluded.summary, schema = excluded.schema",
    )
    .bind(&tenant.domain)
    .bind(&tenant.project)
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
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &ServiceId,
    schemas: &[Schema],
    now: i64,
) -> Result<()> {
    require_service(conn, tenant, service_id).await?;
    sqlx::query("DELETE FROM service_schemas WHERE domain = ? AND project = ? AND service_id = ?")
        .bind(&tenant.domain)
        .bind(&tenant.project)
        .bind(service_id.as_str())
        .execute(&mut *conn)
        .await?;
    for schema in schemas {
        upsert_schema(conn, tenant, service_id.as_str(), schema).await?;
    }
    let ids: Vec<&str> = schemas.iter().map(|s| s.id.as_str()).collect();
    sqlx::query(
        "UPDATE microservices SET schemas = ?, modified_at = ? \
         WHERE domain = ? AND project = ? AND service_id = ?",
    )
    .bind(to_json(&ids)?)
    .bind(now.div_euclid(1000))
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .bind(service_id.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Creates or replaces one schema, declaring its id on the service if it was not.
pub async fn put_schema(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &ServiceId,
    schema: &Schema,
    now: i64,
) -> Result<()> {
    let service = require_service(conn, tenant, service_id).await?;
    upsert_schema(conn, tenant, service_id.as_str(), schema).await?;
    let mut ids: Vec<String> = serde_json::from_str(&service.schemas)
        .map_err(|e| RegistryError::Internal(e.to_string()))?;
    if !ids.iter().any(|id| id == schema.id.as_str()) {
        ids.push(schema.id.as_str().to_owned());
        sqlx::query(
            "UPDATE microservices SET schemas = ?, modified_at = ? \
             WHERE domain = ? AND project = ? AND service_id = ?",
        )
        .bind(to_json(&ids)?)
        .bind(now.div_euclid(1000))
        .bind(&tenant.domain)
        .bind(&tenant.project)
        .bind(service_id.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn get_schema(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &ServiceId,
    schema_id: &SchemaId,
) -> Result<SchemaRecord> {
    require_service(conn, tenant, service_id).await?;
    sqlx::query_as::<_, SchemaRecord>(
        "SELECT schema_id, summary, schema FROM service_schemas \
         WHERE domain = ? AND project = ? AND service_id = ? AND schema_id = ?",
    )
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .bind(service_id.as_str())
    .bind(schema_id.as_str())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| RegistryError::SchemaNotExists("Do not have this schema info.".into()))
}

pub async fn list_schemas(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &ServiceId,
) -> Result<Vec<SchemaRecord>> {
    require_service(conn, tenant, service_id).await?;
    // As Service Center: the ids the service declares, uploaded or not (then only the
    // id), together with every uploaded one.
    Ok(sqlx::query_as::<_, SchemaRecord>(
        "SELECT d.value AS schema_id, COALESCE(s.summary, '') AS summary, \
         COALESCE(s.schema, '') AS schema \
         FROM microservices m, json_each(m.schemas) d \
         LEFT JOIN service_schemas s ON s.domain = m.domain AND s.project = m.project \
         AND s.service_id = m.service_id AND s.schema_id = d.value \
         WHERE m.domain = ?1 AND m.project = ?2 AND m.service_id = ?3 \
         UNION SELECT schema_id, summary, schema FROM service_schemas \
         WHERE domain = ?1 AND project = ?2 AND service_id = ?3 \
         ORDER BY schema_id",
    )
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .bind(service_id.as_str())
    .fetch_all(&mut *conn)
    .await?)
}

pub async fn delete_schema(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &ServiceId,
    schema_id: &SchemaId,
) -> Result<()> {
    require_service(conn, tenant, service_id).await?;
    let deleted = sqlx::query(
        "DELETE FROM service_schemas \
         WHERE domain = ? AND project = ? AND service_id = ? AND schema_id = ?",
    )
    .bind(&tenant.domain)
    .bind(&tenant.project)
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
}
