//! The overview's SQL: counts over the whole database, for every tenant at once.

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
