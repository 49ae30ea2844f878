//! The console's SMS reads: pages of tasks and source servers in keyset order (a page
//! deep in 100,000 rows costs what the first one does), and the small tables whole.

use sqlx::SqliteConnection;

/// A project that holds SMS resources, for the project picker.
#[derive(sqlx::FromRow)]
pub struct ProjectLine {
    pub id: String,
    pub name: String,
    pub domain: String,
    pub tasks: i64,
}

/// Every project with its task count, the busiest first.
pub async fn projects(conn: &mut SqliteConnection) -> sqlx::Result<Vec<ProjectLine>> {
    sqlx::query_as(
        "SELECT p.id, p.name, d.name AS domain, COALESCE(c.tasks, 0) AS tasks
           FROM projects p JOIN domains d ON d.id = p.domain_id
           LEFT JOIN task_counts c ON c.project_id = p.id
          ORDER BY tasks DESC, d.name, p.name",
    )
    .fetch_all(conn)
    .await
}

/// One row of the task list.
#[derive(sqlx::FromRow)]
pub struct TaskLine {
    pub id: String,
    pub name: String,
    pub state: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub source_id: Option<String>,
    pub source_name: Option<String>,
    pub create_date: i64,
    pub migrate_speed: Option<f64>,
    pub remain_seconds: Option<i64>,
}

/// The task list's filters; empty strings mean "any".
pub struct TaskFilter<'a> {
    pub project: &'a str,
    pub state: &'a str,
    pub name: &'a str,
    /// The creation time and id of the last task of the previous page.
    pub after: Option<(i64, &'a str)>,
}

