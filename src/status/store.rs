//! Status page SQL: counts over the whole database, for every tenant at once.

use sqlx::SqliteConnection;

/// Tasks per state: (state, count).
pub async fn tasks_by_state(conn: &mut SqliteConnection) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as("SELECT state, COUNT(*) FROM tasks GROUP BY state ORDER BY state")
        .fetch_all(conn)
        .await
}

/// Source servers per state: (state, count, how many of them are connected).
pub async fn sources_by_state(
    conn: &mut SqliteConnection,
) -> sqlx::Result<Vec<(String, i64, i64)>> {
    sqlx::query_as(
        "SELECT state, COUNT(*), SUM(connected) FROM source_servers GROUP BY state ORDER BY state",
    )
    .fetch_all(conn)
    .await
}

/// Registry tenants: (domain, project, microservices, live instances).
pub async fn registry_tenants(
    conn: &mut SqliteConnection,
    now_ms: i64,
) -> sqlx::Result<Vec<(String, String, i64, i64)>> {
    sqlx::query_as(
        "SELECT m.domain, m.project, COUNT(DISTINCT m.service_id), COUNT(i.instance_id)
           FROM microservices m
           LEFT JOIN instances i ON i.domain = m.domain AND i.project = m.project
                AND i.service_id = m.service_id AND i.lease_expires_ms >= ?
          GROUP BY m.domain, m.project ORDER BY m.domain, m.project",
    )
    .bind(now_ms)
    .fetch_all(conn)
    .await
}
