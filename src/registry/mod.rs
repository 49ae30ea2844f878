//! The ServiceComb Service Center v4 registry: microservices, instances with heartbeat
//! leases, dependencies, schemas and tags, under `/v4/{project_id}/registry`.

pub mod domain;
pub mod error;
pub mod model;
pub mod routes;
pub mod store;

use std::time::Duration;

pub use model::Model;
pub use routes::{
    Watchers, admin_routes, govern_routes, instance_json, probe_routes, public_routes, routes,
};

use crate::clock::Clock;
use crate::db::Db;

/// Removes expired instances every `period` until the database is closed, each round in
/// its own short write transaction. Reads already hide expired instances, so the reaper
/// only keeps the table small (and tells the watchers); a failed round is logged and
/// retried at the next tick.
pub fn start_reaper(
    db: Db,
    clock: Clock,
    model: Model,
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
            match reap(&db, &model, clock.now_ms()).await {
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

/// One reaper round: a probe of the in-memory leases, then the delete in a write
/// transaction (after the renewals held in memory) only when there is something to delete.
async fn reap(
    db: &Db,
    model: &Model,
    now: i64,
) -> Result<Vec<store::Change>, error::RegistryError> {
    if !model.any_expired(now) {
        return Ok(Vec::new());
    }
    model
        .write(db, async |conn, touched| {
            let gone = store::reap_expired(conn, now).await?;
            touched.changes(&gone);
            Ok::<_, error::RegistryError>(gone)
        })
        .await
}

/// Writes the lease renewals held in memory back to the file every `period` (the
/// bound on what a crash can lose of them) until the database is closed.
pub fn start_lease_writer(db: Db, model: Model, period: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if db.is_closed() {
                return;
            }
            if let Err(e) = model.flush(&db).await {
                tracing::warn!(error = %e, detail = ?e, "lease renewals not written back yet");
            }
        }
    })
}
