//! Accounts as the `cloudtwin iam` commands and the demo bootstrap manage them; each
//! command is one write transaction.

use serde::Serialize;

use super::domain::{self, Name};
use super::store;
use crate::config::DemoSettings;
use crate::db::Db;

/// Failures of the `cloudtwin iam` commands and of the demo bootstrap.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Missing(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// The demo account as printed at start.
#[derive(Debug, Clone, Serialize)]
pub struct KeyPair {
    pub access: String,
    pub secret: String,
    pub project_id: String,
    pub domain_id: String,
}

/// Creation dates are simulated seconds, read from the clock row: these commands also run
/// from the command line, with no server and its clock around.
async fn now(conn: &mut sqlx::SqliteConnection) -> sqlx::Result<i64> {
    Ok(crate::clock::store::now(conn).await?.div_euclid(1000))
}

/// Creates the demo domain, project, user (holding every action) and key on first start.
/// Returns the demo key pair either way.
pub async fn ensure_demo(db: &Db, demo: &DemoSettings) -> Result<KeyPair, AccountError> {
    // Argon2 dominates start-up; hash only when the demo user has to be created. (Should
    // it vanish in between, the empty hash fails the users table's CHECK, loudly.)
    let hash = if store::user_exists(&mut *db.read().await?, &demo.domain, &demo.user).await? {
        String::new()
    } else {
        domain::hash_password(&demo.password).map_err(AccountError::Invalid)?
    };
    db.write(async |conn| ensure_demo_in(conn, demo, &hash).await)
        .await
}

/// [`ensure_demo`] inside the caller's write transaction (the admin reset empties the
/// database and re-creates the demo account in one transaction); `hash` is the demo
/// password's hash, computed before the transaction because Argon2 is slow.
pub async fn ensure_demo_in(
    conn: &mut sqlx::SqliteConnection,
    demo: &DemoSettings,
    hash: &str,
) -> Result<KeyPair, AccountError> {
    let now = now(&mut *conn).await?;
    let domain_id = store::ensure_domain(&mut *conn, &demo.domain, now).await?;
    let project_id = store::ensure_project(&mut *conn, &domain_id, &demo.project, now).await?;
    // Decided by the user, not the domain: `iam create-user --domain demo` before the
    // first start must not leave the printed demo credentials unusable. An existing demo
    // user is left as it is (its password or grants may have been changed on purpose).
    if store::user_id(&mut *conn, &domain_id, &demo.user)
        .await?
        .is_none()
    {
        let user_id = store::insert_user(&mut *conn, &domain_id, &demo.user, hash, now).await?;
        store::grant(&mut *conn, &user_id, "*").await?;
        if store::key_user(&mut *conn, &demo.access_key)
            .await?
            .is_none()
        {
            store::insert_key(
                &mut *conn,
                &demo.access_key,
                &demo.secret_key,
                &user_id,
                now,
            )
            .await?;
        }
    }
    Ok(KeyPair {
        access: demo.access_key.clone(),
        secret: demo.secret_key.clone(),
        project_id,
        domain_id,
    })
}

/// A token of the demo user scoped to the demo project, as `POST /v3/auth/tokens` with
/// the demo password would issue it (without the password check: the caller already
/// passed the admin guard). Issued at `issued` (simulated seconds), valid `ttl_secs`.
pub struct DemoToken {
    pub token: String,
    pub project_id: String,
    pub expires_at: i64,
}

pub async fn demo_token(
    db: &Db,
    demo: &DemoSettings,
    issued: i64,
    ttl_secs: i64,
) -> Result<DemoToken, AccountError> {
    let missing = || AccountError::Missing(format!("no demo user {}/{}", demo.domain, demo.user));
    let mut tx = db.read().await?;
    let user = store::user_by_name(&mut tx, &demo.domain, &demo.user)
        .await?
        .ok_or_else(missing)?;
    let project = store::project(&mut tx, &user.domain_id, None, Some(&demo.project))
        .await?
        .ok_or_else(missing)?;
    drop(tx);
    let (token, digest) = domain::new_token();
    let expires_at = issued + ttl_secs;
    db.write(async |conn| {
        store::insert_token(
            conn,
            &digest,
            &user.user_id,
            Some(&project.id),
            issued,
            expires_at,
        )
        .await
    })
    .await?;
    Ok(DemoToken {
        token,
        project_id: project.id,
        expires_at,
    })
}

