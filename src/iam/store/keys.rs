//! Access keys (AK/SK) and who owns them.

use sqlx::sqlite::SqliteConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyOwner {
    pub secret: String,
    pub user_id: String,
}

pub async fn key_owner(
    conn: &mut SqliteConnection,
    access: &str,
) -> sqlx::Result<Option<KeyOwner>> {
    sqlx::query_as("SELECT secret, user_id FROM access_keys WHERE access = ?")
        .bind(access)
        .fetch_optional(&mut *conn)
        .await
}

pub async fn insert_key(
    conn: &mut SqliteConnection,
    access: &str,
    secret: &str,
    user_id: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO access_keys (access, secret, user_id, created_at) VALUES (?, ?, ?, ?)",
    )
    .bind(access)
    .bind(secret)
    .bind(user_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The user owning an access key, if the key exists.
pub async fn key_user(conn: &mut SqliteConnection, access: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT user_id FROM access_keys WHERE access = ?")
        .bind(access)
        .fetch_optional(conn)
        .await
}

/// Deletes an access key; false when there was none.
pub async fn delete_key(conn: &mut SqliteConnection, access: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM access_keys WHERE access = ?")
        .bind(access)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
