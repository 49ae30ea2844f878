//! Instances and their leases.

use std::collections::BTreeMap;

use sqlx::SqliteConnection;

use super::super::domain::*;
use super::*;

#[derive(Debug, Clone, sqlx::FromRow)]
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
    /// When the lease was last renewed, in simulated milliseconds.
    pub last_heartbeat_ms: i64,
}

/// Inserts a new instance under its requested or a generated id; an id given twice in
/// one registration is the client's error.
pub(super) async fn add_instance(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &ServiceId,
    version: &str,
    instance: &NewInstance,
    now: i64,
) -> Result<(InstanceId, InstanceRecord)> {
    let id = instance.id();
    let row = insert_instance(conn, tenant, service_id, &id, version, instance, now)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                RegistryError::InvalidParams(format!("instanceId {} is given twice", id.as_str()))
            }
            _ => e.into(),
        })?;
    Ok((id, row))
}

/// The one INSERT of an instance, its lease starting at `now_ms`: used by registration
/// and by seeding, which pins the id. Answers the row as stored (`RETURNING`: the read
/// back costs no second statement).
pub async fn insert_instance(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &ServiceId,
    id: &InstanceId,
    version: &str,
    instance: &NewInstance,
    now_ms: i64,
) -> sqlx::Result<InstanceRecord> {
    let row = NewRow {
        tenant,
        service_id,
        id,
        version,
        instance,
        now_ms,
    };
    insert_instances(conn, &[row])
        .await?
        .pop()
        .ok_or(sqlx::Error::RowNotFound)
}

/// One instance for [`insert_instances`].
pub struct NewRow<'a> {
    pub tenant: &'a Tenant,
    pub service_id: &'a ServiceId,
    pub id: &'a InstanceId,
    pub version: &'a str,
    pub instance: &'a NewInstance,
    pub now_ms: i64,
}

/// The rows a multi-row INSERT takes at most: 18 parameters each, under SQLite's 32,766.
pub const MAX_INSERT_ROWS: usize = 1_000;

