//! Dependency rules between consumers and provider names.

use sqlx::SqliteConnection;

use super::super::domain::*;
use super::*;

/// Adds one consumer → provider-name rule; a consumer deleted meanwhile adds nothing.
pub async fn record_dependency(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    consumer_id: &str,
    environment: &str,
    app_id: &str,
    service_name: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT OR IGNORE INTO dependencies \
         (domain, project, consumer_id, provider_env, provider_app, provider_name) \
         SELECT domain, project, service_id, ?, ?, ? FROM microservices \
         WHERE domain = ? AND project = ? AND service_id = ?",
    )
    .bind(environment)
    .bind(app_id)
    .bind(service_name)
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .bind(consumer_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Applies `/dependencies` in one transaction: every consumer must exist at its exact
/// version; `Override` first drops the consumer's previous rules.
pub async fn put_dependencies(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    dependencies: &[Dependency],
    mode: DependencyMode,
) -> Result<()> {
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
            sqlx::query(
                "DELETE FROM dependencies WHERE domain = ? AND project = ? AND consumer_id = ?",
            )
            .bind(&tenant.domain)
            .bind(&tenant.project)
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
                tenant,
                &consumer.service_id,
                environment.as_str(),
                app_id,
                service_name,
            )
            .await?;
        }
    }
    Ok(())
}

/// Every version of every provider name the consumer depends on.
pub async fn providers_of(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    consumer: &ServiceId,
) -> Result<Vec<ServiceRecord>> {
    service_in(conn, tenant, consumer.as_str())
        .await?
        .ok_or_else(|| RegistryError::ServiceNotExists("Consumer does not exist.".into()))?;
    Ok(sqlx::query_as::<_, ServiceRecord>(select_service!(
        "WHERE domain = ? AND project = ? AND EXISTS (SELECT 1 FROM dependencies d \
         WHERE d.domain = microservices.domain AND d.project = microservices.project \
         AND d.consumer_id = ? AND d.provider_env = microservices.environment \
         AND d.provider_app = microservices.app_id \
         AND d.provider_name = microservices.service_name) \
         ORDER BY created_at, service_id"
    ))
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .bind(consumer.as_str())
    .fetch_all(&mut *conn)
    .await?)
}

/// The services that depend on any version of the provider's name.
pub async fn consumers_of(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    provider: &ServiceId,
) -> Result<Vec<ServiceRecord>> {
    let provider = service_in(conn, tenant, provider.as_str())
        .await?
        .ok_or_else(|| RegistryError::ServiceNotExists("Provider does not exist.".into()))?;
    Ok(sqlx::query_as::<_, ServiceRecord>(select_service!(
        "WHERE domain = ?1 AND project = ?2 AND service_id IN (SELECT d.consumer_id \
         FROM dependencies d WHERE d.domain = ?1 AND d.project = ?2 AND d.provider_env = ?3 \
         AND d.provider_app = ?4 AND d.provider_name = ?5) ORDER BY created_at, service_id"
    ))
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .bind(&provider.environment)
    .bind(&provider.app_id)
    .bind(&provider.service_name)
    .fetch_all(&mut *conn)
    .await?)
}
