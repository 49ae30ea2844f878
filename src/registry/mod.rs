//! The ServiceComb Service Center v4 registry: microservices, instances with heartbeat
//! leases, dependencies, schemas and tags, under `/v4/{project_id}/registry`.

pub mod domain;
pub mod error;
pub mod routes;
pub mod store;

use std::time::Duration;

pub use routes::{Watchers, admin_routes, govern_routes, public_routes, routes};

use crate::clock::Clock;
use crate::db::Db;

/// Removes expired instances every `period` until the database is closed, each round in its own short write
/// transaction. Reads already hide expired instances, so the reaper only keeps the
/// table small; a failed round is logged and retried at the next tick.
pub fn start_reaper(
    db: Db,
    clock: Clock,
    watchers: Watchers,
    period: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if db.is_closed() {
                return;
            }
            match reap(&db, clock.now_ms()).await {
                Ok(gone) if gone.is_empty() => {}
                Ok(gone) => {
                    tracing::debug!(removed = gone.len(), "reaped expired registry instances");
                    watchers.publish(&db, gone).await;
                }
                Err(e) => tracing::warn!(error = %e, detail = ?e, "registry reaper round failed"),
            }
        }
    })
}

/// One reaper round: a probe on a reader, then the delete in a write transaction only
/// when there is something to delete.
async fn reap(db: &Db, now: i64) -> Result<Vec<store::Change>, error::RegistryError> {
    if !store::any_expired(&mut *db.read().await?, now).await? {
        return Ok(Vec::new());
    }
    db.write(async |conn| store::reap_expired(conn, now).await)
        .await
}
