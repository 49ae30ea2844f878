//! The background side of simulated migrations: commits each transition when it falls
//! due on the clock. Progress between transitions is computed at read time, so this
//! only wakes to probe an index and works in proportion to transitions, not to running
//! tasks.

use std::time::Duration;

use super::error::SmsError;
use super::store::due as store;
use crate::clock::Clock;
use crate::db::Db;

/// How often the engine looks for due transitions: the most a real-time transition lags.
const POLL: Duration = Duration::from_millis(100);
/// Transitions committed per write transaction, so that one busy instant never holds
/// the writer for long.
const BATCH: i64 = 256;

/// Runs [`catch_up`] every [`POLL`] until the database is closed; a failed round is
/// logged and retried at the next one.
pub fn start(db: Db, clock: Clock) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(POLL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if db.is_closed() {
                return;
            }
            if let Err(e) = catch_up(&db, &clock).await {
                tracing::warn!(error = %e, detail = ?e, "migration simulation round failed");
            }
        }
    })
}

/// Commits every transition due by now. The clock's controls call it before they answer,
/// so that a test which advanced the clock reads the migrations where they now stand.
pub async fn catch_up(db: &Db, clock: &Clock) -> Result<usize, SmsError> {
    let mut moved = 0;
    loop {
        let now = clock.now_ms();
        if !store::anything_due(&mut *db.read().await?, now).await? {
            return Ok(moved);
        }
        let done = db
            .write(async |conn| store::process_due(conn, now, BATCH).await)
            .await?;
        moved += done;
        if done == 0 {
            return Ok(moved);
        }
    }
}
