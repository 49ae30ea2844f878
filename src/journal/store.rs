//! The `journal` table.

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::Entry;

/// Appends a batch, then drops the oldest rows beyond `max_rows`.
pub async fn append(
    conn: &mut SqliteConnection,
    entries: &[Entry],
    max_rows: i64,
) -> sqlx::Result<()> {
    // 12 columns a row, well under SQLite's 32,766 bound parameters a statement.
    for chunk in entries.chunks(2_000) {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO journal (at_ms, request_id, method, path, query, status, latency_ms,
                                  tenant, caller, body, fault_id) ",
        );
        q.push_values(chunk, |mut row, e| {
            row.push_bind(e.at_ms)
                .push_bind(&e.request_id)
                .push_bind(&e.method)
                .push_bind(&e.path)
                .push_bind(&e.query)
                .push_bind(e.status)
                .push_bind(e.latency_ms)
                .push_bind(&e.tenant)
                .push_bind(&e.caller)
                .push_bind(&e.body)
                .push_bind(&e.fault_id);
        });
        // Not kept in the connection's statement cache: every batch size is a new
        // statement of thousands of parameters, and a hundred of them cached held tens
        // of megabytes.
        q.build().persistent(false).execute(&mut *conn).await?;
    }
    sqlx::query("DELETE FROM journal WHERE id <= (SELECT MAX(id) FROM journal) - ?")
        .bind(max_rows)
        .execute(conn)
        .await?;
    Ok(())
}

/// What `GET /_cloudtwin/journal` and `cloudtwin journal` filter on; `None` is "any".
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub method: Option<String>,
    /// A part of the path.
    pub path: Option<String>,
    pub status: Option<i64>,
    pub since_ms: Option<i64>,
    pub request_id: Option<String>,
    /// Only entries older than this id (the next page).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// Entries newest first.
pub async fn entries(conn: &mut SqliteConnection, f: &Filter) -> sqlx::Result<Vec<Entry>> {
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
        "SELECT id, at_ms, request_id, method, path, query, status, latency_ms, tenant, caller, body,
                fault_id FROM journal WHERE 1 = 1",
    );
    if let Some(m) = &f.method {
        q.push(" AND method = ").push_bind(m.to_ascii_uppercase());
    }
    if let Some(p) = &f.path {
        let escaped = p
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        q.push(" AND path LIKE ")
            .push_bind(format!("%{escaped}%"))
            .push(" ESCAPE '\\'");
    }
    if let Some(s) = f.status {
        q.push(" AND status = ").push_bind(s);
    }
    if let Some(t) = f.since_ms {
        q.push(" AND at_ms >= ").push_bind(t);
    }
    if let Some(r) = &f.request_id {
        q.push(" AND request_id = ").push_bind(r);
    }
    if let Some(id) = f.before_id {
        q.push(" AND id < ").push_bind(id);
    }
    q.push(" ORDER BY id DESC LIMIT ").push_bind(f.limit);
    q.build_query_as().fetch_all(conn).await
}

/// Entries held. Ids are contiguous (appends at the end, trims from the front, clears of
/// everything), so the two ends give the count without reading every row.
pub async fn count(conn: &mut SqliteConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COALESCE(MAX(id) - MIN(id) + 1, 0) FROM journal")
        .fetch_one(conn)
        .await
}

pub async fn clear(conn: &mut SqliteConnection) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM journal")
        .execute(conn)
        .await?
        .rows_affected())
}
