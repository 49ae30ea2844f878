//! The one clock of everything the twin simulates: migration progress, agent timeouts,
//! token expiry, registry leases and every stored date. In `real` mode it runs with the
//! wall clock plus an offset (moved forward by `advance`); in `manual` mode it stands
//! still until advanced. Its row in the database is the truth; the copy here is a cache
//! changed only after the row is committed. Request signature dates and the login
//! lockout window stay on the wall clock: SDKs sign with real time, and a lockout is
//! about real attackers.

pub mod store;

use std::sync::{Arc, Mutex, PoisonError};

use crate::db::Db;

pub use crate::config::ClockMode as Mode;

/// What the clock row holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub mode: Mode,
    pub offset_ms: i64,
    pub at_ms: i64,
}

impl Reading {
    /// Simulated time at wall time `wall`; never below the recorded floor `at_ms`.
    pub fn now(&self, wall: i64) -> i64 {
        match self.mode {
            Mode::Real => wall.saturating_add(self.offset_ms).max(self.at_ms),
            Mode::Manual => self.at_ms,
        }
    }

    /// The same instant, told in `mode`: switching never moves time.
    fn switched(&self, mode: Mode, wall: i64) -> Reading {
        let now = self.now(wall);
        Reading {
            mode,
            offset_ms: now - wall,
            at_ms: now,
        }
    }

    /// `ms` later, in the same mode.
    fn advanced(&self, ms: i64, wall: i64) -> Reading {
        let now = self.now(wall).saturating_add(ms);
        Reading {
            mode: self.mode,
            offset_ms: now - wall,
            at_ms: now,
        }
    }
}

/// Milliseconds since the Unix epoch on the machine's clock.
pub fn wall_ms() -> i64 {
    let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX)
}

#[derive(Debug, thiserror::Error)]
pub enum ClockError {
    #[error(
        "advance_secs must be a whole number of seconds from 0 to {max}; time never goes backwards"
    )]
    BadAdvance { max: i64 },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A year: the longest single step, so that dates stay in range however often it is taken.
pub const MAX_ADVANCE_SECS: i64 = 366 * 24 * 3600;

#[derive(Clone)]
pub struct Clock(Arc<Inner>);

struct Inner {
    reading: Mutex<Reading>,
    /// Changes of the row one at a time, so that the cached copy is the last committed one.
    changing: tokio::sync::Mutex<()>,
}

impl Clock {
    /// Reads the row and puts the clock in `mode` (the setting), continuing from where it
    /// stood: a restart, or a wall clock set back, never moves simulated time backwards.
    pub async fn open(db: &Db, mode: Mode) -> Result<Self, sqlx::Error> {
        let reading = db
            .write(async |conn| {
                let row = store::load(&mut *conn).await?;
                let next = row.switched(mode, wall_ms());
                store::save(conn, &next).await?;
                Ok::<_, sqlx::Error>(next)
            })
            .await?;
        Ok(Clock(Arc::new(Inner {
            reading: Mutex::new(reading),
            changing: tokio::sync::Mutex::new(()),
        })))
    }

    fn reading(&self) -> Reading {
        *self
            .0
            .reading
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Simulated milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        self.reading().now(wall_ms())
    }

    /// Simulated seconds since the Unix epoch.
    pub fn now_secs(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    pub fn now(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.now_ms()) * 1_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    }

    pub fn mode(&self) -> Mode {
        self.reading().mode
    }

    pub async fn advance(&self, db: &Db, secs: i64) -> Result<i64, ClockError> {
        if !(0..=MAX_ADVANCE_SECS).contains(&secs) {
            return Err(ClockError::BadAdvance {
                max: MAX_ADVANCE_SECS,
            });
        }
        self.change(db, |r, wall| r.advanced(secs * 1000, wall))
            .await
    }

    pub async fn set_mode(&self, db: &Db, mode: Mode) -> Result<i64, ClockError> {
        self.change(db, |r, wall| r.switched(mode, wall)).await
    }

    /// Commits the changed row, then the cached copy: a failed write changes nothing.
    async fn change(
        &self,
        db: &Db,
        step: impl Fn(&Reading, i64) -> Reading,
    ) -> Result<i64, ClockError> {
        let _one_at_a_time = self.0.changing.lock().await;
        let next = step(&self.reading(), wall_ms());
        db.write(async |conn| store::save(conn, &next).await)
            .await?;
        *self
            .0
            .reading
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = next;
        Ok(self.now_ms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switching_and_advancing_never_move_time_backwards() {
        let real = Reading {
            mode: Mode::Real,
            offset_ms: 0,
            at_ms: 0,
        };
        let manual = real.switched(Mode::Manual, 1_000);
        assert_eq!(manual.now(5_000), 1_000, "manual time stands still");
        let later = manual.advanced(60_000, 5_000);
        assert_eq!(later.now(9_000), 61_000);
        let back = later.switched(Mode::Real, 10_000);
        assert_eq!(
            back.now(10_000),
            61_000,
            "real mode continues where manual stood"
        );
        assert_eq!(back.now(10_500), 61_500);
        // A wall clock set back (or a restart on another machine) stays above the floor.
        assert_eq!(back.now(0), 61_000);
    }
}
