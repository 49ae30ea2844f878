//! Seed SQL: writing a prepared fixture with pinned ids and states (which the APIs'
//! own inserts cannot do), and reading the whole state back for `export`.
//!
//! Writers take the caller's `BEGIN IMMEDIATE` connection; `export` takes a read
//! transaction so that the file is one consistent moment.

mod export;
mod iam;
mod registry;
mod sms;

pub use export::*;
pub use iam::*;
pub use registry::*;
pub use sms::*;

use serde::de::DeserializeOwned;
use sqlx::SqliteConnection;
use sqlx::error::ErrorKind;

use super::FixtureError;

/// Maps a database error to one naming the fixture entity that caused it; constraint
/// failures (an id given twice, a second task for a source) are the fixture's fault.
pub fn at(ctx: &str) -> impl Fn(sqlx::Error) -> FixtureError + '_ {
    move |source| match &source {
        sqlx::Error::Database(d)
            if matches!(
                d.kind(),
                ErrorKind::UniqueViolation
                    | ErrorKind::CheckViolation
                    | ErrorKind::NotNullViolation
                    | ErrorKind::ForeignKeyViolation
            ) =>
        {
            let why = if d.kind() == ErrorKind::UniqueViolation {
                "already exists"
            } else {
                "is not valid"
            };
            FixtureError::Invalid(format!("{ctx}: {why} ({})", d.message()))
        }
        _ => FixtureError::Db {
            what: ctx.to_owned(),
            source,
        },
    }
}

/// True when nothing but (at most) the demo domain is in the database.
pub async fn holds_only_demo(conn: &mut SqliteConnection, demo_domain: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT NOT EXISTS (SELECT 1 FROM source_servers)
            AND NOT EXISTS (SELECT 1 FROM microservices)
            AND NOT EXISTS (SELECT 1 FROM domains WHERE name <> ?)",
    )
    .bind(demo_domain)
    .fetch_one(conn)
    .await
}

fn column<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, FixtureError> {
    serde_json::from_str(text)
        .map_err(|e| FixtureError::Invalid(format!("stored {what} is not the expected JSON: {e}")))
}
