//! Discovery: the live instances of the provider versions a query selects.

use sqlx::SqliteConnection;

use super::super::domain::*;
use super::*;

/// What discovery found: the live instances of the matching provider versions, and
/// the consumer → provider rule to record when the consumer had none yet.
pub struct Found {
    pub instances: Vec<InstanceRecord>,
    pub new_dependency: Option<NewDependency>,
}

/// A rule discovery learned; recorded by the handler in a write transaction of its own,
/// so that a read that finds nothing new never waits for the writer.
pub struct NewDependency {
    pub consumer_id: String,
    pub environment: String,
    pub app_id: String,
    pub service_name: String,
}

pub async fn find_instances(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    query: &FindQuery,
    consumer: Option<&ServiceId>,
    now: i64,
) -> Result<Found> {
    let environment = match consumer {
        // As in Service Center, a consumer looks for providers in its own environment.
        Some(id) => {
            let consumer = service_in(conn, tenant, id.as_str())
                .await?
                .ok_or_else(|| {
                    RegistryError::ServiceNotExists("Consumer does not exist.".into())
                })?;
            consumer.environment
        }
        None => query.environment.as_str().to_owned(),
    };
    let mut versions = services_named(
        conn,
        tenant,
        &environment,
        &query.app_id,
        &query.service_name,
    )
    .await?;
    if versions.is_empty() && query.alias_fallback {
        versions = sqlx::query_as::<_, ServiceRecord>(select_service!(
            "WHERE domain = ? AND project = ? AND environment = ? AND app_id = ? AND alias = ? \
             ORDER BY created_at, service_id"
        ))
        .bind(&tenant.domain)
        .bind(&tenant.project)
        .bind(&environment)
        .bind(&query.app_id)
        .bind(&query.service_name)
        .fetch_all(&mut *conn)
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
    let mut instances = Vec::new();
    for provider in &providers {
        instances.extend(live_instances_of(conn, tenant, &provider.service_id, now).await?);
    }
    // Found by alias, the rule still names the provider by its service name.
    let provider_name = providers[0].service_name.clone();
    let mut new_dependency = None;
    if let Some(consumer) = consumer {
        let known: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM dependencies WHERE domain = ? AND project = ? \
             AND consumer_id = ? AND provider_env = ? AND provider_app = ? AND provider_name = ?)",
        )
        .bind(&tenant.domain)
        .bind(&tenant.project)
        .bind(consumer.as_str())
        .bind(&environment)
        .bind(&query.app_id)
        .bind(&provider_name)
        .fetch_one(&mut *conn)
        .await?;
        if !known {
            new_dependency = Some(NewDependency {
                consumer_id: consumer.as_str().to_owned(),
                environment,
                app_id: query.app_id.clone(),
                service_name: provider_name,
            });
        }
    }
    Ok(Found {
        instances,
        new_dependency,
    })
}
