//! The fault rules' rows.

use sqlx::SqliteConnection;

#[derive(Debug, sqlx::FromRow)]
pub struct RuleRow {
    pub id: String,
    pub spec: String,
    pub fired: i64,
    pub created_ms: i64,
}

/// Every rule, in the order they were added.
pub async fn rules(conn: &mut SqliteConnection) -> sqlx::Result<Vec<RuleRow>> {
    sqlx::query_as("SELECT id, spec, fired, created_ms FROM http_fault_rules ORDER BY position")
        .fetch_all(conn)
        .await
}

pub async fn insert(
    conn: &mut SqliteConnection,
    id: &str,
    spec: &str,
    times: Option<i64>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO http_fault_rules (id, position, spec, times, created_ms)
         SELECT ?1, COALESCE(MAX(position), 0) + 1, ?2, ?3, ?4 FROM http_fault_rules",
    )
    .bind(id)
    .bind(spec)
    .bind(times)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Counts one firing of a rule that has firings left; its new count, or `None` when it
/// has none left or is gone.
pub async fn count_firing(conn: &mut SqliteConnection, id: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "UPDATE http_fault_rules SET fired = fired + 1
          WHERE id = ? AND (times IS NULL OR fired < times) RETURNING fired",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Removes one rule (false when there was none) or, without an id, every rule.
pub async fn remove(conn: &mut SqliteConnection, id: Option<&str>) -> sqlx::Result<u64> {
    let done = match id {
        Some(id) => {
            sqlx::query("DELETE FROM http_fault_rules WHERE id = ?")
                .bind(id)
                .execute(conn)
                .await?
        }
        None => {
            sqlx::query("DELETE FROM http_fault_rules")
                .execute(conn)
                .await?
        }
    };
    Ok(done.rows_affected())
}
