//! Wrong passwords per user, counted in a window so that one client cannot keep
//! guessing one user's password.

use sqlx::sqlite::SqliteConnection;

/// Failures of the user in the window that started at most `window_secs` ago.
pub async fn recent_failures(
    conn: &mut SqliteConnection,
    user_id: &str,
    now: i64,
    window_secs: i64,
) -> sqlx::Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT failures FROM login_failures WHERE user_id = ? AND window_start > ?",
    )
    .bind(user_id)
    .bind(now - window_secs)
    .fetch_optional(&mut *conn)
    .await?
    .unwrap_or(0))
}

/// Counts a wrong password: in the current window, or opening a new one.
pub async fn record_failure(
    conn: &mut SqliteConnection,
    user_id: &str,
    now: i64,
    window_secs: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO login_failures (user_id, failures, window_start) VALUES (?1, 1, ?2)
         ON CONFLICT (user_id) DO UPDATE SET
             failures = CASE WHEN window_start > ?2 - ?3 THEN failures + 1 ELSE 1 END,
             window_start = CASE WHEN window_start > ?2 - ?3 THEN window_start ELSE ?2 END",
    )
    .bind(user_id)
    .bind(now)
    .bind(window_secs)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A successful login starts the count afresh.
pub async fn clear_failures(conn: &mut SqliteConnection, user_id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE user_id = ?")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
