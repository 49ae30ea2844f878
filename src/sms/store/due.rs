//! What falls due on the clock: transitions of simulated runs, agents going silent,
//! in-between states landing. The engine asks and applies them here.

use sqlx::sqlite::SqliteConnection;

use super::super::error::SmsError;
use super::simulation::{armed, context, due_runs, record};
use super::{faults, passes};

/// Whether any transition or disconnect is due by `now`: an index probe the engine runs
/// on a reader before it takes the writer.
pub async fn anything_due(conn: &mut SqliteConnection, now: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM task_runs WHERE next_due_ms <= ?1)
             OR EXISTS (SELECT 1 FROM task_faults
                         WHERE fired_ms IS NULL AND disconnect_due_ms <= ?1)
             OR EXISTS (SELECT 1 FROM task_passes WHERE lands_ms <= ?1)",
    )
    .bind(now)
    .fetch_one(conn)
    .await
}

/// Applies up to `limit` due transitions, each at the instant it fell due; returns how
/// many tasks it moved.
pub async fn process_due(
    conn: &mut SqliteConnection,
    now: i64,
    limit: i64,
) -> Result<usize, SmsError> {
    let due = due_runs(conn, now, limit).await?;
    let mut moved = due.len();
    for (task_id, mut run) in due {
        let ctx = context(conn, &task_id).await?;
        let fault = armed(conn, &task_id).await?;
        let events = run.advance(now, fault.as_ref());
        record(conn, &task_id, &ctx, &mut run, &events, fault.as_ref(), now).await?;
    }
    moved += faults::disconnect_due(conn, now, limit).await?;
    moved += passes::land_passes(conn, now, limit).await?;
    Ok(moved)
}
