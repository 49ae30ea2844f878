//! The console's own SQL: what its pages read beyond what the API routes read. Every
//! function takes the connection of the read transaction its page opened.

pub mod iam;
pub mod overview;
pub mod registry;
pub mod sms;

use sqlx::SqliteConnection;

/// Where an id leads, for the header's find box.
pub enum Found {
    Task,
    Source(String),
    Template(String),
    Service(String, String),
    Instance(String, String, String),
}

/// Looks an id up among tasks, source servers, templates, services and instances.
pub async fn find(conn: &mut SqliteConnection, id: &str) -> sqlx::Result<Option<Found>> {
    let one = |sql| sqlx::query_scalar::<_, String>(sql).bind(id);
    if one("SELECT id FROM tasks WHERE id = ?")
        .fetch_optional(&mut *conn)
        .await?
        .is_some()
    {
        return Ok(Some(Found::Task));
    }
    if let Some(project) = one("SELECT project_id FROM source_servers WHERE id = ?")
        .fetch_optional(&mut *conn)
        .await?
    {
        return Ok(Some(Found::Source(project)));
    }
    if let Some(project) = one("SELECT project_id FROM vm_templates WHERE id = ?")
        .fetch_optional(&mut *conn)
        .await?
    {
        return Ok(Some(Found::Template(project)));
    }
    let service: Option<(String, String)> =
        sqlx::query_as("SELECT domain, project FROM microservices WHERE service_id = ? LIMIT 1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some((domain, project)) = service {
        return Ok(Some(Found::Service(domain, project)));
    }
    let instance: Option<(String, String, String)> = sqlx::query_as(
        "SELECT domain, project, service_id FROM instances WHERE instance_id = ? LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(instance.map(|(d, p, s)| Found::Instance(d, p, s)))
}
