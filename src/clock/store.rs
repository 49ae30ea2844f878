//! The clock's one row.

use sqlx::SqliteConnection;

use super::{Mode, Reading};

pub async fn load(conn: &mut SqliteConnection) -> sqlx::Result<Reading> {
    let (mode, offset_ms, at_ms): (String, i64, i64) =
        sqlx::query_as("SELECT mode, offset_ms, at_ms FROM clock WHERE id = 1")
            .fetch_one(conn)
            .await?;
    let mode = if mode == "manual" {
        Mode::Manual
    } else {
        Mode::Real
    };
    Ok(Reading {
        mode,
        offset_ms,
        at_ms,
    })
}

pub async fn save(conn: &mut SqliteConnection, r: &Reading) -> sqlx::Result<()> {
    sqlx::query("UPDATE clock SET mode = ?, offset_ms = ?, at_ms = ? WHERE id = 1")
        .bind(r.mode.as_str())
        .bind(r.offset_ms)
        .bind(r.at_ms)
        .execute(conn)
        .await?;
    Ok(())
}

/// The simulated time as the row says, for writers that hold a connection but no
/// [`super::Clock`] (fixtures loaded from the command line).
pub async fn now(conn: &mut SqliteConnection) -> sqlx::Result<i64> {
    Ok(load(conn).await?.now(super::wall_ms()))
}
