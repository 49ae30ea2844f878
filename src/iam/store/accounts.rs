//! Domains, projects, users and their grants.

use sqlx::sqlite::SqliteConnection;

use super::super::domain::new_id;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Principal {
    pub user_id: String,
    pub user_name: String,
    pub domain_id: String,
    pub domain_name: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserWithPassword {
    pub user_id: String,
    pub user_name: String,
    pub domain_id: String,
    pub domain_name: String,
    pub password_hash: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub domain_id: String,
}

/// Who a credential's user is, in which project, and what they may do.
pub struct Identity {
    pub principal: Principal,
    /// `None` when the user's domain has no such project.
    pub project: Option<Project>,
    pub actions: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct IdentityRow {
    #[sqlx(flatten)]
    principal: Principal,
    project_id: Option<String>,
    project_name: Option<String>,
    /// A JSON array.
    actions: String,
}

/// The [`Identity`] of a user, in the project `project_id` of its domain or else the
/// domain's first: `None` when the user is gone. One statement, so one snapshot and one
/// round trip to the connection's thread; as a read transaction of three statements it
/// was five, on every authenticated request.
pub async fn identity(
    conn: &mut SqliteConnection,
    user_id: &str,
    project_id: Option<&str>,
) -> sqlx::Result<Option<Identity>> {
    let row: Option<IdentityRow> = sqlx::query_as(
        "SELECT u.id AS user_id, u.name AS user_name, d.id AS domain_id, d.name AS domain_name,
                p.id AS project_id, p.name AS project_name,
                (SELECT json_group_array(a.action ORDER BY a.action) FROM user_actions a
                  WHERE a.user_id = u.id) AS actions
           FROM users u JOIN domains d ON d.id = u.domain_id
           LEFT JOIN projects p ON p.rowid = (
                SELECT rowid FROM projects WHERE domain_id = d.id AND (?2 IS NULL OR id = ?2)
                 ORDER BY created_at, rowid LIMIT 1)
          WHERE u.id = ?1",
    )
    .bind(user_id)
    .bind(project_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        let actions =
            serde_json::from_str(&r.actions).map_err(|e| sqlx::Error::Decode(e.into()))?;
        let project = match (r.project_id, r.project_name) {
            (Some(id), Some(name)) => Some(Project {
                id,
                name,
                domain_id: r.principal.domain_id.clone(),
            }),
            _ => None,
        };
        Ok(Identity {
            principal: r.principal,
            project,
            actions,
        })
    })
    .transpose()
}

pub async fn user_by_name(
    conn: &mut SqliteConnection,
    domain_name: &str,
    user_name: &str,
) -> sqlx::Result<Option<UserWithPassword>> {
    sqlx::query_as(
        "SELECT u.id AS user_id, u.name AS user_name, d.id AS domain_id, d.name AS domain_name,
                u.password_hash
           FROM users u JOIN domains d ON d.id = u.domain_id
          WHERE d.name = ? AND u.name = ?",
    )
    .bind(domain_name)
    .bind(user_name)
    .fetch_optional(&mut *conn)
    .await
}

pub async fn actions(conn: &mut SqliteConnection, user_id: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT action FROM user_actions WHERE user_id = ? ORDER BY action")
        .bind(user_id)
        .fetch_all(&mut *conn)
        .await
}

/// A project of `domain_id`, by id or by name.
pub async fn project(
    conn: &mut SqliteConnection,
    domain_id: &str,
    id: Option<&str>,
    name: Option<&str>,
) -> sqlx::Result<Option<Project>> {
    sqlx::query_as(
        "SELECT id, name, domain_id FROM projects
          WHERE domain_id = ?1 AND (?2 IS NULL OR id = ?2) AND (?3 IS NULL OR name = ?3)
          ORDER BY created_at, rowid LIMIT 1",
    )
    .bind(domain_id)
    .bind(id)
    .bind(name)
    .fetch_optional(&mut *conn)
    .await
}

pub async fn projects(
    conn: &mut SqliteConnection,
    domain_id: &str,
    name: Option<&str>,
) -> sqlx::Result<Vec<Project>> {
    sqlx::query_as(
        "SELECT id, name, domain_id FROM projects
          WHERE domain_id = ?1 AND (?2 IS NULL OR name = ?2)
          ORDER BY created_at, rowid",
    )
    .bind(domain_id)
    .bind(name)
    .fetch_all(&mut *conn)
    .await
}

pub async fn domain_id(conn: &mut SqliteConnection, name: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT id FROM domains WHERE name = ?")
        .bind(name)
        .fetch_optional(conn)
        .await
}

/// The id of the domain called `name`, created if missing.
pub async fn ensure_domain(
    conn: &mut SqliteConnection,
    name: &str,
    now: i64,
) -> sqlx::Result<String> {
    if let Some(id) = domain_id(&mut *conn, name).await? {
        return Ok(id);
    }
    let id = new_id();
    sqlx::query("INSERT INTO domains (id, name, created_at) VALUES (?, ?, ?)")
        .bind(&id)
        .bind(name)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(id)
}

/// The id of project `name` in the domain, created if missing.
pub async fn ensure_project(
    conn: &mut SqliteConnection,
    domain_id: &str,
    name: &str,
    now: i64,
) -> sqlx::Result<String> {
    let existing: Option<String> =
        sqlx::query_scalar("SELECT id FROM projects WHERE domain_id = ? AND name = ?")
            .bind(domain_id)
            .bind(name)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let id = new_id();
    sqlx::query("INSERT INTO projects (id, domain_id, name, created_at) VALUES (?, ?, ?, ?)")
        .bind(&id)
        .bind(domain_id)
        .bind(name)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(id)
}

pub async fn user_id(
    conn: &mut SqliteConnection,
    domain_id: &str,
    name: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT id FROM users WHERE domain_id = ? AND name = ?")
        .bind(domain_id)
        .bind(name)
        .fetch_optional(conn)
        .await
}

pub async fn insert_user(
    conn: &mut SqliteConnection,
    domain_id: &str,
    name: &str,
    password_hash: &str,
    now: i64,
) -> sqlx::Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO users (id, domain_id, name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(domain_id)
    .bind(name)
    .bind(password_hash)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(id)
}

pub async fn set_password(
    conn: &mut SqliteConnection,
    user_id: &str,
    password_hash: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
        .bind(password_hash)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    // A changed password ends the sessions the old one opened.
    sqlx::query("DELETE FROM tokens WHERE user_id = ?")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a user with its keys, tokens and grants (the foreign keys cascade).
pub async fn delete_user(conn: &mut SqliteConnection, user_id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM users WHERE id = ?")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn grant(conn: &mut SqliteConnection, user_id: &str, action: &str) -> sqlx::Result<()> {
    sqlx::query("INSERT OR IGNORE INTO user_actions (user_id, action) VALUES (?, ?)")
        .bind(user_id)
        .bind(action)
        .execute(conn)
        .await?;
    Ok(())
}

/// Returns whether the user held the action.
pub async fn revoke(
    conn: &mut SqliteConnection,
    user_id: &str,
    action: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM user_actions WHERE user_id = ? AND action = ?")
        .bind(user_id)
        .bind(action)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn first_project(
    conn: &mut SqliteConnection,
    domain_id: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT id FROM projects WHERE domain_id = ? ORDER BY created_at, rowid LIMIT 1",
    )
    .bind(domain_id)
    .fetch_optional(conn)
    .await
}

pub async fn user_exists(
    conn: &mut SqliteConnection,
    domain_name: &str,
    user_name: &str,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM users u JOIN domains d ON d.id = u.domain_id
                         WHERE d.name = ? AND u.name = ?)",
    )
    .bind(domain_name)
    .bind(user_name)
    .fetch_one(&mut *conn)
    .await
}
