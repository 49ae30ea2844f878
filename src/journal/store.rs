//! The `journal` table.

use std::sync::LazyLock;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::Entry;

/// How many rows one INSERT of a batch writes: a batch goes in statements of these
/// sizes, largest first, each prepared once and kept in the connection's cache. One
/// statement the size of the batch had to be parsed every time (3 % of the server's
/// time under discovery load) and was too big to keep.
const ROWS: [usize; 3] = [64, 8, 1];

static INSERTS: LazyLock<[String; 3]> = LazyLock::new(|| {
    ROWS.map(|rows| {
        let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; rows].join(", ");
        format!(
            "INSERT INTO journal (at_ms, request_id, method, path, query, status, latency_ms, \
             tenant, caller, body, fault_id) VALUES {values}"
        )
    })
});

/// Appends a batch, then drops the oldest rows beyond `max_rows`.
pub async fn append(
    conn: &mut SqliteConnection,
    entries: Vec<Entry>,
    max_rows: i64,
) -> sqlx::Result<()> {
    let mut left = entries.len();
    let mut entries = entries.into_iter();
    while left > 0 {
        // The last size is 1 row, so some size always fits.
        let size = ROWS
            .iter()
            .position(|&rows| rows <= left)
            .unwrap_or(ROWS.len() - 1);
        // Built once from constants, so it is `&'static` and safe as SQL.
        let mut insert = sqlx::query(INSERTS[size].as_str());
        // The strings move into the statement's arguments: bound by reference, sqlx
        // copies them to hand them to its connection thread.
        for e in entries.by_ref().take(ROWS[size]) {
            insert = insert
                .bind(e.at_ms)
                .bind(e.request_id)
                .bind(e.method)
                .bind(e.path)
                .bind(e.query)
                .bind(e.status)
                .bind(e.latency_ms)
                .bind(e.tenant)
                .bind(e.caller)
                .bind(e.body)
                .bind(e.fault_id);
        }
        insert.execute(&mut *conn).await?;
        left -= ROWS[size];
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Overrides, Settings};
    use crate::db::Db;

    fn entry(n: usize) -> Entry {
        Entry {
            id: 0,
            at_ms: i64::try_from(n).expect("small"),
            request_id: format!("req-{n:03}"),
            method: "POST".into(),
            path: format!("/v3/tasks/{n}"),
            query: if n.is_multiple_of(2) {
                String::new()
            } else {
                "a=1".into()
            },
            status: 200,
            latency_ms: 0.5,
            tenant: n.is_multiple_of(3).then(|| "demo/cn-north-4".into()),
            caller: None,
            body: Some(format!("{{\"name\":\"it's {n}\"}}")),
            fault_id: None,
        }
    }

    /// 75 entries take every statement size (64 + 8 + 1 + 1 + 1): each row keeps its
    /// own values in its own place, in order; the trim then keeps the newest.
    #[tokio::test]
    async fn a_batch_of_every_statement_size_lands_whole_and_in_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut settings =
            Settings::load_from(&Overrides::default(), std::path::Path::new("config"))
                .expect("settings");
        settings.database = dir.path().join("journal.db");
        let db = Db::open(&settings).await.expect("open");
        let batch: Vec<Entry> = (0..75).map(entry).collect();
        db.write(async |conn| append(conn, batch, 1_000).await)
            .await
            .expect("append");
        let filter = Filter {
            limit: 1_000,
            ..Filter::default()
        };
        let mut conn = db.reader().acquire().await.expect("reader");
        let mut held = entries(&mut conn, &filter).await.expect("entries");
        held.reverse();
        let expected: Vec<Entry> = (0..75).map(entry).collect();
        let ids: Vec<i64> = held.iter().map(|e| e.id).collect();
        assert_eq!(ids, (1..=75).collect::<Vec<_>>());
        let without_ids: Vec<Entry> = held.into_iter().map(|e| Entry { id: 0, ..e }).collect();
        assert_eq!(without_ids, expected);
        drop(conn);

        db.write(async |conn| append(conn, (75..78).map(entry).collect(), 70).await)
            .await
            .expect("append and trim");
        let mut conn = db.reader().acquire().await.expect("reader");
        assert_eq!(count(&mut conn).await.expect("count"), 70);
        let newest = entries(&mut conn, &filter).await.expect("entries");
        assert_eq!(newest[0].request_id, "req-077");
        assert_eq!(newest[69].request_id, "req-008");
    }
}
