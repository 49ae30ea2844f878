//! The overview's SQL: counts over the whole database, for every tenant at once, read
//! from the tables the triggers of schema 17 keep in step (a few rows, not a scan).

use sqlx::SqliteConnection;

/// Tasks per state: (state, count).
pub async fn tasks_by_state(conn: &mut SqliteConnection) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as(
        "SELECT state, SUM(tasks) FROM task_state_counts GROUP BY state HAVING SUM(tasks) > 0
          ORDER BY state",
    )
    .fetch_all(conn)
    .await
}

/// Source servers per state: (state, count, how many of them are connected).
pub async fn sources_by_state(
    conn: &mut SqliteConnection,
) -> sqlx::Result<Vec<(String, i64, i64)>> {
    sqlx::query_as(
        "SELECT state, SUM(servers), SUM(connected) FROM source_state_counts
          GROUP BY state HAVING SUM(servers) > 0 ORDER BY state",
    )
    .fetch_all(conn)
    .await
}
