//! The faults tests arm on simulated migrations (one per task, listed and removed by
//! task id), and what an agent that went silent does once its timeout passes.

use sqlx::sqlite::SqliteConnection;

use super::super::domain::Fault;
use super::super::domain::simulation::Phase;
use super::super::error::SmsError;
use super::simulation::{context, fail, record, run_of};

/// The fault columns with the task's name.
macro_rules! fault_select {
    () => {
        "SELECT f.task_id, t.name AS task_name, f.subtask, f.error_code, f.error_param,
                f.disconnect, f.disconnect_due_ms, f.armed_ms, f.fired_ms
           FROM task_faults f JOIN tasks t ON t.id = f.task_id"
    };
}

/// An armed fault as the admin routes and the console show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FaultRow {
    pub task_id: String,
    pub task_name: String,
    pub subtask: Option<String>,
    pub error_code: String,
    /// A JSON array of strings.
    pub error_param: String,
    pub disconnect: bool,
    /// When a silent agent counts as disconnected (simulated ms).
    pub disconnect_due_ms: Option<i64>,
    pub armed_ms: i64,
    /// When it took effect; a fault fires once.
    pub fired_ms: Option<i64>,
}

/// Arms (or re-arms, replacing the last one) a fault on a task; false when there is no
/// such task.
pub async fn arm(
    conn: &mut SqliteConnection,
    task_id: &str,
    fault: &Fault,
    now: i64,
    agent_timeout_ms: i64,
) -> sqlx::Result<bool> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM tasks WHERE id = ?)")
        .bind(task_id)
        .fetch_one(&mut *conn)
        .await?;
    if !exists {
        return Ok(false);
    }
    sqlx::query(
        "INSERT OR REPLACE INTO task_faults (task_id, subtask, error_code, error_param,
                                             disconnect, disconnect_due_ms, armed_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(task_id)
    .bind(fault.subtask.map(|s| s.as_str()))
    .bind(&fault.error_code)
    .bind(serde_json::to_string(&fault.error_param).unwrap_or_else(|_| "[]".into()))
    .bind(fault.disconnect)
    .bind(fault.disconnect.then_some(now + agent_timeout_ms))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(true)
}

/// Removes a task's fault; false when none was armed.
pub async fn disarm(conn: &mut SqliteConnection, task_id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM task_faults WHERE task_id = ?")
        .bind(task_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn fault(conn: &mut SqliteConnection, task_id: &str) -> sqlx::Result<Option<FaultRow>> {
    sqlx::query_as(concat!(fault_select!(), " WHERE f.task_id = ?"))
        .bind(task_id)
        .fetch_optional(conn)
        .await
}

/// Every armed fault, newest first (the console shows them).
pub async fn faults(conn: &mut SqliteConnection, limit: i64) -> sqlx::Result<Vec<FaultRow>> {
    sqlx::query_as(concat!(
        fault_select!(),
        " ORDER BY f.armed_ms DESC, f.task_id LIMIT ?"
    ))
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Makes the agents whose silence is due by `now` disconnected (at most `limit`); how
/// many.
pub(super) async fn disconnect_due(
    conn: &mut SqliteConnection,
    now: i64,
    limit: i64,
) -> Result<usize, SmsError> {
    let silent: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT task_id, armed_ms, disconnect_due_ms FROM task_faults
          WHERE fired_ms IS NULL AND disconnect_due_ms <= ? ORDER BY disconnect_due_ms LIMIT ?",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    for (task_id, armed_ms, due) in &silent {
        disconnect(conn, task_id, *armed_ms, *due).await?;
    }
    Ok(silent.len())
}

/// The agent of the task's source went silent at `armed_ms` and counts as disconnected
/// from `due`: `connected` false, and a migration that was running fails with SMS.0203
/// (the agent's connection timed out).
async fn disconnect(
    conn: &mut SqliteConnection,
    task_id: &str,
    armed_ms: i64,
    due: i64,
) -> Result<(), SmsError> {
    let ctx = context(conn, task_id).await?;
    sqlx::query("UPDATE source_servers SET connected = 0, last_visit_time = ? WHERE id = ?")
        .bind(armed_ms)
        .bind(&ctx.source_server_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE task_faults SET fired_ms = ? WHERE task_id = ?")
        .bind(due)
        .bind(task_id)
        .execute(&mut *conn)
        .await?;
    if let Some(mut run) = run_of(conn, task_id).await?
        && matches!(run.phase, Phase::Running | Phase::Stopping)
    {
        // Whatever was due before the agent went quiet happened first.
        let events = run.advance(due, None);
        record(conn, task_id, &ctx, &mut run, &events, None, due).await?;
        if let Some(name) = run.current().filter(|_| run.phase == Phase::Running) {
            run.stop(due);
            run.phase = Phase::Failed;
            run.next_due_ms = None;
            fail(conn, task_id, name, due, "SMS.0203", &[]).await?;
            record(conn, task_id, &ctx, &mut run, &[], None, due).await?;
        }
    }
    Ok(())
}
