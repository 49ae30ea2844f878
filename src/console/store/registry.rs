//! The console's registry reads beyond the API's own: apps per tenant, pages of services
//! in name order, a service's neighbours by the names its rules give, and an app's
//! dependency edges.
//! Instances and their leases come from the read model, not from here: heartbeats
//! renew leases in memory and the file lags by `registry.lease_flush_ms`.

use sqlx::SqliteConnection;

/// An app of a tenant, with how many services it holds.
#[derive(sqlx::FromRow)]
pub struct AppLine {
    pub domain: String,
    pub project: String,
    pub environment: String,
    pub app_id: String,
    pub services: i64,
}

pub async fn apps(conn: &mut SqliteConnection) -> sqlx::Result<Vec<AppLine>> {
    sqlx::query_as(
        "SELECT domain, project, environment, app_id, COUNT(*) AS services
           FROM microservices GROUP BY domain, project, environment, app_id
          ORDER BY domain, project, environment, app_id",
    )
    .fetch_all(conn)
    .await
}

/// One row of the service list.
#[derive(sqlx::FromRow)]
pub struct ServiceLine {
    pub service_id: String,
    pub environment: String,
    pub app_id: String,
    pub service_name: String,
    pub version: String,
    pub status: String,
}

/// The service list's filters; empty strings mean "any".
pub struct ServiceFilter<'a> {
    pub domain: &'a str,
    pub project: &'a str,
    pub app: &'a str,
    pub name: &'a str,
    /// The name, version and id of the last service of the previous page.
    pub after: Option<(&'a str, &'a str, &'a str)>,
}

/// A page of a tenant's services ordered by name, version and id.
pub async fn services(
    conn: &mut SqliteConnection,
    f: &ServiceFilter<'_>,
    limit: i64,
) -> sqlx::Result<Vec<ServiceLine>> {
    let (name, version, id) = f.after.unwrap_or(("", "", ""));
    sqlx::query_as(
        "SELECT service_id, environment, app_id, service_name, version, status
           FROM microservices
          WHERE domain = ?1 AND project = ?2 AND (?3 = '' OR app_id = ?3)
            AND (?4 = '' OR instr(service_name, ?4) > 0)
            AND (service_name, version, service_id) > (?5, ?6, ?7)
          ORDER BY service_name, version, service_id LIMIT ?8",
    )
    .bind(f.domain)
    .bind(f.project)
    .bind(f.app)
    .bind(f.name)
    .bind(name)
    .bind(version)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// A neighbour in the dependency graph: the service a rule names (one row per version;
/// no id when nothing of that name is registered) or the consumer that holds the rule.
#[derive(sqlx::FromRow)]
pub struct Neighbour {
    pub service_id: Option<String>,
    pub environment: String,
    pub app_id: String,
    pub service_name: String,
    pub version: Option<String>,
}

/// The services `id` depends on, by the names its rules give.
pub async fn providers(
    conn: &mut SqliteConnection,
    domain: &str,
    project: &str,
    id: &str,
) -> sqlx::Result<Vec<Neighbour>> {
    sqlx::query_as(
        "SELECT m.service_id, d.provider_env AS environment, d.provider_app AS app_id,
                d.provider_name AS service_name, m.version
           FROM dependencies d
           LEFT JOIN microservices m ON m.domain = d.domain AND m.project = d.project
                AND m.environment = d.provider_env AND m.app_id = d.provider_app
                AND m.service_name = d.provider_name
          WHERE d.domain = ? AND d.project = ? AND d.consumer_id = ?
          ORDER BY d.provider_app, d.provider_name, m.version LIMIT 500",
    )
    .bind(domain)
    .bind(project)
    .bind(id)
    .fetch_all(conn)
    .await
}

/// The services whose rules name `id`'s service.
pub async fn consumers(
    conn: &mut SqliteConnection,
    domain: &str,
    project: &str,
    id: &str,
) -> sqlx::Result<Vec<Neighbour>> {
    sqlx::query_as(
        "SELECT c.service_id, c.environment, c.app_id, c.service_name, c.version
           FROM microservices p
           JOIN dependencies d ON d.domain = p.domain AND d.project = p.project
                AND d.provider_env = p.environment AND d.provider_app = p.app_id
                AND d.provider_name = p.service_name
           JOIN microservices c ON c.domain = d.domain AND c.project = d.project
                AND c.service_id = d.consumer_id
          WHERE p.domain = ? AND p.project = ? AND p.service_id = ?
          ORDER BY c.app_id, c.service_name, c.version LIMIT 500",
    )
    .bind(domain)
    .bind(project)
    .bind(id)
    .fetch_all(conn)
    .await
}

/// A dependency rule of an app as the graph draws it: the consumer's name to the
/// provider's name (versions folded together).
#[derive(sqlx::FromRow)]
pub struct Edge {
    pub consumer: String,
    pub consumer_id: String,
    pub provider_app: String,
    pub provider: String,
}

/// The rules held by the services of one app, at most `limit`.
pub async fn edges(
    conn: &mut SqliteConnection,
    domain: &str,
    project: &str,
    app: &str,
    limit: i64,
) -> sqlx::Result<Vec<Edge>> {
    sqlx::query_as(
        "SELECT c.service_name AS consumer, MIN(c.service_id) AS consumer_id,
                d.provider_app, d.provider_name AS provider
           FROM dependencies d
           JOIN microservices c ON c.domain = d.domain AND c.project = d.project
                AND c.service_id = d.consumer_id
          WHERE d.domain = ? AND d.project = ? AND c.app_id = ?
          GROUP BY c.service_name, d.provider_app, d.provider_name
          ORDER BY c.service_name, d.provider_app, d.provider_name LIMIT ?",
    )
    .bind(domain)
    .bind(project)
    .bind(app)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Services of an app by name (one id per name, the lowest), for graph links: the
/// `named` ones, then others in name order up to `limit` names in all.
pub async fn names_in_app(
    conn: &mut SqliteConnection,
    domain: &str,
    project: &str,
    app: &str,
    named: &[&str],
    limit: i64,
) -> sqlx::Result<Vec<(String, String)>> {
    let named = serde_json::to_string(named).unwrap_or_else(|_| "[]".into());
    sqlx::query_as(
        "SELECT service_name, MIN(service_id) FROM microservices
          WHERE domain = ?1 AND project = ?2 AND app_id = ?3
            AND service_name IN (SELECT value FROM json_each(?4))
          GROUP BY service_name
         UNION
         SELECT * FROM (SELECT service_name, MIN(service_id) FROM microservices
          WHERE domain = ?1 AND project = ?2 AND app_id = ?3
          GROUP BY service_name ORDER BY service_name LIMIT ?5)",
    )
    .bind(domain)
    .bind(project)
    .bind(app)
    .bind(named)
    .bind(limit)
    .fetch_all(conn)
    .await
}
