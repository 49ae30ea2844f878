//! What a watcher is told: the instance that changed, its service, and which consumers
//! of the tenant depend on that service.

use sqlx::SqliteConnection;

use super::super::domain::*;
use super::*;

/// An instance change, captured in the transaction that made it (a deleted instance as
/// it was just before).
#[derive(Debug)]
pub struct Change {
    /// `CREATE`, `UPDATE` or `DELETE`, as Service Center's watch events.
    pub action: &'static str,
    pub tenant: Tenant,
    /// The instance's service, as the event's key names it.
    pub provider: ServiceHead,
    pub instance: InstanceRecord,
    /// The consumers to tell, when they had to be read before the write (a deleted
    /// service takes its dependency rules along); `None`: read them after the commit.
    pub consumers: Option<Vec<String>>,
}

/// The change of one live instance, read after it was written.
pub async fn change_of(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &ServiceId,
    instance_id: &InstanceId,
    action: &'static str,
    now: i64,
) -> Result<Option<Change>> {
    let Some(provider) = service_in(conn, tenant, service_id.as_str()).await? else {
        return Ok(None);
    };
    let instance = sqlx::query_as::<_, InstanceRecord>(select_instance!(
        "WHERE i.domain = ? AND i.project = ? AND i.service_id = ? AND i.instance_id = ? \
         AND i.lease_expires_ms >= ?"
    ))
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .bind(service_id.as_str())
    .bind(instance_id.as_str())
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(instance.map(|instance| Change {
        action,
        tenant: tenant.clone(),
        provider: provider.into(),
        instance,
        consumers: None,
    }))
}

/// The live instances of a service as DELETE changes, read before they go, with the
/// consumers that depend on it (their rules may go with the service).
pub(super) async fn deletions(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    provider: &ServiceRecord,
    now: i64,
) -> Result<Vec<Change>> {
    let instances = live_instances_of(conn, tenant, &provider.service_id, now).await?;
    if instances.is_empty() {
        return Ok(Vec::new());
    }
    let provider = ServiceHead::from(provider.clone());
    let consumers = watching_consumers(conn, tenant, &provider).await?;
    Ok(instances
        .into_iter()
        .map(|instance| Change {
            action: "DELETE",
            tenant: tenant.clone(),
            provider: provider.clone(),
            instance,
            consumers: Some(consumers.clone()),
        })
        .collect())
}

/// The consumers in the tenant with a dependency rule on the provider's environment, app
/// and name (any version), as Service Center picks a watch event's recipients.
pub async fn watching_consumers(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    provider: &ServiceHead,
) -> Result<Vec<String>> {
    consumers_naming(
        conn,
        tenant,
        &provider.environment,
        &provider.app_id,
        &provider.service_name,
    )
    .await
}
