//! The privacy agreement of a domain, and the project facts the agent configuration uses.

use sqlx::sqlite::SqliteConnection;

/// The IAM project's name, which is its region.
pub async fn project_name(
    conn: &mut SqliteConnection,
    project: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT name FROM projects WHERE id = ?")
        .bind(project)
        .fetch_optional(&mut *conn)
        .await
}

pub async fn privacy_agreed(conn: &mut SqliteConnection, domain_id: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM privacy_agreements WHERE domain_id = ?)")
        .bind(domain_id)
        .fetch_one(&mut *conn)
        .await
}

pub async fn agree_to_privacy(
    conn: &mut SqliteConnection,
    domain_id: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("INSERT OR IGNORE INTO privacy_agreements (domain_id, agreed_at) VALUES (?, ?)")
        .bind(domain_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
