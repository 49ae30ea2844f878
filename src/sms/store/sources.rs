//! Source servers as the agent registers them.

use sqlx::sqlite::SqliteConnection;

use super::super::domain::*;
use super::super::error::SmsError;
use super::*;
use crate::config::DeleteRule;

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
    pub replicatesize: i64,
    pub totalsize: i64,
    pub state_action_time: Option<i64>,
    pub stage_action_time: Option<i64>,
    pub is_consistency_result_exist: bool,
    pub task_estimate_complete_time: Option<i64>,
    pub task_migrate_speed: Option<f64>,
    pub task_compress_rate: Option<f64>,
    pub task_vm_template_id: Option<String>,
    pub task_target_server: Option<String>,
    pub task_log_collect_status: Option<String>,
    pub task_log_bucket: Option<String>,
    pub task_log_upload_time: Option<i64>,
    pub task_remain_seconds: Option<i64>,
    pub task_subtask_info: Option<String>,
}

const SOURCE_SELECT: &str = "
    SELECT s.id, s.name, s.ip, s.ipv6, s.hostname, s.os_type, s.os_version, s.state, s.connected,
           s.migration_cycle, s.cpu_quantity, s.memory, s.agent_version, s.migproject,
           s.enterprise_project_id, s.details, s.add_date, s.last_visit_time,
           t.id AS task_id, t.name AS task_name, t.type AS task_type, t.state AS task_state,
           t.start_date AS task_start_date, t.speed_limit AS task_speed_limit,
           t.start_target_server AS task_start_target_server, t.region_id AS task_region_id,
           t.target_project_id AS task_project_id, t.target_project_name AS task_project_name,
           s.replicatesize, s.totalsize, s.state_action_time, s.stage_action_time,
           EXISTS (SELECT 1 FROM task_consistency_results c WHERE c.task_id = t.id)
               AS is_consistency_result_exist,
           t.estimate_complete_time AS task_estimate_complete_time,
           t.migrate_speed AS task_migrate_speed, t.compress_rate AS task_compress_rate,
           t.vm_template_id AS task_vm_template_id, t.target_server AS task_target_server,
           t.log_collect_status AS task_log_collect_status, t.log_bucket AS task_log_bucket,
           t.log_upload_time AS task_log_upload_time, t.remain_seconds AS task_remain_seconds,
           t.subtask_info AS task_subtask_info
      FROM source_servers s LEFT JOIN tasks t ON t.id = s.current_task_id";

/// The list and the single-row reads of this resource.
const SOURCES: Listing = Listing {
    select: SOURCE_SELECT,
    count_from: "source_servers s",
    kept_count: None,
    project_column: "s.project_id",
    id_column: "s.id",
    order: "s.add_date DESC, s.id",
};

/// Filters of `GET /v3/sources`; `None` means "any".
#[derive(Debug, Default, Clone)]
pub struct SourceFilter {
    pub id: Option<String>,
    pub name: Option<String>,
    pub ip: Option<String>,
    pub ipv6: Option<String>,
    pub migration_cycle: Option<String>,
    pub is_consistency_result_exist: Option<bool>,
    /// The id of the task's target (clone) server.
    pub vm_id: Option<String>,
    pub state: Option<String>,
    pub connected: Option<bool>,
    pub migproject: Option<String>,
    pub enterprise_project_id: Option<String>,
}

