//! SMS storage: every SQL statement about source servers and migration tasks.
//!
//! Functions taking a `SqliteConnection` run inside the caller's `BEGIN IMMEDIATE`
//! transaction (`Db::write`), so their reads and writes commit together or not at all.

use sqlx::QueryBuilder;
use sqlx::sqlite::{Sqlite, SqliteConnection, SqlitePool};

use super::domain::{
    self, BatchIds, NewSource, NewTask, Operation, Page, SourceState, TaskPatch, TaskState,
};
use super::error::SmsError;
use crate::config::DeleteRule;
use crate::db::now_ms;

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A source server with the brief of its current task, as list and show return it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SourceRow {
    pub id: String,
    pub name: String,
    pub ip: String,
    pub ipv6: String,
    pub hostname: String,
    pub os_type: Option<String>,
    pub os_version: String,
    pub state: String,
    pub connected: bool,
    pub migration_cycle: String,
    pub cpu_quantity: Option<i64>,
    pub memory: Option<i64>,
    pub agent_version: String,
    pub migproject: String,
    pub enterprise_project_id: String,
    pub details: String,
    pub add_date: i64,
    pub last_visit_time: i64,
    pub task_id: Option<String>,
    pub task_name: Option<String>,
    pub task_type: Option<String>,
    pub task_state: Option<String>,
    pub task_start_date: Option<i64>,
    pub task_speed_limit: Option<i64>,
    pub task_start_target_server: Option<bool>,
    pub task_region_id: Option<String>,
    pub task_project_id: Option<String>,
    pub task_project_name: Option<String>,
}

const SOURCE_SELECT: &str = "
    SELECT s.id, s.name, s.ip, s.ipv6, s.hostname, s.os_type, s.os_version, s.state, s.connected,
           s.migration_cycle, s.cpu_quantity, s.memory, s.agent_version, s.migproject,
           s.enterprise_project_id, s.details, s.add_date, s.last_visit_time,
           t.id AS task_id, t.name AS task_name, t.type AS task_type, t.state AS task_state,
           t.start_date AS task_start_date, t.speed_limit AS task_speed_limit,
           t.start_target_server AS task_start_target_server, t.region_id AS task_region_id,
           t.target_project_id AS task_project_id, t.target_project_name AS task_project_name
      FROM source_servers s LEFT JOIN tasks t ON t.id = s.current_task_id";

/// Filters of `GET /v3/sources`; `None` means "any".
#[derive(Debug, Default, Clone)]
pub struct SourceFilter {
    pub id: Option<String>,
    pub name: Option<String>,
    pub ip: Option<String>,
    pub state: Option<String>,
    pub connected: Option<bool>,
    pub migproject: Option<String>,
    pub enterprise_project_id: Option<String>,
}

impl SourceFilter {
    /// Only the filters given become conditions, so that an unfiltered count can be
    /// answered from the project index instead of testing every row.
    fn push_where(&self, q: &mut QueryBuilder<Sqlite>, project: &str) {
        q.push(" WHERE s.project_id = ")
            .push_bind(project.to_owned());
        let mut eq = |column: &str, value: &Option<String>| {
            if let Some(v) = value {
                q.push(format!(" AND {column} = ")).push_bind(v.clone());
            }
        };
        eq("s.id", &self.id);
        eq("s.ip", &self.ip);
        eq("s.state", &self.state);
        eq("s.migproject", &self.migproject);
        eq("s.enterprise_project_id", &self.enterprise_project_id);
        if let Some(name) = &self.name {
            q.push(" AND s.name LIKE '%' || ")
                .push_bind(name.clone())
                .push(" || '%'");
        }
        if let Some(connected) = self.connected {
            q.push(" AND s.connected = ").push_bind(connected);
        }
    }
}

pub async fn list_sources(
    pool: &SqlitePool,
    project: &str,
    f: &SourceFilter,
    page: Page,
) -> sqlx::Result<(i64, Vec<SourceRow>)> {
    let mut count = QueryBuilder::new("SELECT COUNT(*) FROM source_servers s");
    f.push_where(&mut count, project);
    let mut list = QueryBuilder::new(SOURCE_SELECT);
    f.push_where(&mut list, project);
    list.push(" ORDER BY s.add_date DESC, s.id");
    count_and_page(pool, count, list, page).await
}

