//! Issued tokens, stored as digests only.

use sqlx::sqlite::SqliteConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub user_id: String,
    pub project_id: Option<String>,
    pub expires_at: i64,
}

pub async fn token(conn: &mut SqliteConnection, digest: &str) -> sqlx::Result<Option<TokenRow>> {
    sqlx::query_as("SELECT user_id, project_id, expires_at FROM tokens WHERE digest = ?")
        .bind(digest)
        .fetch_optional(&mut *conn)
        .await
}

pub async fn insert_token(
    conn: &mut SqliteConnection,
    digest: &str,
    user_id: &str,
    project_id: Option<&str>,
    issued_at: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    // Expired tokens are dropped here, on the rare write path, instead of by a timer.
    sqlx::query("DELETE FROM tokens WHERE expires_at < ?")
        .bind(issued_at)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO tokens (digest, user_id, project_id, issued_at, expires_at)
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(digest)
    .bind(user_id)
    .bind(project_id)
    .bind(issued_at)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}
