//! What the migration agent reports about its source server and task.

use sqlx::sqlite::SqliteConnection;

use super::super::domain::{CommandResult, CopyState, Progress, SourceState, ignores_copy_state};
use super::super::error::SmsError;

pub fn task_missing(id: &str) -> SmsError {
    SmsError::missing("SMS.7703", "migration task", id)
}

/// The source's state, when it exists in the project.
async fn source_state(
    conn: &mut SqliteConnection,
    project: &str,
    id: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT state FROM source_servers WHERE project_id = ? AND id = ?")
        .bind(project)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
}

/// Applies a copy state, unless the source sits in a state that ignores it (then nothing
/// changes). The action times move only when the value does.
pub async fn set_copy_state(
    conn: &mut SqliteConnection,
    project: &str,
    id: &str,
    copy: CopyState,
    now: i64,
) -> Result<(), SmsError> {
    let current = source_state(conn, project, id)
        .await?
        .ok_or_else(|| SmsError::missing("SMS.7703", "source server", id))?;
    if SourceState::parse(&current).is_some_and(ignores_copy_state) {
        return Ok(());
    }
    sqlx::query(
        "UPDATE source_servers
            SET state_action_time = CASE WHEN state <> ?1 THEN ?3 ELSE state_action_time END,
                stage_action_time = CASE WHEN migration_cycle <> ?2 THEN ?3 ELSE stage_action_time END,
                state = ?1, migration_cycle = ?2
          WHERE project_id = ?4 AND id = ?5",
    )
    .bind(copy.state.as_str())
    .bind(copy.cycle.as_str())
    .bind(now)
    .bind(project)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Replaces the disk layout the agent registered (the given lists only).
pub async fn replace_disk_info(
    conn: &mut SqliteConnection,
    project: &str,
    id: &str,
    lists: [(&str, Option<String>); 3],
) -> Result<(), SmsError> {
    source_state(conn, project, id)
        .await?
        .ok_or_else(|| SmsError::missing("SMS.7602", "source server", id))?;
    for (key, json) in lists {
        if let Some(json) = json {
            sqlx::query(
                "UPDATE source_servers SET details = json_set(details, ?, json(?))
                  WHERE project_id = ? AND id = ?",
            )
            .bind(format!("$.{key}"))
            .bind(json)
            .bind(project)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// What the agent is told to do next.
#[derive(Debug, serde::Serialize)]
pub struct Command {
    pub command_name: &'static str,
    pub command_param: CommandParam,
}

#[derive(Debug, serde::Serialize)]
pub struct CommandParam {
    pub task_id: String,
    pub bucket: String,
}

/// The next command for the source's agent, derived from its task: a log collection
/// waiting to be uploaded comes first, then what the task state asks for.
pub async fn next_command(
    conn: &mut SqliteConnection,
    project: &str,
    source_id: &str,
) -> Result<Command, SmsError> {
    // The current task's id, state, log collection status and bucket (NULL without one).
    type TaskBrief = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let row: Option<TaskBrief> = sqlx::query_as(
        "SELECT t.id, t.state, t.log_collect_status, t.log_bucket
               FROM source_servers s LEFT JOIN tasks t ON t.id = s.current_task_id
              WHERE s.project_id = ? AND s.id = ?",
    )
    .bind(project)
    .bind(source_id)
    .fetch_optional(&mut *conn)
    .await?;
    let (task_id, state, log_status, bucket) =
        row.ok_or_else(|| SmsError::missing("SMS.2323", "source server", source_id))?;
    let command_name = if log_status.as_deref() == Some("UPLOADING") {
        "UPLOAD_LOG"
    } else {
        match state.as_deref() {
            Some("RUNNING" | "SYNCING") => "START",
            Some("ABORTING") => "STOP",
            Some("ABORT") => "TASK_HAS_STOPPED",
            Some("MIGRATE_SUCCESS" | "SYNC_SUCCESS") => "TASK_HAS_FINISHED",
            _ => "TASK_NOT_STARTED",
        }
    };
    Ok(Command {
        command_name,
        command_param: CommandParam {
            task_id: task_id.unwrap_or_default(),
            bucket: bucket.unwrap_or_default(),
        },
    })
}

/// Keeps the agent's last command result on its source; an UPLOAD_LOG result settles
/// the task's log collection.
pub async fn record_command_result(
    conn: &mut SqliteConnection,
    project: &str,
    source_id: &str,
    result: &CommandResult,
    now: i64,
) -> Result<(), SmsError> {
    let detail = result.detail.to_string();
    let done = sqlx::query(
        "UPDATE source_servers SET last_command = ?, last_command_result = ?,
                last_command_detail = ?
          WHERE project_id = ? AND id = ?",
    )
    .bind(result.command.as_str())
    .bind(if result.success { "success" } else { "fail" })
    .bind(&detail)
    .bind(project)
    .bind(source_id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(SmsError::missing("SMS.2323", "source server", source_id));
    }
    if result.command == super::super::domain::CommandName::UploadLog {
        sqlx::query(
            "UPDATE tasks SET log_collect_status = ?, log_upload_time = ?
              WHERE id = (SELECT current_task_id FROM source_servers WHERE id = ?)
                AND log_collect_status = 'UPLOADING'",
        )
        .bind(if result.success {
            "UPLOADED"
        } else {
            "UPLOAD_FAIL"
        })
        .bind(now)
        .bind(source_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The task's source server, when the task exists in the project.
pub async fn task_source(
    conn: &mut SqliteConnection,
    project: &str,
    task_id: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT source_server_id FROM tasks WHERE project_id = ? AND id = ?")
        .bind(project)
        .bind(task_id)
        .fetch_optional(&mut *conn)
        .await
}

/// Applies a progress report: the named subtask (added at the end the first time it is
/// reported) gets its progress, dates and trace; the task its rates and host load; the
/// source the replicated and total sizes.
pub async fn report_progress(
    conn: &mut SqliteConnection,
    project: &str,
    task_id: &str,
    p: &Progress,
    now: i64,
) -> Result<(), SmsError> {
    let source = task_source(conn, project, task_id)
        .await?
        .ok_or_else(|| task_missing(task_id))?;
    let done = p.progress == 100;
    let updated = sqlx::query(
        "UPDATE task_subtasks
            SET progress = ?1, process_trace = ?2, migrate_speed = COALESCE(?3, migrate_speed),
                start_date = COALESCE(start_date, ?4),
                end_date = CASE WHEN ?5 THEN COALESCE(end_date, ?4) ELSE NULL END
          WHERE task_id = ?6 AND name = ?7",
    )
    .bind(p.progress)
    .bind(&p.process_trace)
    .bind(p.migrate_speed)
    .bind(now)
    .bind(done)
    .bind(task_id)
    .bind(p.subtask.as_str())
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO task_subtasks (task_id, id, name, progress, start_date, end_date,
                                        migrate_speed, process_trace)
             SELECT ?1, COALESCE(MAX(id), 0) + 1, ?2, ?3, ?4, CASE WHEN ?5 THEN ?4 END,
                    COALESCE(?6, 0), ?7
               FROM task_subtasks WHERE task_id = ?1",
        )
        .bind(task_id)
        .bind(p.subtask.as_str())
        .bind(p.progress)
        .bind(now)
        .bind(done)
        .bind(p.migrate_speed)
        .bind(&p.process_trace)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "UPDATE tasks
            SET migrate_speed = COALESCE(?1, migrate_speed),
                compress_rate = COALESCE(?2, compress_rate),
                remain_seconds = COALESCE(?3, remain_seconds),
                estimate_complete_time = COALESCE(?4 + ?3 * 1000, estimate_complete_time),
                total_cpu_usage = COALESCE(?5, total_cpu_usage),
                agent_cpu_usage = COALESCE(?6, agent_cpu_usage),
                total_mem_usage = COALESCE(?7, total_mem_usage),
                agent_mem_usage = COALESCE(?8, agent_mem_usage),
                total_disk_io = COALESCE(?9, total_disk_io),
                agent_disk_io = COALESCE(?10, agent_disk_io),
                need_migration_test = COALESCE(?11, need_migration_test),
                subtask_info = ?12,
                total_time = CASE WHEN start_date IS NULL THEN total_time ELSE ?4 - start_date END
          WHERE id = ?13",
    )
    .bind(p.migrate_speed)
    .bind(p.compress_rate)
    .bind(p.remain_time)
    .bind(now)
    .bind(p.total_cpu_usage)
    .bind(p.agent_cpu_usage)
    .bind(p.total_mem_usage)
    .bind(p.agent_mem_usage)
    .bind(p.total_disk_io)
    .bind(p.agent_disk_io)
    .bind(p.need_migration_test)
    .bind(format!("{}:{}%", p.subtask.as_str(), p.progress))
    .bind(task_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE source_servers SET replicatesize = ?, totalsize = ? WHERE id = ?")
        .bind(p.replicatesize)
        .bind(p.totalsize)
        .bind(&source)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Keeps the last network check of a task.
pub async fn record_network_check(
    conn: &mut SqliteConnection,
    project: &str,
    task_id: &str,
    json: &str,
) -> Result<(), SmsError> {
    let done = sqlx::query(
        "UPDATE tasks SET network_check_info = json(?) WHERE project_id = ? AND id = ?",
    )
    .bind(json)
    .bind(project)
    .bind(task_id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(task_missing(task_id));
    }
    Ok(())
}

/// A real agent reporting on a task takes it over from the simulation: the simulated
/// run ends and the subtasks it made go, so that the agent's reports are the whole story.
pub async fn hand_over(conn: &mut SqliteConnection, task_id: &str) -> sqlx::Result<()> {
    let ended = sqlx::query("DELETE FROM task_runs WHERE task_id = ?")
        .bind(task_id)
        .execute(&mut *conn)
        .await?;
    if ended.rows_affected() > 0 {
        sqlx::query("DELETE FROM task_subtasks WHERE task_id = ?")
            .bind(task_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// [`hand_over`] for the current task of a source server of the project.
pub async fn hand_over_source(
    conn: &mut SqliteConnection,
    project: &str,
    source_id: &str,
) -> sqlx::Result<()> {
    let task: Option<Option<String>> = sqlx::query_scalar(
        "SELECT current_task_id FROM source_servers WHERE project_id = ? AND id = ?",
    )
    .bind(project)
    .bind(source_id)
    .fetch_optional(&mut *conn)
    .await?;
    match task.flatten() {
        Some(task) => hand_over(conn, &task).await,
        None => Ok(()),
    }
}