/// Creates a user (and its domain and project if missing) holding no actions; an
/// existing user gets the new password.
pub async fn create_user(
    db: &Db,
    domain: &str,
    name: &str,
    password: &str,
    project: &str,
) -> Result<(), AccountError> {
    let domain = Name::parse("domain", domain).map_err(AccountError::Invalid)?;
    let name = Name::parse("user name", name).map_err(AccountError::Invalid)?;
    let project = Name::parse("project", project).map_err(AccountError::Invalid)?;
    if password.is_empty() {
        return Err(AccountError::Invalid("password must not be empty".into()));
    }
    let hash = domain::hash_password(password).map_err(AccountError::Invalid)?;
    db.write(async |conn| {
        let now = now(&mut *conn).await?;
        let domain_id = store::ensure_domain(&mut *conn, domain.as_str(), now).await?;
        store::ensure_project(&mut *conn, &domain_id, project.as_str(), now).await?;
        match store::user_id(&mut *conn, &domain_id, name.as_str()).await? {
            Some(user_id) => store::set_password(&mut *conn, &user_id, &hash).await?,
            None => {
                store::insert_user(&mut *conn, &domain_id, name.as_str(), &hash, now).await?;
            }
        }
        Ok(())
    })
    .await
}

async fn find_user(
    conn: &mut sqlx::SqliteConnection,
    domain: &str,
    user: &str,
) -> Result<(String, String), AccountError> {
    let domain_id = store::domain_id(&mut *conn, domain)
        .await?
        .ok_or_else(|| AccountError::Missing(format!("no domain named {domain:?}")))?;
    let user_id = store::user_id(&mut *conn, &domain_id, user)
        .await?
        .ok_or_else(|| AccountError::Missing(format!("no user {user:?} in domain {domain:?}")))?;
    Ok((domain_id, user_id))
}

/// Issues a new AK/SK pair for a user.
pub async fn create_key(db: &Db, domain: &str, user: &str) -> Result<KeyPair, AccountError> {
    db.write(async |conn| {
        let (domain_id, user_id) = find_user(&mut *conn, domain, user).await?;
        let project_id: String = store::first_project(&mut *conn, &domain_id)
            .await?
            .ok_or_else(|| AccountError::Missing(format!("domain {domain:?} has no project")))?;
        let (access, secret) = domain::new_access_key();
        let now = now(&mut *conn).await?;
        store::insert_key(&mut *conn, &access, &secret, &user_id, now).await?;
        Ok(KeyPair {
            access,
            secret,
            project_id,
            domain_id,
        })
    })
    .await
}

pub async fn grant(db: &Db, domain: &str, user: &str, action: &str) -> Result<(), AccountError> {
    let action = domain::parse_action(action).map_err(AccountError::Invalid)?;
    db.write(async |conn| {
        let (_, user_id) = find_user(&mut *conn, domain, user).await?;
        store::grant(&mut *conn, &user_id, &action).await?;
        Ok(())
    })
    .await
}

/// Returns whether the user held the action.
pub async fn revoke(db: &Db, domain: &str, user: &str, action: &str) -> Result<bool, AccountError> {
    db.write(async |conn| {
        let (_, user_id) = find_user(&mut *conn, domain, user).await?;
        Ok(store::revoke(&mut *conn, &user_id, action).await?)
    })
    .await
}

/// Deletes a user, its keys, tokens and grants.
pub async fn delete_user(db: &Db, domain: &str, user: &str) -> Result<(), AccountError> {
    db.write(async |conn| {
        let (_, user_id) = find_user(&mut *conn, domain, user).await?;
        store::delete_user(&mut *conn, &user_id).await?;
        Ok(())
    })
    .await
}

/// Deletes an access key: signatures made with it fail from then on.
pub async fn delete_key(db: &Db, access: &str) -> Result<(), AccountError> {
    db.write(async |conn| {
        if store::delete_key(&mut *conn, access).await? {
            Ok(())
        } else {
            Err(AccountError::Missing(format!("no access key {access:?}")))
        }
    })
    .await
}

/// Deletes the demo user (its keys and tokens go with it) and the demo access key, for a
/// twin started with `demo.enabled = false`.
pub async fn remove_demo(db: &Db, demo: &DemoSettings) -> Result<(), AccountError> {
    db.write(async |conn| {
        if let Some(domain_id) = store::domain_id(&mut *conn, &demo.domain).await?
            && let Some(user_id) = store::user_id(&mut *conn, &domain_id, &demo.user).await?
        {
            store::delete_user(&mut *conn, &user_id).await?;
        }
        store::delete_key(&mut *conn, &demo.access_key).await?;
        Ok(())
    })
    .await
}
