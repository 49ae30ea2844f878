//! Users and access keys of a fixture.

use sqlx::SqliteConnection;

use super::super::*;
use super::*;

/// Creates the user, or gives an existing one the fixture's password; returns its id.
pub async fn upsert_user(
    conn: &mut SqliteConnection,
    domain_id: &str,
    ctx: &str,
    name: &str,
    hash: &str,
    now: i64,
) -> Result<String, FixtureError> {
    use crate::iam::store;
    match store::user_id(&mut *conn, domain_id, name)
        .await
        .map_err(at(ctx))?
    {
        Some(id) => {
            store::set_password(&mut *conn, &id, hash)
                .await
                .map_err(at(ctx))?;
            Ok(id)
        }
        None => store::insert_user(&mut *conn, domain_id, name, hash, now)
            .await
            .map_err(at(ctx)),
    }
}

/// Adds the key; a key that already exists must be this user's with this secret.
pub async fn ensure_key(
    conn: &mut SqliteConnection,
    ctx: &str,
    user_id: &str,
    key: &KeyFx,
    now: i64,
) -> Result<(), FixtureError> {
    let existing: Option<(String, String)> =
        sqlx::query_as("SELECT user_id, secret FROM access_keys WHERE access = ?")
            .bind(&key.access)
            .fetch_optional(&mut *conn)
            .await
            .map_err(at(ctx))?;
    match existing {
        Some((owner, secret)) if owner == user_id && secret == key.secret => Ok(()),
        Some(_) => Err(FixtureError::Invalid(format!(
            "{ctx}: access key {:?} already exists with another owner or secret",
            key.access
        ))),
        None => crate::iam::store::insert_key(&mut *conn, &key.access, &key.secret, user_id, now)
            .await
            .map_err(at(ctx)),
    }
}