/// Runs a filtered count and one page of the same filter in one read transaction, so
/// that `count` and the rows come from the same snapshot.
async fn count_and_page<R>(
    pool: &SqlitePool,
    mut count: QueryBuilder<Sqlite>,
    mut list: QueryBuilder<Sqlite>,
    page: Page,
) -> sqlx::Result<(i64, Vec<R>)>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin,
{
    let mut tx = pool.begin().await?;
    let total: i64 = count.build_query_scalar().fetch_one(&mut *tx).await?;
    list.push(" LIMIT ")
        .push_bind(page.limit)
        .push(" OFFSET ")
        .push_bind(page.offset);
    let rows = list.build_query_as().fetch_all(&mut *tx).await?;
    tx.commit().await?;
    Ok((total, rows))
}

pub async fn source(pool: &SqlitePool, project: &str, id: &str) -> sqlx::Result<Option<SourceRow>> {
    let sql = format!("{SOURCE_SELECT} WHERE s.project_id = ?1 AND s.id = ?2");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(project)
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Registers a source server, or updates the one the same agent registered before
/// (same ip and name in the project). A registering agent is connected by definition.
pub async fn register_source(
    conn: &mut SqliteConnection,
    project: &str,
    s: &NewSource,
) -> Result<String, SmsError> {
    let details = serde_json::Value::Object(s.details.clone()).to_string();
    let now = now_ms();
    let id: String = sqlx::query_scalar(
        "INSERT INTO source_servers (id, project_id, name, ip, ipv6, hostname, os_type, os_version,
                                     state, connected, migration_cycle, cpu_quantity, memory,
                                     agent_version, enterprise_project_id, details, add_date,
                                     last_visit_time)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16)
         ON CONFLICT (project_id, ip, name) DO UPDATE SET
             ipv6 = excluded.ipv6, hostname = excluded.hostname, os_type = excluded.os_type,
             os_version = excluded.os_version, state = excluded.state, connected = 1,
             migration_cycle = excluded.migration_cycle, cpu_quantity = excluded.cpu_quantity,
             memory = excluded.memory, agent_version = excluded.agent_version,
             details = excluded.details, last_visit_time = excluded.last_visit_time
         RETURNING id",
    )
    .bind(new_id())
    .bind(project)
    .bind(&s.name)
    .bind(&s.ip)
    .bind(&s.ipv6)
    .bind(&s.hostname)
    .bind(s.os_type.map(|o| o.as_str()))
    .bind(&s.os_version)
    .bind(s.state.as_str())
    .bind(&s.migration_cycle)
    .bind(s.cpu_quantity)
    .bind(s.memory)
    .bind(&s.agent_version)
    .bind(&s.enterprise_project_id)
    .bind(details)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Returns whether the source server exists in the project.
