//! Seeding: one YAML (or JSON, which is YAML) file that declares an estate (domains,
//! projects, users, SMS source servers and tasks, registry microservices), loaded in one
//! transaction by `cloudtwin seed` / `serve --fixture` / `POST /_cloudtwin/reset`, and
//! written back by `cloudtwin export` in the same format. The file format is in
//! `format.rs`, its validation in `plan.rs`, its SQL in `store/`.
//!
//! Loading is two steps: [`prepare`] validates everything with the same parsers the APIs
//! use and hashes passwords (slow, so outside any transaction), then [`apply`] writes the
//! plan inside the caller's `BEGIN IMMEDIATE` transaction. Every error names the entity.

mod format;
mod plan;
pub mod store;

pub use format::*;
pub use plan::*;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::db::Db;
use crate::registry::error::RegistryError;

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Not valid YAML, or a field of the wrong type or name; the message has the line.
    #[error("{0}")]
    Syntax(String),
    /// A declared entity breaks a rule; the message names it.
    #[error("{0}")]
    Invalid(String),
    #[error("{what}: {source}")]
    Db { what: String, source: sqlx::Error },
}

impl From<sqlx::Error> for FixtureError {
    fn from(source: sqlx::Error) -> Self {
        FixtureError::Db {
            what: "database".into(),
            source,
        }
    }
}

fn invalid(ctx: &str, why: impl fmt::Display) -> FixtureError {
    FixtureError::Invalid(format!("{ctx}: {why}"))
}

/// Registry errors carry their detail beside the fixed Service Center message.
fn registry_why(e: RegistryError) -> String {
    match e {
        RegistryError::InvalidParams(d)
        | RegistryError::ServiceNotExists(d)
        | RegistryError::ServiceAlreadyExists(d) => d,
        other => other.to_string(),
    }
}

/// What a load created, for the command line and the admin API.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub users: usize,
    pub source_servers: usize,
    pub tasks: usize,
    pub microservices: usize,
    pub instances: usize,
    pub migprojects: usize,
    pub templates: usize,
    pub fault_rules: usize,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} users, {} source servers, {} tasks, {} microservices, {} instances, \
             {} migration projects, {} templates",
            self.users,
            self.source_servers,
            self.tasks,
            self.microservices,
            self.instances,
            self.migprojects,
            self.templates
        )?;
        if self.fault_rules > 0 {
            write!(f, ", {} fault rules", self.fault_rules)?;
        }
        Ok(())
    }
}

/// Reads, validates and loads a fixture file in one transaction: all or nothing.
pub async fn load_file(db: &Db, path: &Path) -> Result<Summary, FixtureError> {
    let fixture = Fixture::read(path)?;
    load(db, fixture).await
}

/// Validates (hashing passwords on a blocking thread) and loads in one transaction.
pub async fn load(db: &Db, fixture: Fixture) -> Result<Summary, FixtureError> {
    let plan = prepare_blocking(fixture).await?;
    db.write(async |conn| apply(conn, &plan).await).await
}

/// [`prepare`] off the async workers: Argon2 hashing takes tens of milliseconds a user.
pub async fn prepare_blocking(fixture: Fixture) -> Result<Plan, FixtureError> {
    tokio::task::spawn_blocking(move || prepare(&fixture))
        .await
        .map_err(|e| FixtureError::Invalid(format!("validating the fixture failed: {e}")))?
}

/// `serve --fixture`: loads only into a database that holds no fixture data yet (no
/// source servers, no microservices, no domain but the demo one), so that a restart
/// never loads the same estate twice. Returns `None` when it skipped.
pub async fn load_at_start(
    db: &Db,
    path: &Path,
    demo_domain: &str,
) -> Result<Option<Summary>, FixtureError> {
    let fixture = Fixture::read(path)?;
    let plan = prepare_blocking(fixture).await?;
    db.write(async |conn| {
        if !store::holds_only_demo(&mut *conn, demo_domain).await? {
            return Ok(None);
        }
        apply(conn, &plan).await.map(Some)
    })
    .await
}

/// The database's current state as a fixture, in a deterministic order, ids included.
pub async fn export(db: &Db) -> Result<Fixture, FixtureError> {
    let mut tx = db.reader().begin().await?;
    store::export(&mut tx).await
}
