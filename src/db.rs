//! The SQLite database: migrations, a single-connection writer pool beside a read pool,
//! and the one helper every area uses for write transactions.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use crate::config::Settings;

mod embedded {
    refinery::embed_migrations!("migrations");
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the directory for {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot make {path} readable by this user only: {source}")]
    Private {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("migrating {path} failed: {source}")]
    Migrate {
        path: PathBuf,
        source: refinery::Error,
    },
    #[error("database {path}: {source}")]
    Sqlx { path: PathBuf, source: sqlx::Error },
    #[error("integrity check of {path} failed: {report}")]
    Integrity { path: PathBuf, report: String },
}

/// Applies every pending migration from `migrations/` and returns the schema version.
///
/// refinery has no sqlx driver, so migrations run through its rusqlite driver on a
/// short-lived synchronous connection before the async pools open. rusqlite is pinned
/// to 0.37 so that its `libsqlite3-sys` is the same one sqlx links (only one crate may
/// link `sqlite3`); this keeps refinery's own, well-tested runner instead of a
/// hand-written adapter of its async traits onto sqlx.
pub fn migrate(path: &Path) -> Result<i64, DbError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::kit::private::create_dir(dir).map_err(|source| DbError::CreateDir {
            path: path.to_owned(),
            source,
        })?;
    }
    // The file holds the access-key secrets: this user's only, WAL and SHM included.
    crate::kit::private::database(path).map_err(|source| DbError::Private {
        path: path.to_owned(),
        source,
    })?;
    let mut conn = rusqlite::Connection::open(path).map_err(|source| DbError::Open {
        path: path.to_owned(),
        source,
    })?;
    let open_err = |source| DbError::Open {
        path: path.to_owned(),
        source,
    };
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(open_err)?;
    // WAL is a property of the file; setting it here means the pools never race to switch it.
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(open_err)?;
    embedded::migrations::runner()
        .set_migration_table_name("schema_history")
        .run(&mut conn)
        .map_err(|source| DbError::Migrate {
            path: path.to_owned(),
            source,
        })?;
    schema_version(&conn).map_err(open_err)
}

fn schema_version(conn: &rusqlite::Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_history",
        [],
        |row| row.get(0),
    )
}

/// The newest migration this binary knows, to tell a migrated database from a stale one.
pub fn expected_schema_version() -> i64 {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| i64::from(m.version()))
        .max()
        .unwrap_or(0)
}

/// Runs `PRAGMA integrity_check` and reports the schema version, without migrating.
pub fn check(path: &Path) -> Result<i64, DbError> {
    if !path.is_file() {
        return Err(DbError::Integrity {
            path: path.to_owned(),
            report: "no such file".into(),
        });
    }
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|source| DbError::Open {
                path: path.to_owned(),
                source,
            })?;
    let integrity = |report: String| DbError::Integrity {
        path: path.to_owned(),
        report,
    };
    let report: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .and_then(|mut stmt| {
            stmt.query_map([], |row| row.get::<_, String>(0))?
                .collect::<Result<_, _>>()
        })
        .map_err(|e| integrity(e.to_string()))?;
    if report != ["ok"] {
        return Err(integrity(report.join("; ")));
    }
    schema_version(&conn).map_err(|e| integrity(format!("no schema history ({e})")))
}

/// Both pools over one database file.
#[derive(Clone, Debug)]
pub struct Db {
    writer: SqlitePool,
    reader: SqlitePool,
    path: PathBuf,
}

