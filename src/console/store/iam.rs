//! The console's identity reads. Secrets are never selected: the page cannot show what
//! it never read.

use sqlx::SqliteConnection;

/// A project with its domain.
#[derive(sqlx::FromRow)]
pub struct ProjectLine {
    pub domain: String,
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

pub async fn projects(conn: &mut SqliteConnection) -> sqlx::Result<Vec<ProjectLine>> {
    sqlx::query_as(
        "SELECT d.name AS domain, p.id, p.name, p.created_at
           FROM projects p JOIN domains d ON d.id = p.domain_id ORDER BY d.name, p.name",
    )
    .fetch_all(conn)
    .await
}

/// A user with the actions granted and the access keys held (ids only).
#[derive(sqlx::FromRow)]
pub struct UserLine {
    pub id: String,
    pub domain: String,
    pub name: String,
    pub created_at: i64,
    /// Granted actions, comma-separated.
    pub actions: String,
    /// Access key ids, comma-separated.
    pub keys: String,
}

/// A page of users in (domain, name) order after the given pair.
pub async fn users(
    conn: &mut SqliteConnection,
    after: (&str, &str),
    limit: i64,
) -> sqlx::Result<Vec<UserLine>> {
    sqlx::query_as(
        "SELECT u.id, d.name AS domain, u.name, u.created_at,
                COALESCE((SELECT group_concat(action, ', ') FROM
                    (SELECT action FROM user_actions a WHERE a.user_id = u.id ORDER BY action)), '')
                    AS actions,
                COALESCE((SELECT group_concat(access, ', ') FROM
                    (SELECT access FROM access_keys k WHERE k.user_id = u.id ORDER BY access)), '')
                    AS keys
           FROM users u JOIN domains d ON d.id = u.domain_id
          WHERE (d.name, u.name) > (?, ?)
          ORDER BY d.name, u.name LIMIT ?",
    )
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(conn)
    .await
}