/// A page of a project's tasks, newest first, in the order of the project index.
pub async fn tasks(
    conn: &mut SqliteConnection,
    f: &TaskFilter<'_>,
    limit: i64,
) -> sqlx::Result<Vec<TaskLine>> {
    sqlx::query_as(
        "SELECT t.id, t.name, t.state, t.type, t.source_server_id AS source_id,
                s.name AS source_name, t.create_date, t.migrate_speed, t.remain_seconds
           FROM tasks t LEFT JOIN source_servers s ON s.id = t.source_server_id
          WHERE t.project_id = ?1
            AND (?2 = '' OR t.state = ?2)
            AND (?3 = '' OR instr(t.name, ?3) > 0)
            AND t.create_date <= ?4 AND (t.create_date < ?4 OR t.id > ?5)
          ORDER BY t.create_date DESC, t.id LIMIT ?6",
    )
    .bind(f.project)
    .bind(f.state)
    .bind(f.name)
    .bind(f.after.map_or(i64::MAX, |(date, _)| date))
    .bind(f.after.map_or("", |(_, id)| id))
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// The project's task count, kept by triggers (schema 15).
pub async fn task_count(conn: &mut SqliteConnection, project: &str) -> sqlx::Result<i64> {
    let n: Option<i64> = sqlx::query_scalar("SELECT tasks FROM task_counts WHERE project_id = ?")
        .bind(project)
        .fetch_optional(conn)
        .await?;
    Ok(n.unwrap_or(0))
}

/// A task as its detail page shows it.
#[derive(sqlx::FromRow)]
pub struct TaskDetail {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub state: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub os_type: String,
    pub source_id: Option<String>,
    pub source_name: Option<String>,
    pub target_server: Option<String>,
    pub vm_template_id: Option<String>,
    pub template_name: Option<String>,
    pub region_name: Option<String>,
    pub create_date: i64,
    pub start_date: Option<i64>,
    pub finish_date: Option<i64>,
    pub migrate_speed: Option<f64>,
    pub remain_seconds: Option<i64>,
    pub error_json: Option<String>,
}

pub async fn task(conn: &mut SqliteConnection, id: &str) -> sqlx::Result<Option<TaskDetail>> {
    sqlx::query_as(
        "SELECT t.id, t.project_id, t.name, t.state, t.type, t.os_type,
                t.source_server_id AS source_id, s.name AS source_name, t.target_server,
                t.vm_template_id, v.name AS template_name, t.region_name, t.create_date,
                t.start_date, t.finish_date, t.migrate_speed, t.remain_seconds, t.error_json
           FROM tasks t LEFT JOIN source_servers s ON s.id = t.source_server_id
           LEFT JOIN vm_templates v ON v.id = t.vm_template_id
          WHERE t.id = ?",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A subtask on the task's timeline.
#[derive(sqlx::FromRow)]
pub struct SubtaskLine {
    pub name: String,
    pub progress: i64,
    pub start_date: Option<i64>,
    pub end_date: Option<i64>,
}

pub async fn subtasks(conn: &mut SqliteConnection, task: &str) -> sqlx::Result<Vec<SubtaskLine>> {
    sqlx::query_as(
        "SELECT name, progress, start_date, end_date FROM task_subtasks
          WHERE task_id = ? ORDER BY id",
    )
    .bind(task)
    .fetch_all(conn)
    .await
}

/// One row of the source-server list.
#[derive(sqlx::FromRow)]
pub struct SourceLine {
    pub id: String,
    pub name: String,
    pub ip: String,
    pub os_type: Option<String>,
    pub state: String,
    pub connected: bool,
    pub last_visit_time: Option<i64>,
    pub current_task_id: Option<String>,
    pub agent_version: String,
}

/// The source list's filters; empty strings mean "any".
pub struct SourceFilter<'a> {
    pub project: &'a str,
    pub state: &'a str,
    /// Only this server (the link from a task).
    pub id: &'a str,
    /// The id of the last server of the previous page.
    pub after: &'a str,
}

/// A page of a project's source servers in id order.
pub async fn sources(
    conn: &mut SqliteConnection,
    f: &SourceFilter<'_>,
    limit: i64,
) -> sqlx::Result<Vec<SourceLine>> {
    sqlx::query_as(
        "SELECT id, name, ip, os_type, state, connected, last_visit_time, current_task_id,
                agent_version
           FROM source_servers
          WHERE project_id = ?1 AND (?2 = '' OR state = ?2) AND (?3 = '' OR id = ?3)
            AND id > ?4
          ORDER BY id LIMIT ?5",
    )
    .bind(f.project)
    .bind(f.state)
    .bind(f.id)
    .bind(f.after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// A server template, as its list shows it.
#[derive(sqlx::FromRow)]
pub struct TemplateLine {
    pub id: String,
    pub name: String,
    pub region: String,
    pub availability_zone: String,
    pub flavor: String,
    pub volumetype: String,
    pub tasks: i64,
}

pub async fn templates(
    conn: &mut SqliteConnection,
    project: &str,
    after: &str,
    limit: i64,
) -> sqlx::Result<Vec<TemplateLine>> {
    sqlx::query_as(
        "SELECT v.id, v.name, v.region, v.availability_zone, v.flavor, v.volumetype,
                (SELECT COUNT(*) FROM tasks t WHERE t.vm_template_id = v.id) AS tasks
           FROM vm_templates v WHERE v.project_id = ?1 AND v.id > ?2 ORDER BY v.id LIMIT ?3",
    )
    .bind(project)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// A migration project, as its list shows it.
#[derive(sqlx::FromRow)]
pub struct MigprojectLine {
    pub id: String,
    pub name: String,
    pub description: String,
    pub isdefault: bool,
    pub region: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub sources: i64,
}

pub async fn migprojects(
    conn: &mut SqliteConnection,
    project: &str,
    after: &str,
    limit: i64,
) -> sqlx::Result<Vec<MigprojectLine>> {
    sqlx::query_as(
        "SELECT m.id, m.name, m.description, m.isdefault, m.region, m.type,
                (SELECT COUNT(*) FROM source_servers s
                  WHERE s.project_id = m.project_id AND s.migproject = m.id) AS sources
           FROM migprojects m WHERE m.project_id = ?1 AND m.id > ?2 ORDER BY m.id LIMIT ?3",
    )
    .bind(project)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}
