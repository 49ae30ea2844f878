//! Admin SQL: emptying every table of state, and consistent copies with `VACUUM INTO`.

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

/// Deletes every SMS, registry and IAM row and every HTTP fault rule (children first, so
/// no foreign key objects), inside the caller's write transaction. `cloudtwin_meta`,
/// `schema_history`, the clock and the journal stay.
pub async fn clear_all(conn: &mut SqliteConnection) -> sqlx::Result<()> {
    for sql in [
        "DELETE FROM http_fault_rules",
        "DELETE FROM tasks",
        "DELETE FROM source_servers",
        "DELETE FROM dependencies",
        "DELETE FROM instances",
        "DELETE FROM service_schemas",
        "DELETE FROM service_tags",
        "DELETE FROM microservices",
        "DELETE FROM tokens",
        "DELETE FROM access_keys",
        "DELETE FROM user_actions",
        "DELETE FROM users",
        "DELETE FROM projects",
        "DELETE FROM domains",
    ] {
        sqlx::query(sql).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Writes a consistent copy of the database at `source` to `out` (which must not exist).
///
/// `VACUUM INTO` reads one snapshot of the file, WAL included, while the server keeps
/// writing; it cannot run inside a transaction, so it gets a connection of its own
/// rather than the server's writer.
pub async fn vacuum_into(source: &Path, out: &Path, busy_timeout: Duration) -> sqlx::Result<()> {
    let options = SqliteConnectOptions::new()
        .filename(source)
        .create_if_missing(false)
        .busy_timeout(busy_timeout);
    let mut conn = SqliteConnection::connect_with(&options).await?;
    let done = sqlx::query("VACUUM INTO ?")
        .bind(out.to_string_lossy().into_owned())
        .execute(&mut conn)
        .await;
    conn.close().await?;
    done.map(|_| ())
}