/// Inserts up to [`MAX_INSERT_ROWS`] instances in one statement, all or none (a
/// statement is atomic in SQLite), and answers them as stored, in no particular order
/// (SQLite does not promise one for `RETURNING`).
pub async fn insert_instances(
    conn: &mut SqliteConnection,
    rows: &[NewRow<'_>],
) -> sqlx::Result<Vec<InstanceRecord>> {
    let json = |v: serde_json::Result<String>| v.map_err(|e| sqlx::Error::Encode(Box::new(e)));
    let mut encoded = Vec::with_capacity(rows.len());
    for r in rows {
        let data_center = r.instance.data_center.as_ref();
        encoded.push((
            json(serde_json::to_string(&r.instance.endpoints))?,
            json(serde_json::to_string(&r.instance.properties))?,
            data_center
                .map(|d| json(serde_json::to_string(d)))
                .transpose()?,
        ));
    }
    let mut q: sqlx::QueryBuilder<sqlx::Sqlite> = sqlx::QueryBuilder::new(
        "INSERT INTO instances (domain, project, service_id, instance_id, host_name, endpoints, \
         status, properties, health_mode, health_interval, health_times, health_port, \
         health_url, data_center, version, created_at, modified_at, last_heartbeat_ms) ",
    );
    q.push_values(
        rows.iter().zip(encoded),
        |mut b, (r, (endpoints, properties, data_center))| {
            let health = &r.instance.health;
            b.push_bind(r.tenant.domain.as_str())
                .push_bind(r.tenant.project.as_str())
                .push_bind(r.service_id.as_str())
                .push_bind(r.id.as_str())
                .push_bind(r.instance.host_name.as_str())
                .push_bind(endpoints)
                .push_bind(r.instance.status.as_str())
                .push_bind(properties)
                .push_bind(health.mode.as_str())
                .push_bind(health.interval)
                .push_bind(health.times)
                .push_bind(health.port)
                .push_bind(health.url.as_str())
                .push_bind(data_center)
                .push_bind(r.version)
                .push_bind(r.now_ms / 1000)
                .push_bind(r.now_ms / 1000)
                .push_bind(r.now_ms);
        },
    );
    q.push(concat!(" RETURNING ", instance_columns!()));
    // A single row is always the same statement, kept prepared; a group's size varies,
    // and a statement of each size would pile up in the cache.
    q.build_query_as()
        .persistent(rows.len() == 1)
        .fetch_all(&mut *conn)
        .await
}

/// Renews a live instance's lease; false when there is no live instance to renew.
pub(super) async fn renew(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service: &str,
    instance: &str,
    now: i64,
) -> Result<bool> {
    let renewed = sqlx::query(
        "UPDATE instances SET last_heartbeat_ms = ?1 \
         WHERE domain = ?4 AND project = ?5 AND service_id = ?2 AND instance_id = ?3 \
         AND lease_expires_ms >= ?1",
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
/// `instanceId` that is already live is only renewed, as Service Center does. With the id,
/// the new instance for the watchers (none for a renewal: Service Center sends nothing).
pub async fn register_instance(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &ServiceId,
    instance: &NewInstance,
    now: i64,
) -> Result<(InstanceId, Option<Change>)> {
    let service = service_in(conn, tenant, service_id.as_str())
        .await?
        .ok_or_else(|| {
            RegistryError::ServiceNotExists("Invalid 'serviceID' in request body.".into())
        })?;
    if let Some(id) = instance.requested_id() {
        if renew(conn, tenant, service_id.as_str(), id.as_str(), now).await? {
            return Ok((id.clone(), None));
        }
        // An expired lease the reaper has not removed yet: the id is free again.
        sqlx::query(
            "DELETE FROM instances \
             WHERE domain = ? AND project = ? AND service_id = ? AND instance_id = ?",
        )
        .bind(&tenant.domain)
        .bind(&tenant.project)
        .bind(service_id.as_str())
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    }
    let (id, row) = add_instance(conn, tenant, service_id, &service.version, instance, now).await?;
    let created = Change {
        action: "CREATE",
        tenant: tenant.clone(),
        provider: service.into(),
        instance: row,
        consumers: None,
    };
    Ok((id, Some(created)))
}

pub(super) async fn live_instances_of(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &str,
    now: i64,
) -> Result<Vec<InstanceRecord>> {
    Ok(sqlx::query_as::<_, InstanceRecord>(select_instance!(
        "WHERE i.domain = ? AND i.project = ? AND i.service_id = ? AND i.lease_expires_ms >= ? \
         ORDER BY i.created_at, i.instance_id"
    ))
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .bind(service_id)
    .bind(now)
    .fetch_all(&mut *conn)
    .await?)
}

pub async fn list_instances(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &ServiceId,
    now: i64,
) -> Result<Vec<InstanceRecord>> {
    require_service(conn, tenant, service_id).await?;
    live_instances_of(conn, tenant, service_id.as_str(), now).await
}

/// Runs one instance update (its SQL binds the instance's service id and instance id
/// last) and turns "no live instance of this tenant" into 400017.
pub(super) async fn update_instance(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &ServiceId,
    instance_id: &InstanceId,
    sql: &'static str,
    value: String,
    now: i64,
) -> Result<()> {
    let updated = sqlx::query(sql)
        .bind(value)
        .bind(now.div_euclid(1000))
        .bind(now)
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
}

pub async fn set_instance_status(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &ServiceId,
    instance_id: &InstanceId,
    status: InstanceStatus,
    now: i64,
) -> Result<()> {
    update_instance(
        conn,
        tenant,
        service_id,
        instance_id,
        "UPDATE instances SET status = ?1, modified_at = ?2 WHERE lease_expires_ms >= ?3 \
         AND domain = ?4 AND project = ?5 AND service_id = ?6 AND instance_id = ?7",
        status.as_str().to_owned(),
        now,
    )
    .await
}

/// Sets the status of every live instance of the tenant whose properties hold all of
/// `matches` (an empty map matches every one). `modified_at` stays, as Service Center
/// leaves `modTimestamp`.
pub async fn set_statuses_where(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    matches: &BTreeMap<String, String>,
    status: InstanceStatus,
    now: i64,
) -> Result<Vec<Change>> {
    let wanted = i64::try_from(matches.len()).unwrap_or(i64::MAX);
    let updated: Vec<(String, String)> = sqlx::query_as(
        "UPDATE instances SET status = ?1 WHERE lease_expires_ms >= ?2 \
         AND domain = ?3 AND project = ?4 \
         AND (SELECT COUNT(*) FROM json_each(?5) w JOIN json_each(instances.properties) p \
              ON p.key = w.key AND p.value = w.value) = ?6 \
         RETURNING service_id, instance_id",
    )
    .bind(status.as_str())
    .bind(now)
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .bind(to_json(matches)?)
    .bind(wanted)
    .fetch_all(&mut *conn)
    .await?;
    // Each changed instance as it now is, for the watchers.
    let mut changes = Vec::with_capacity(updated.len());
    for (service_id, instance_id) in updated {
        let (Ok(sid), Ok(iid)) = (
            ServiceId::parse(&service_id),
            InstanceId::parse(&instance_id),
        ) else {
            continue;
        };
        changes.extend(change_of(conn, tenant, &sid, &iid, "UPDATE", now).await?);
    }
    Ok(changes)
}

pub async fn set_instance_properties(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &ServiceId,
    instance_id: &InstanceId,
    properties: &BTreeMap<String, String>,
    now: i64,
) -> Result<()> {
    update_instance(
        conn,
        tenant,
        service_id,
        instance_id,
        "UPDATE instances SET properties = ?1, modified_at = ?2 WHERE lease_expires_ms >= ?3 \
         AND domain = ?4 AND project = ?5 AND service_id = ?6 AND instance_id = ?7",
        to_json(properties)?,
        now,
    )
    .await
}

/// Deletes a live instance and answers it as it was (`RETURNING`: one statement); `None`
/// when the tenant has no such live instance (an expired one stays for the reaper,
/// which tells the watchers).
pub async fn remove_instance(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &str,
    instance_id: &str,
    now: i64,
) -> Result<Option<InstanceRecord>> {
    Ok(sqlx::query_as(concat!(
        "DELETE FROM instances \
         WHERE domain = ? AND project = ? AND service_id = ? AND instance_id = ? \
         AND lease_expires_ms >= ? RETURNING ",
        instance_columns!()
    ))
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .bind(service_id)
    .bind(instance_id)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Deletes every expired instance; each as it was, with its service and tenant, for the
/// watchers (Service Center tells them DELETE on lease expiry).
pub async fn reap_expired(conn: &mut SqliteConnection, now: i64) -> Result<Vec<Change>> {
    let expired: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT domain, project, service_id, instance_id FROM instances \
         WHERE lease_expires_ms < ?",
    )
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    let mut changes = Vec::with_capacity(expired.len());
    for (domain, project, service_id, instance_id) in expired {
        let tenant = Tenant { domain, project };
        let provider = service_in(conn, &tenant, &service_id).await?;
        let instance = sqlx::query_as::<_, InstanceRecord>(select_instance!(
            "WHERE i.domain = ? AND i.project = ? AND i.service_id = ? AND i.instance_id = ?"
        ))
        .bind(&tenant.domain)
        .bind(&tenant.project)
        .bind(&service_id)
        .bind(&instance_id)
        .fetch_optional(&mut *conn)
        .await?;
        if let (Some(provider), Some(instance)) = (provider, instance) {
            changes.push(Change {
                action: "DELETE",
                tenant,
                provider: provider.into(),
                instance,
                consumers: None,
            });
        }
    }
    sqlx::query("DELETE FROM instances WHERE lease_expires_ms < ?")
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(changes)
}
