//! Tags of a service.

use std::collections::BTreeMap;

use sqlx::SqliteConnection;

use super::super::domain::*;
use super::*;

pub async fn upsert_tags(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &ServiceId,
    tags: &BTreeMap<String, String>,
) -> sqlx::Result<()> {
    for (key, value) in tags {
        sqlx::query(
            "INSERT INTO service_tags (domain, project, service_id, key, value) \
             VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (domain, project, service_id, key) DO UPDATE SET value = excluded.value",
        )
        .bind(&tenant.domain)
        .bind(&tenant.project)
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
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &ServiceId,
    tags: &BTreeMap<String, String>,
    max: usize,
) -> Result<()> {
    require_service(conn, tenant, service_id).await?;
    upsert_tags(conn, tenant, service_id, tags).await?;
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM service_tags WHERE domain = ? AND project = ? AND service_id = ?",
    )
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .bind(service_id.as_str())
    .fetch_one(&mut *conn)
    .await?;
    if usize::try_from(count).unwrap_or(usize::MAX) > max {
        return Err(RegistryError::InvalidParams(format!(
            "a service holds at most {max} tags"
        )));
    }
    Ok(())
}

pub async fn get_tags(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &ServiceId,
) -> Result<BTreeMap<String, String>> {
    require_service(conn, tenant, service_id).await?;
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT key, value FROM service_tags \
             WHERE domain = ? AND project = ? AND service_id = ?",
    )
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .bind(service_id.as_str())
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().collect())
}

pub async fn update_tag(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &ServiceId,
    key: &str,
    value: &str,
) -> Result<()> {
    require_service(conn, tenant, service_id).await?;
    let updated = sqlx::query(
        "UPDATE service_tags SET value = ? \
         WHERE domain = ? AND project = ? AND service_id = ? AND key = ?",
    )
    .bind(value)
    .bind(&tenant.domain)
    .bind(&tenant.project)
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
}

/// Deletes all the keys or, when one is missing, none.
pub async fn delete_tags(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &ServiceId,
    keys: &[String],
) -> Result<()> {
    require_service(conn, tenant, service_id).await?;
    for key in keys {
        let deleted = sqlx::query(
            "DELETE FROM service_tags WHERE domain = ? AND project = ? AND service_id = ? AND key = ?",
        )
        .bind(&tenant.domain)
        .bind(&tenant.project)
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
}
