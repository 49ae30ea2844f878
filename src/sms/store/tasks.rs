//! Migration tasks, joined with their source server.

use sqlx::sqlite::SqliteConnection;

use super::super::domain::{self, *};
use super::super::error::SmsError;
use super::simulation;
use super::*;
use crate::config::{DeleteRule, SimulationSettings};

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
    pub source_details: String,
    pub vm_template_id: Option<String>,
    pub migrate_speed: f64,
    pub compress_rate: f64,
    pub remain_seconds: i64,
    pub estimate_complete_time: Option<i64>,
    pub total_time: i64,
    pub error_json: String,
    pub subtask_info: String,
    pub total_cpu_usage: f64,
    pub agent_cpu_usage: f64,
    pub total_mem_usage: f64,
    pub agent_mem_usage: f64,
    pub total_disk_io: f64,
    pub agent_disk_io: f64,
    pub need_migration_test: bool,
    /// JSON object or NULL.
    pub network_check_info: Option<String>,
    pub log_collect_status: String,
}

const TASK_SELECT: &str = "
    SELECT t.id, t.name, t.type, t.os_type, t.state, t.priority, t.migration_ip, t.region_id,
           t.region_name, t.target_project_id, t.target_project_name, t.enterprise_project_id,
           t.start_target_server, t.syncing, t.speed_limit, t.target_server, t.create_date,
           t.start_date, t.finish_date, t.vm_template_id,
           s.id AS source_id, s.name AS source_name, s.ip AS source_ip,
           s.os_type AS source_os_type, s.os_version AS source_os_version,
           s.state AS source_state, s.connected AS source_connected,
           s.migration_cycle AS source_migration_cycle, s.details AS source_details,
           t.migrate_speed, t.compress_rate, t.remain_seconds, t.estimate_complete_time,
           t.total_time, t.error_json, t.subtask_info, t.total_cpu_usage, t.agent_cpu_usage,
           t.total_mem_usage, t.agent_mem_usage, t.total_disk_io, t.agent_disk_io,
           t.need_migration_test, t.network_check_info, t.log_collect_status
      FROM tasks t JOIN source_servers s ON s.id = t.source_server_id";

/// The list and the single-row reads of this resource.
const TASKS: Listing = Listing {
    select: TASK_SELECT,
    count_from: "tasks t",
    kept_count: Some("SELECT tasks FROM task_counts WHERE project_id = ?"),
    project_column: "t.project_id",
    id_column: "t.id",
    order: "t.create_date DESC, t.id",
};

#[derive(Debug, Default, Clone)]
pub struct TaskFilter {
    pub id: Option<String>,
    pub name: Option<String>,
    pub state: Option<String>,
    pub source_server_id: Option<String>,
    pub enterprise_project_id: Option<String>,
}

