//! All SMS SQL, one file per resource. Every function takes the connection of the
//! transaction its handler opened; none begins or commits on its own.

mod agent;
mod config;
pub mod due;
pub mod faults;
mod migprojects;
pub mod passes;
pub mod simulation;
mod sources;
mod task_settings;
mod tasks;
mod templates;

pub use agent::*;
pub use config::*;
pub use migprojects::*;
pub use sources::*;
pub use task_settings::*;
pub use tasks::*;
pub use templates::*;

use sqlx::QueryBuilder;
use sqlx::sqlite::{Sqlite, SqliteConnection};

use super::domain::{self, BatchIds, Page, SourceState};
use super::error::SmsError;
use crate::config::DeleteRule;

pub(super) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A condition of a list query; a list builds only the ones its caller gave, so that an
/// unfiltered count is answered from the project index instead of testing every row.
pub(super) enum Condition {
    /// `column = value`
    Equals(&'static str, String),
    /// `column` contains `value` (`LIKE '%value%'`)
    Contains(&'static str, String),
    /// `column = value` for a boolean column
    Flag(&'static str, bool),
    /// A fixed condition of the list itself (no user input in it).
    Raw(&'static str),
}

impl Condition {
    /// `Equals` when a value was given.
    pub fn equals(column: &'static str, value: &Option<String>) -> Option<Self> {
        value.clone().map(|v| Condition::Equals(column, v))
    }

    /// `Contains` when a value was given.
    pub fn contains(column: &'static str, value: &Option<String>) -> Option<Self> {
        value.clone().map(|v| Condition::Contains(column, v))
    }

    fn push(&self, q: &mut QueryBuilder<Sqlite>) {
        match self {
            Condition::Equals(column, v) => {
                q.push(format!(" AND {column} = ")).push_bind(v.clone());
            }
            Condition::Contains(column, v) => {
                // `%` and `_` in the filter are the characters themselves, not wildcards.
                let escaped = v
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                q.push(format!(" AND {column} LIKE '%' || "))
                    .push_bind(escaped)
                    .push(" || '%' ESCAPE '\\'");
            }
            Condition::Flag(column, v) => {
                q.push(format!(" AND {column} = ")).push_bind(*v);
            }
            Condition::Raw(sql) => {
                q.push(format!(" AND {sql}"));
            }
        }
    }
}

/// One list of a project's rows: what to select, how to count, the project column and
/// the order. Every SMS list goes through [`Listing::page`].
pub(super) struct Listing {
    pub select: &'static str,
    /// `FROM …` of the count, without the joins the rows need.
    pub count_from: &'static str,
    /// The count of an unfiltered list, when a table keeps it (`?` is the project).
    pub kept_count: Option<&'static str>,
    pub project_column: &'static str,
    /// The primary key, for [`Listing::one`].
    pub id_column: &'static str,
    pub order: &'static str,
}

impl Listing {
    /// One row of the project by id.
    pub async fn one<R>(
        &self,
        conn: &mut SqliteConnection,
        project: &str,
        id: &str,
    ) -> sqlx::Result<Option<R>>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin,
    {
        let sql = format!(
            "{} WHERE {} = ?1 AND {} = ?2",
            self.select, self.project_column, self.id_column
        );
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(project)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
    }

    /// Counts the filtered rows and reads one page of them in the caller's transaction,
    /// so that `count` and the rows come from the same snapshot.
    pub async fn page<R>(
        &self,
        conn: &mut SqliteConnection,
        project: &str,
        conditions: &[Condition],
        page: Page,
    ) -> sqlx::Result<(i64, Vec<R>)>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin,
    {
        let filtered = |head: String| {
            let mut q = QueryBuilder::new(head);
            q.push(format!(" WHERE {} = ", self.project_column))
                .push_bind(project.to_owned());
            for condition in conditions {
                condition.push(&mut q);
            }
            q
        };
        let total: i64 = match self.kept_count {
            Some(sql) if conditions.is_empty() => sqlx::query_scalar(sql)
                .bind(project)
                .fetch_optional(&mut *conn)
                .await?
                .unwrap_or(0),
            _ => {
                let mut count = filtered(format!("SELECT COUNT(*) FROM {}", self.count_from));
                count.build_query_scalar().fetch_one(&mut *conn).await?
            }
        };
        let mut list = filtered(self.select.to_owned());
        // The limit is written into the text, not bound: SQLite (3.50) plans with a
        // bound LIMIT's value and so re-prepares the statement at every new binding
        // (7 % of a task-list page's CPU). `Page` keeps it an integer from 1 to 200, so
        // each size a client uses is one cached statement.
        list.push(format!(
            " ORDER BY {} LIMIT {} OFFSET ",
            self.order, page.limit
        ))
        .push_bind(page.offset);
        let rows = list.build_query_as().fetch_all(&mut *conn).await?;
        Ok((total, rows))
    }
}

/// The ids of a page as one JSON array, the one parameter of the queries that read
/// each task's rows.
///
/// Those queries walk `json_each` and look each id up (`CROSS JOIN` keeps that order):
/// an `IN (…)` list made SQLite build a temporary b-tree of the ids for every
/// statement, three per page of tasks (`sqlite3BtreeOpen`, 5 % of the server's CPU
/// under the task list at 100,000 tasks, and its page-cache allocations). The ids of a
/// page are distinct, so no row comes twice; the callers order the rows, not a sorter.
pub(super) fn id_array(task_ids: &[&str]) -> sqlx::Result<String> {
    serde_json::to_string(task_ids).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

#[derive(Debug, sqlx::FromRow)]
struct Blocker {
    id: String,
    state: String,
    connected: bool,
}

/// Checks every id exists in the project and that none is blocked by the rule, then
/// deletes the rows of `table`. The queries write `+project_id` so that SQLite looks
/// the ids up by primary key instead of scanning the project through its index
/// (≈ 20 ms per statement at 100,000 tasks; see docs/performance.md). `lookup` yields (id, source state, connected) per id.
pub(super) async fn delete_all_or_nothing(
    conn: &mut SqliteConnection,
    project: &str,
    ids: &BatchIds,
    rule: DeleteRule,
    what: &'static str,
    lookup: &'static str,
    delete: &'static str,
) -> Result<(), SmsError> {
    let wanted =
        serde_json::to_string(ids.as_slice()).map_err(|e| SmsError::Internal(e.to_string()))?;
    let found: Vec<Blocker> = sqlx::query_as(lookup)
        .bind(project)
        .bind(&wanted)
        .fetch_all(&mut *conn)
        .await?;
    let missing: Vec<String> = ids
        .as_slice()
        .iter()
        .filter(|id| !found.iter().any(|f| &f.id == *id))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(SmsError::NotFound { what, ids: missing });
    }
    let blocked: Vec<String> = ids
        .as_slice()
        .iter()
        .filter_map(|id| found.iter().find(|f| &f.id == id))
        .filter(|f| {
            SourceState::parse(&f.state)
                .is_some_and(|s| domain::blocks_delete(rule, s, f.connected))
        })
        .map(|f| format!("{} (source server state: {})", f.id, f.state))
        .collect();
    if !blocked.is_empty() {
        return Err(SmsError::NotDeletable { blocked });
    }
    sqlx::query(delete)
        .bind(project)
        .bind(&wanted)
        .execute(conn)
        .await?;
    Ok(())
}