impl SourceFilter {
    fn conditions(&self) -> Vec<Condition> {
        [
            Condition::equals("s.id", &self.id),
            Condition::equals("s.ip", &self.ip),
            Condition::equals("s.ipv6", &self.ipv6),
            Condition::equals("s.migration_cycle", &self.migration_cycle),
            Condition::equals(
                "(SELECT json_extract(t.target_server, '$.vm_id') FROM tasks t \
                  WHERE t.id = s.current_task_id)",
                &self.vm_id,
            ),
            self.is_consistency_result_exist.map(|e| {
                Condition::Flag(
                    "EXISTS (SELECT 1 FROM task_consistency_results c \
                     WHERE c.task_id = s.current_task_id)",
                    e,
                )
            }),
            Condition::equals("s.state", &self.state),
            Condition::equals("s.migproject", &self.migproject),
            Condition::equals("s.enterprise_project_id", &self.enterprise_project_id),
            Condition::contains("s.name", &self.name),
            self.connected.map(|c| Condition::Flag("s.connected", c)),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

pub async fn list_sources(
    conn: &mut SqliteConnection,
    project: &str,
    f: &SourceFilter,
    page: Page,
) -> sqlx::Result<(i64, Vec<SourceRow>)> {
    SOURCES.page(conn, project, &f.conditions(), page).await
}

pub async fn source(
    conn: &mut SqliteConnection,
    project: &str,
    id: &str,
) -> sqlx::Result<Option<SourceRow>> {
    SOURCES.one(conn, project, id).await
}

/// Registers a source server, or updates the one the same agent registered before
/// (same ip and name in the project). A registering agent is connected by definition.
pub async fn register_source(
    conn: &mut SqliteConnection,
    project: &str,
    s: &NewSource,
    now: i64,
) -> Result<String, SmsError> {
    let known: Option<String> = sqlx::query_scalar(
        "UPDATE source_servers SET ipv6 = ?1, hostname = ?2, os_type = ?3, os_version = ?4,
                state = ?5, connected = 1, migration_cycle = ?6, cpu_quantity = ?7,
                memory = ?8, agent_version = ?9, details = ?10, last_visit_time = ?11
          WHERE project_id = ?12 AND ip = ?13 AND name = ?14
         RETURNING id",
    )
    .bind(&s.ipv6)
    .bind(&s.hostname)
    .bind(s.os_type.map(|o| o.as_str()))
    .bind(&s.os_version)
    .bind(s.state.as_str())
    .bind(&s.migration_cycle)
    .bind(s.cpu_quantity)
    .bind(s.memory)
    .bind(&s.agent_version)
    .bind(details_json(s))
    .bind(now)
    .bind(project)
    .bind(&s.ip)
    .bind(&s.name)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = known {
        return Ok(id);
    }
    // A new server joins the project's default migration project.
    let migproject = ensure_default_migproject(conn, project, now).await?;
    let id = new_id();
    insert_source(conn, project, &id, s, true, &migproject, now).await?;
    Ok(id)
}

fn details_json(s: &NewSource) -> String {
    serde_json::Value::Object(s.details.clone()).to_string()
}

/// The one INSERT of a source server: used by `register_source` and by seeding, which
/// pins the id, the connected flag and the migration project.
pub async fn insert_source(
    conn: &mut SqliteConnection,
    project: &str,
    id: &str,
    s: &NewSource,
    connected: bool,
    migproject: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO source_servers (id, project_id, name, ip, ipv6, hostname, os_type, os_version,
                                     state, connected, migration_cycle, cpu_quantity, memory,
                                     agent_version, migproject, enterprise_project_id, details,
                                     add_date, last_visit_time)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18)",
    )
    .bind(id)
    .bind(project)
    .bind(&s.name)
    .bind(&s.ip)
    .bind(&s.ipv6)
    .bind(&s.hostname)
    .bind(s.os_type.map(|o| o.as_str()))
    .bind(&s.os_version)
    .bind(s.state.as_str())
    .bind(connected)
    .bind(&s.migration_cycle)
    .bind(s.cpu_quantity)
    .bind(s.memory)
    .bind(&s.agent_version)
    .bind(migproject)
    .bind(&s.enterprise_project_id)
    .bind(details_json(s))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns whether the source server exists in the project. A server moves only to a
/// migration project of its own IAM project (404 SMS.7301 otherwise).
pub async fn update_source(
    conn: &mut SqliteConnection,
    project: &str,
    id: &str,
    name: Option<&str>,
    migproject: Option<&str>,
) -> Result<bool, SmsError> {
    if let Some(target) = migproject
        && super::migproject(conn, project, target).await?.is_none()
    {
        return Err(SmsError::missing("SMS.7301", "migration project", target));
    }
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

/// Sets a source server's state and/or connected flag (admin control for tests).
pub async fn force_source_state(
    conn: &mut SqliteConnection,
    id: &str,
    state: Option<SourceState>,
    connected: Option<bool>,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE source_servers SET state = COALESCE(?2, state), connected = COALESCE(?3, connected),
                last_visit_time = CASE WHEN ?3 IS NULL THEN last_visit_time ELSE ?4 END
          WHERE id = ?1",
    )
    .bind(id)
    .bind(state.map(|s| s.as_str()))
    .bind(connected)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// `GET /v3/sources/overview`: how many of the project's servers are in each state the
/// console counts, and how many have no task (no target configured) yet.
#[derive(Debug, Default, serde::Serialize)]
pub struct Overview {
    pub waiting: i64,
    pub replicate: i64,
    pub syncing: i64,
    pub stopped: i64,
    pub deleting: i64,
    pub cutovering: i64,
    pub unavailable: i64,
    pub stopping: i64,
    pub skipping: i64,
    pub finished: i64,
    pub initialize: i64,
    pub error: i64,
    pub cloning: i64,
    pub unconfigured: i64,
}

pub async fn overview(conn: &mut SqliteConnection, project: &str) -> sqlx::Result<Overview> {
    let by_state: Vec<(String, i64)> = sqlx::query_as(
        "SELECT state, COUNT(*) FROM source_servers WHERE project_id = ? GROUP BY state",
    )
    .bind(project)
    .fetch_all(&mut *conn)
    .await?;
    let mut o = Overview::default();
    for (state, n) in by_state {
        let slot = match state.as_str() {
            "waiting" => &mut o.waiting,
            "replicate" => &mut o.replicate,
            "syncing" => &mut o.syncing,
            "stopped" => &mut o.stopped,
            "deleting" => &mut o.deleting,
            "cutovering" => &mut o.cutovering,
            "unavailable" => &mut o.unavailable,
            "stopping" => &mut o.stopping,
            "skipping" => &mut o.skipping,
            "finished" => &mut o.finished,
            "initialize" => &mut o.initialize,
            "error" => &mut o.error,
            "cloning" => &mut o.cloning,
            // clearing, cleared, clearfailed and the premig* states have no counter.
            _ => continue,
        };
        *slot = n;
    }
    o.unconfigured = sqlx::query_scalar(
        "SELECT COUNT(*) FROM source_servers WHERE project_id = ? AND current_task_id IS NULL",
    )
    .bind(project)
    .fetch_one(&mut *conn)
    .await?;
    Ok(o)
}

/// One entry of `GET /v3/errors`.
#[derive(Debug, serde::Serialize, sqlx::FromRow)]
pub struct MigrationError {
    /// `{"error_code": …, "error_param": …}` as a JSON string, as the real service sends it.
    pub error_json: String,
    pub host_name: Option<String>,
    pub name: String,
    pub source_id: String,
    pub source_ip: String,
    pub target_ip: String,
}

/// Servers whose task failed (MIGRATE_FAIL, SYNC_FAIL) or that report the `error` state,
/// newest first.
pub async fn list_error_servers(
    conn: &mut SqliteConnection,
    project: &str,
    enterprise_project_id: Option<String>,
    page: Page,
) -> sqlx::Result<(i64, Vec<MigrationError>)> {
    const FAILED: &str = "(s.state = 'error' OR t.state IN ('MIGRATE_FAIL', 'SYNC_FAIL'))";
    let conditions: Vec<Condition> =
        Condition::equals("s.enterprise_project_id", &enterprise_project_id)
            .into_iter()
            .chain(std::iter::once(Condition::Raw(FAILED)))
            .collect();
    Listing {
        select: "SELECT json_object('error_code', CASE WHEN t.state = 'SYNC_FAIL' THEN 'SMS.1302' \
                 ELSE 'SMS.2802' END, 'error_param', '[]') AS error_json, \
                 NULLIF(s.hostname, '') AS host_name, s.name, s.id AS source_id, s.ip AS source_ip, \
                 COALESCE(t.migration_ip, '') AS target_ip \
                 FROM source_servers s LEFT JOIN tasks t ON t.id = s.current_task_id",
        count_from: "source_servers s LEFT JOIN tasks t ON t.id = s.current_task_id",
        kept_count: None,
    project_column: "s.project_id",
        id_column: "s.id",
        order: "s.last_visit_time DESC, s.id",
    }
    .page(conn, project, &conditions, page)
    .await
}