pub async fn update_source(
    conn: &mut SqliteConnection,
    project: &str,
    id: &str,
    name: Option<&str>,
    migproject: Option<&str>,
) -> Result<bool, SmsError> {
    let done = sqlx::query(
        "UPDATE source_servers SET name = COALESCE(?3, name), migproject = COALESCE(?4, migproject)
          WHERE project_id = ?1 AND id = ?2",
    )
    .bind(project)
    .bind(id)
    .bind(name)
    .bind(migproject)
    .execute(conn)
    .await
    .map_err(|e| match &e {
        // The agent's identity is ip + name: a rename must not collide with another agent.
        sqlx::Error::Database(db) if db.is_unique_violation() => SmsError::Conflict {
            msg: "another source server in the project has this ip and name".into(),
            param: "name",
        },
        _ => SmsError::from(e),
    })?;
    Ok(done.rows_affected() > 0)
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
async fn delete_all_or_nothing(
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

/// Deletes all the tasks or none: unknown ids give 404, a task whose source server is
/// busy gives 400. A source's `current_task` is cleared by the foreign key in the same
/// transaction.
pub async fn delete_tasks(
    conn: &mut SqliteConnection,
    project: &str,
    ids: &BatchIds,
    rule: DeleteRule,
) -> Result<(), SmsError> {
    delete_all_or_nothing(
        conn,
        project,
        ids,
        rule,
        "migration task",
        "SELECT t.id, s.state, s.connected
           FROM tasks t JOIN source_servers s ON s.id = t.source_server_id
          WHERE +t.project_id = ?1 AND t.id IN (SELECT value FROM json_each(?2))",
        "DELETE FROM tasks WHERE +project_id = ?1 AND id IN (SELECT value FROM json_each(?2))",
    )
    .await
}

/// Deletes source servers (and their tasks) all or nothing, under the same rule as tasks:
/// a connected server in a running state is busy migrating.
pub async fn delete_sources(
    conn: &mut SqliteConnection,
    project: &str,
    ids: &BatchIds,
    rule: DeleteRule,
) -> Result<(), SmsError> {
    delete_all_or_nothing(
        conn,
        project,
        ids,
        rule,
        "source server",
        "SELECT id, state, connected FROM source_servers
          WHERE +project_id = ?1 AND id IN (SELECT value FROM json_each(?2))",
        "DELETE FROM source_servers WHERE +project_id = ?1 AND id IN (SELECT value FROM json_each(?2))",
    )
    .await
}

/// A task with the brief of its source server.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TaskRow {
    pub id: String,
    pub name: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub os_type: String,
    pub state: String,
    pub priority: i64,
    pub migration_ip: String,
    pub region_id: String,
    pub region_name: String,
    pub target_project_id: String,
    pub target_project_name: String,
    pub enterprise_project_id: String,
    pub start_target_server: bool,
    pub syncing: bool,
    pub speed_limit: i64,
    pub target_server: String,
    pub create_date: i64,
    pub start_date: Option<i64>,
    pub finish_date: Option<i64>,
    pub source_id: String,
    pub source_name: String,
    pub source_ip: String,
    pub source_os_type: Option<String>,
    pub source_os_version: String,
    pub source_state: String,
    pub source_connected: bool,
    pub source_migration_cycle: String,
}

const TASK_SELECT: &str = "
    SELECT t.id, t.name, t.type, t.os_type, t.state, t.priority, t.migration_ip, t.region_id,
           t.region_name, t.target_project_id, t.target_project_name, t.enterprise_project_id,
           t.start_target_server, t.syncing, t.speed_limit, t.target_server, t.create_date,
           t.start_date, t.finish_date,
           s.id AS source_id, s.name AS source_name, s.ip AS source_ip,
           s.os_type AS source_os_type, s.os_version AS source_os_version,
           s.state AS source_state, s.connected AS source_connected,
           s.migration_cycle AS source_migration_cycle
      FROM tasks t JOIN source_servers s ON s.id = t.source_server_id";

#[derive(Debug, Default, Clone)]
pub struct TaskFilter {
    pub id: Option<String>,
    pub name: Option<String>,
    pub state: Option<String>,
    pub source_server_id: Option<String>,
    pub enterprise_project_id: Option<String>,
}

impl TaskFilter {
    /// Only the filters given become conditions (see [`SourceFilter::push_where`]).
    fn push_where(&self, q: &mut QueryBuilder<Sqlite>, project: &str) {
        q.push(" WHERE t.project_id = ")
            .push_bind(project.to_owned());
        let mut eq = |column: &str, value: &Option<String>| {
            if let Some(v) = value {
                q.push(format!(" AND {column} = ")).push_bind(v.clone());
            }
        };
        eq("t.id", &self.id);
        eq("t.state", &self.state);
        eq("t.source_server_id", &self.source_server_id);
        eq("t.enterprise_project_id", &self.enterprise_project_id);
        if let Some(name) = &self.name {
            q.push(" AND t.name LIKE '%' || ")
                .push_bind(name.clone())
                .push(" || '%'");
        }
    }
}

pub async fn list_tasks(
    pool: &SqlitePool,
    project: &str,
    f: &TaskFilter,
    page: Page,
) -> sqlx::Result<(i64, Vec<TaskRow>)> {
    let mut count = QueryBuilder::new("SELECT COUNT(*) FROM tasks t");
    f.push_where(&mut count, project);
    let mut list = QueryBuilder::new(TASK_SELECT);
    f.push_where(&mut list, project);
    list.push(" ORDER BY t.create_date DESC, t.id");
    count_and_page(pool, count, list, page).await
}

pub async fn task(pool: &SqlitePool, project: &str, id: &str) -> sqlx::Result<Option<TaskRow>> {
    let sql = format!("{TASK_SELECT} WHERE t.project_id = ?1 AND t.id = ?2");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(project)
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Creates a task for a source server of the project and makes it the server's current task.
pub async fn create_task(
    conn: &mut SqliteConnection,
    project: &str,
    t: &NewTask,
) -> Result<String, SmsError> {
    let source: Option<(Option<String>,)> = sqlx::query_as(
        "SELECT current_task_id FROM source_servers WHERE project_id = ? AND id = ?",
    )
    .bind(project)
    .bind(&t.source_server_id)
    .fetch_optional(&mut *conn)
    .await?;
    match source {
        None => {
            return Err(SmsError::SourceMissing {
                id: t.source_server_id.clone(),
            });
        }
        Some((Some(existing),)) => {
            return Err(SmsError::Conflict {
                msg: format!("the source server already has migration task {existing}"),
                param: "source_server.id",
            });
        }
        Some((None,)) => {}
    }
    let id = new_id();
    sqlx::query(
        "INSERT INTO tasks (id, project_id, source_server_id, name, type, os_type, priority,
                            migration_ip, region_id, region_name, target_project_id,
                            target_project_name, enterprise_project_id, start_target_server,
                            syncing, speed_limit, target_server, create_date)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(project)
    .bind(&t.source_server_id)
    .bind(&t.name)
    .bind(t.kind.as_str())
    .bind(t.os_type.as_str())
    .bind(t.priority)
    .bind(&t.migration_ip)
    .bind(&t.region_id)
    .bind(&t.region_name)
    .bind(&t.target_project_id)
    .bind(&t.target_project_name)
    .bind(&t.enterprise_project_id)
    .bind(t.start_target_server)
    .bind(t.syncing)
    .bind(t.speed_limit)
    .bind(t.target_server.to_string())
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE source_servers SET current_task_id = ? WHERE id = ?")
        .bind(&id)
        .bind(&t.source_server_id)
        .execute(conn)
        .await?;
    Ok(id)
}

/// Returns whether the task exists in the project.
pub async fn update_task(
    conn: &mut SqliteConnection,
    project: &str,
    id: &str,
    p: &TaskPatch,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE tasks SET
             name = COALESCE(?3, name), type = COALESCE(?4, type),
             migration_ip = COALESCE(?5, migration_ip), region_name = COALESCE(?6, region_name),
             region_id = COALESCE(?7, region_id),
             target_project_name = COALESCE(?8, target_project_name),
             target_project_id = COALESCE(?9, target_project_id),
             speed_limit = COALESCE(?10, speed_limit), target_server = COALESCE(?11, target_server)
          WHERE project_id = ?1 AND id = ?2",
    )
    .bind(project)
    .bind(id)
    .bind(&p.name)
    .bind(p.kind.map(|k| k.as_str()))
    .bind(&p.migration_ip)
    .bind(&p.region_name)
    .bind(&p.region_id)
    .bind(&p.target_project_name)
    .bind(&p.target_project_id)
    .bind(p.speed_limit)
    .bind(p.target_server.as_ref().map(ToString::to_string))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Applies an action to a task and its source server, or refuses an illegal one
/// without changing anything.
pub async fn apply_operation(
    conn: &mut SqliteConnection,
    project: &str,
    id: &str,
    op: Operation,
) -> Result<(), SmsError> {
    let current: Option<(String, String, bool)> = sqlx::query_as(
        "SELECT t.state, t.source_server_id, s.connected
           FROM tasks t JOIN source_servers s ON s.id = t.source_server_id
          WHERE t.project_id = ? AND t.id = ?",
    )
    .bind(project)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let (state, source_id, connected) = current.ok_or_else(|| SmsError::NotFound {
        what: "migration task",
        ids: vec![id.to_owned()],
    })?;
    let state = TaskState::parse(&state)
        .ok_or_else(|| SmsError::Internal(format!("task {id} has unknown state {state}")))?;
    let next = domain::transition(op, state, connected)?;
    let now = now_ms();
    let starts = matches!(op, Operation::Start | Operation::Restart);
    let finishes = matches!(op, Operation::Cutover);
    sqlx::query(
        "UPDATE tasks SET state = ?2,
                start_date = CASE WHEN ?3 THEN ?5 ELSE start_date END,
                finish_date = CASE WHEN ?4 THEN ?5 WHEN ?3 THEN NULL ELSE finish_date END
          WHERE id = ?1",
    )
    .bind(id)
    .bind(next.task.as_str())
    .bind(starts)
    .bind(finishes)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE source_servers SET state = ?2 WHERE id = ?1")
        .bind(&source_id)
        .bind(next.source.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets a source server's state and/or connected flag (admin control for tests).
pub async fn force_source_state(
    conn: &mut SqliteConnection,
    id: &str,
    state: Option<SourceState>,
    connected: Option<bool>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE source_servers SET state = COALESCE(?2, state), connected = COALESCE(?3, connected),
                last_visit_time = CASE WHEN ?3 IS NULL THEN last_visit_time ELSE ?4 END
          WHERE id = ?1",
    )
    .bind(id)
    .bind(state.map(|s| s.as_str()))
    .bind(connected)
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Sets a task's state (admin control for tests).
pub async fn force_task_state(
    conn: &mut SqliteConnection,
    id: &str,
    state: TaskState,
) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE tasks SET state = ?2 WHERE id = ?1")
        .bind(id)
        .bind(state.as_str())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
