//! The in-between states actions pass through on a simulated task's source server
//! (clearing, premiging, cloning) and their landing when due.

use sqlx::sqlite::SqliteConnection;

use super::super::domain::SourceState;
use super::super::domain::simulation;
use super::super::error::SmsError;

/// Puts the task's source on its way through `between` to `lands` (the caller sets
/// `between`); a clone test also runs its CLONE_VM subtask.
pub async fn pass(
    conn: &mut SqliteConnection,
    task_id: &str,
    between: SourceState,
    lands: SourceState,
    now: i64,
) -> Result<(), SmsError> {
    sqlx::query(
        "INSERT OR REPLACE INTO task_passes (task_id, between_state, lands_state, lands_ms)
         VALUES (?, ?, ?, ?)",
    )
    .bind(task_id)
    .bind(between.as_str())
    .bind(lands.as_str())
    .bind(now + simulation::PASS_MS)
    .execute(&mut *conn)
    .await?;
    if between == SourceState::Cloning {
        sqlx::query(
            "INSERT INTO task_subtasks (task_id, id, name, progress, start_date, user_op)
             SELECT ?1, COALESCE(MAX(id), 0) + 1, 'CLONE_VM', 0, ?2, 'CLONE' FROM task_subtasks
              WHERE task_id = ?1
             ON CONFLICT (task_id, name) DO UPDATE
                SET progress = 0, start_date = ?2, end_date = NULL",
        )
        .bind(task_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Lands the passes due by `now`: a source still in its in-between state takes the
/// landing state (one an action moved elsewhere meanwhile stays there); how many.
pub(super) async fn land_passes(
    conn: &mut SqliteConnection,
    now: i64,
    limit: i64,
) -> sqlx::Result<usize> {
    let due: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT task_id, between_state, lands_state, lands_ms FROM task_passes
          WHERE lands_ms <= ? ORDER BY lands_ms LIMIT ?",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    for (task_id, between, lands, at) in &due {
        sqlx::query(
            "UPDATE source_servers SET state = ?3, state_action_time = ?4
              WHERE id = (SELECT source_server_id FROM tasks WHERE id = ?1) AND state = ?2",
        )
        .bind(task_id)
        .bind(between)
        .bind(lands)
        .bind(at)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "UPDATE task_subtasks SET progress = 100, end_date = ?2
              WHERE task_id = ?1 AND name = 'CLONE_VM' AND end_date IS NULL",
        )
        .bind(task_id)
        .bind(at)
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM task_passes WHERE task_id = ?")
            .bind(task_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(due.len())
}