impl Db {
    /// Migrates the file, then opens the pools.
    pub async fn open(settings: &Settings) -> Result<Self, DbError> {
        let path = settings.database.clone();
        let migrate_path = path.clone();
        tokio::task::spawn_blocking(move || migrate(&migrate_path))
            .await
            .map_err(|e| DbError::Integrity {
                path: path.clone(),
                report: e.to_string(),
            })??;
        let sqlx_err = |source| DbError::Sqlx {
            path: path.clone(),
            source,
        };
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(sqlx_err)?
            .filename(&path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_millis(settings.pool.busy_timeout_ms));
        // One writer connection: writers queue in the pool rather than spinning on
        // SQLITE_BUSY, and BEGIN IMMEDIATE (see `write`) still guards against other
        // processes such as the `cloudtwin iam` commands.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .after_release(|conn, _| Box::pin(keep_writer(conn)))
            .connect_with(options.clone())
            .await
            .map_err(sqlx_err)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(settings.pool.readers)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.read_only(true))
            .await
            .map_err(sqlx_err)?;
        Ok(Self {
            writer,
            reader,
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The pool for queries that only read.
    pub fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    /// A read transaction on a read-only connection: the queries of one request see one
    /// snapshot of the file. Dropping it ends it.
    pub async fn read(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.reader.begin().await
    }

    /// A read-only connection for a single statement, which sees one snapshot by
    /// itself: without `BEGIN` and its rollback, two of the three round trips to the
    /// connection's thread are saved (each costs a few context switches; see
    /// docs/performance.md). Every request's credential lookup goes through here.
    pub async fn read_one(&self) -> Result<PoolConnection<Sqlite>, sqlx::Error> {
        self.reader.acquire().await
    }

    /// Runs `work` inside a `BEGIN IMMEDIATE` transaction on the writer connection:
    /// committed when it returns `Ok`, rolled back when it returns `Err` or is dropped.
    ///
    /// IMMEDIATE takes SQLite's write lock up front, so a transaction that first reads
    /// and then writes can never fail half-way with "database is locked".
    pub async fn write<T, E>(
        &self,
        work: impl AsyncFnOnce(&mut SqliteConnection) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<sqlx::Error>,
    {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let value = work(&mut tx).await?;
        tx.commit().await?;
        Ok(value)
    }

    /// As [`Db::write`], then runs `committed` with the value while the writer connection
    /// is still held: what it does (updating an in-memory copy of the rows) happens in
    /// commit order, so no later commit's update can be overtaken by an earlier one's.
    pub async fn write_then<T, U, E>(
        &self,
        work: impl AsyncFnOnce(&mut SqliteConnection) -> Result<T, E>,
        committed: impl FnOnce(T) -> U,
    ) -> Result<U, E>
    where
        E: From<sqlx::Error>,
    {
        use sqlx::Connection;
        let mut conn = self.writer.acquire().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let value = work(&mut tx).await?;
        tx.commit().await?;
        let out = committed(value);
        drop(conn);
        Ok(out)
    }

    /// The current schema version as recorded by refinery.
    pub async fn schema_version(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM schema_history")
            .fetch_one(&self.reader)
            .await
    }

    /// Waits for in-flight queries, then empties the WAL into the file and closes every
    /// connection. The last connection to close is often a read-only one, which leaves
    /// the WAL as it is: the next start then paid for the checkpoint (50 ms for the
    /// start's lease renewal of 100,000 instances, see docs/performance.md).
    pub async fn close(&self) {
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.writer)
            .await
        {
            tracing::warn!(error = %e, "the WAL was not emptied at stop");
        }
        self.writer.close().await;
        self.reader.close().await;
    }

    /// Whether [`Db::close`] was called: background tasks end then.
    pub fn is_closed(&self) -> bool {
        self.writer.is_closed()
    }
}

/// Whether the writer connection may go back to the pool after a transaction.
///
/// When COMMIT (or a statement) fails with an I/O error or a full disk, SQLite rolls the
/// transaction back by itself, but sqlx still counts it as open: its own ROLLBACK then
/// fails and every later `BEGIN IMMEDIATE` on that connection is refused, so writes would
/// fail until a restart. Such a connection is closed instead, and the pool opens a fresh
/// one. After a commit there is nothing to wait for; after a dropped transaction the
/// ping lets its queued rollback finish first.
async fn keep_writer(conn: &mut SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    conn.ping().await?;
    Ok(!conn.is_in_transaction())
}

/// True when SQLite failed because of the environment (read-only or full disk, I/O
/// error, lock held too long) rather than because of a bug: such requests get a 503
/// and succeed again once the file is writable.
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            let primary = db
                .code()
                .and_then(|c| c.parse::<i32>().ok())
                .map(|c| c & 0xff);
            // SQLITE_BUSY, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN
            matches!(primary, Some(5 | 8 | 10 | 13 | 14))
        }
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// V14 made service and instance ids unique per tenant by rebuilding the registry
    /// tables: a database written before it keeps every row, now keyed by its tenant.
    #[test]
    fn v14_carries_registry_rows_over_to_per_tenant_ids() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("old.db");
        let mut conn = rusqlite::Connection::open(&path).expect("open");
        let mut runner = embedded::migrations::runner().set_target(refinery::Target::Version(13));
        runner
            .set_migration_table_name("schema_history")
            .run(&mut conn)
            .expect("migrate to 13");
        conn.execute_batch(
            "INSERT INTO microservices (service_id, domain, project, environment, app_id,
                 service_name, version, level, status, created_at, modified_at)
             VALUES ('orders', 'team-a', 'default', '', 'shop', 'orders', '1.0.0', 'BACK', 'UP', 1, 1),
                    ('cart', 'team-b', 'p2', '', 'shop', 'cart', '1.0.0', 'BACK', 'UP', 1, 1);
             INSERT INTO instances (service_id, instance_id, host_name, status, health_mode,
                 health_interval, health_times, version, created_at, modified_at, last_heartbeat_ms)
             VALUES ('orders', 'i1', 'h', 'UP', 'push', 30, 3, '1.0.0', 1, 1, 1000);
             INSERT INTO service_schemas (service_id, schema_id, summary, schema)
             VALUES ('orders', 's1', 'sum', '{}');
             INSERT INTO service_tags (service_id, key, value) VALUES ('cart', 'k', 'v');
             INSERT INTO dependencies (consumer_id, provider_env, provider_app, provider_name)
             VALUES ('cart', '', 'shop', 'orders');",
        )
        .expect("old rows");
        drop(conn);

        assert_eq!(migrate(&path).expect("migrate"), expected_schema_version());
        let conn = rusqlite::Connection::open(&path).expect("reopen");
        let one = |sql: &str| -> String {
            conn.query_row(sql, [], |row| row.get(0))
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
        };
        assert_eq!(
            one(
                "SELECT domain || '/' || project || '/' || instance_id || '/' || lease_expires_ms FROM instances"
            ),
            "team-a/default/i1/121000"
        );
        assert_eq!(
            one("SELECT domain || '/' || summary FROM service_schemas"),
            "team-a/sum"
        );
        assert_eq!(
            one("SELECT domain || '/' || project || '/' || value FROM service_tags"),
            "team-b/p2/v"
        );
        assert_eq!(
            one("SELECT domain || '/' || consumer_id || '>' || provider_name FROM dependencies"),
            "team-b/cart>orders"
        );
        // The same custom id may now exist in another tenant.
        conn.execute_batch(
            "INSERT INTO microservices (domain, project, service_id, environment, app_id,
                 service_name, version, level, status, created_at, modified_at)
             VALUES ('team-b', 'p2', 'orders', '', 'shop', 'orders', '1.0.0', 'BACK', 'UP', 1, 1);",
        )
        .expect("same id, other tenant");
        assert_eq!(one("SELECT COUNT(*) || '' FROM microservices"), "3");
        let problems: i64 = conn
            .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |row| {
                row.get(0)
            })
            .expect("foreign key check");
        assert_eq!(problems, 0);
    }
}