impl TaskFilter {
    fn conditions(&self) -> Vec<Condition> {
        [
            Condition::equals("t.id", &self.id),
            Condition::equals("t.state", &self.state),
            Condition::equals("t.source_server_id", &self.source_server_id),
            Condition::equals("t.enterprise_project_id", &self.enterprise_project_id),
            Condition::contains("t.name", &self.name),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

pub async fn list_tasks(
    conn: &mut SqliteConnection,
    project: &str,
    f: &TaskFilter,
    page: Page,
) -> sqlx::Result<(i64, Vec<TaskRow>)> {
    TASKS.page(conn, project, &f.conditions(), page).await
}

pub async fn task(
    conn: &mut SqliteConnection,
    project: &str,
    id: &str,
) -> sqlx::Result<Option<TaskRow>> {
    TASKS.one(conn, project, id).await
}

/// Creates a task for a source server of the project and makes it the server's current task.
pub async fn create_task(
    conn: &mut SqliteConnection,
    project: &str,
    t: &NewTask,
    now: i64,
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
    if let Some(template_id) = &t.vm_template_id
        && template(conn, project, template_id).await?.is_none()
    {
        return Err(SmsError::Documented {
            status: actix_web::http::StatusCode::BAD_REQUEST,
            code: "SMS.7101",
            msg: format!("template {template_id} does not exist"),
            params: vec!["vm_template_id".into()],
        });
    }
    let id = new_id();
    insert_task(conn, project, &id, t, TaskState::Ready, now).await?;
    Ok(id)
}

/// The one INSERT of a task, and its source's `current_task_id`: used by `create_task`
/// and by seeding, which pins the id, the state and the creation time.
pub async fn insert_task(
    conn: &mut SqliteConnection,
    project: &str,
    id: &str,
    t: &NewTask,
    state: TaskState,
    create_date: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO tasks (id, project_id, source_server_id, name, type, os_type, state, priority,
                            migration_ip, region_id, region_name, target_project_id,
                            target_project_name, enterprise_project_id, start_target_server,
                            syncing, speed_limit, target_server, create_date, vm_template_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(project)
    .bind(&t.source_server_id)
    .bind(&t.name)
    .bind(t.kind.as_str())
    .bind(t.os_type.as_str())
    .bind(state.as_str())
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
    .bind(create_date)
    .bind(&t.vm_template_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE source_servers SET current_task_id = ? WHERE id = ?")
        .bind(id)
        .bind(&t.source_server_id)
        .execute(conn)
        .await?;
    Ok(())
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
    now: i64,
    sim: Option<&SimulationSettings>,
) -> Result<(), SmsError> {
    let current: Option<(String, String, bool, String)> = sqlx::query_as(
        "SELECT t.state, t.source_server_id, s.connected, s.state
           FROM tasks t JOIN source_servers s ON s.id = t.source_server_id
          WHERE t.project_id = ? AND t.id = ?",
    )
    .bind(project)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let (state, source_id, connected, source_state) =
        current.ok_or_else(|| SmsError::NotFound {
            what: "migration task",
            ids: vec![id.to_owned()],
        })?;
    let state = TaskState::parse(&state)
        .ok_or_else(|| SmsError::Internal(format!("task {id} has unknown state {state}")))?;
    let source_state = SourceState::parse(&source_state).ok_or_else(|| {
        SmsError::Internal(format!(
            "source {source_id} has unknown state {source_state}"
        ))
    })?;
    if let Some(sim) = sim {
        let run = simulation::run_of(conn, id).await?;
        if let Some(plan) = domain::plan(op, state, run.as_ref())? {
            if !connected && plan != domain::Plan::Stop {
                // The same refusal as the state machine's: nothing drives an unreachable server.
                domain::transition(op, state, source_state, connected)?;
            }
            return simulation::carry_out(conn, id, plan, run, now, sim).await;
        }
    }
    let mut next = domain::transition(op, state, source_state, connected)?;
    if sim.is_some()
        && let Some((between, lands)) = domain::passes_through(op, source_state)
    {
        super::passes::pass(conn, id, between, lands, now).await?;
        next.source = between;
    }
    // An incremental sync keeps the first start date.
    let starts = op.starts() && next.task == TaskState::Running;
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

/// Sets a task's state (admin control for tests).
pub async fn force_task_state(
    conn: &mut SqliteConnection,
    id: &str,
    state: TaskState,
) -> sqlx::Result<bool> {
    // Put somewhere by hand, the task stays there: its simulated run ends.
    simulation::stop_simulating(&mut *conn, id).await?;
    let done = sqlx::query("UPDATE tasks SET state = ?2 WHERE id = ?1")
        .bind(id)
        .bind(state.as_str())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// One step of a task as the agent reported it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SubtaskRow {
    pub task_id: String,
    pub id: i64,
    pub name: String,
    pub progress: i64,
    pub start_date: Option<i64>,
    pub end_date: Option<i64>,
    pub migrate_speed: f64,
    pub user_op: String,
    pub process_trace: String,
}

/// The subtasks of the given tasks, by task id and subtask id, in one query.
pub async fn subtasks_of(
    conn: &mut SqliteConnection,
    task_ids: &[&str],
) -> sqlx::Result<Vec<SubtaskRow>> {
    if task_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: Vec<SubtaskRow> = sqlx::query_as(
        "SELECT s.task_id, s.id, s.name, s.progress, s.start_date, s.end_date,
                s.migrate_speed, s.user_op, s.process_trace
           FROM json_each(?) AS page CROSS JOIN task_subtasks s ON s.task_id = page.value",
    )
    .bind(super::id_array(task_ids)?)
    .fetch_all(&mut *conn)
    .await?;
    rows.sort_by(|a, b| (&a.task_id, a.id).cmp(&(&b.task_id, b.id)));
    Ok(rows)
}

/// The configuration settings of the given tasks (task id, key, value, status), by
/// task id and key.
pub async fn settings_of(
    conn: &mut SqliteConnection,
    task_ids: &[&str],
) -> sqlx::Result<Vec<(String, String, String, String)>> {
    if task_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT c.task_id, c.config_key, c.config_value, c.config_status
           FROM json_each(?) AS page CROSS JOIN task_config_settings c
                ON c.task_id = page.value",
    )
    .bind(super::id_array(task_ids)?)
    .fetch_all(&mut *conn)
    .await?;
    rows.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    Ok(rows)
}
