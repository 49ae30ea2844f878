//! Migration projects, and which one is an IAM project's default.

use sqlx::QueryBuilder;
use sqlx::sqlite::{Sqlite, SqliteConnection};

use super::super::domain::{DEFAULT_MIGPROJECT_NAME, MigProjectFields, Page};
use super::super::error::SmsError;
use super::*;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MigProjectRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub isdefault: bool,
    pub region: String,
    pub start_target_server: bool,
    pub speed_limit: i64,
    pub use_public_ip: bool,
    pub exist_server: bool,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub enterprise_project: String,
    pub syncing: bool,
    pub start_network_check: bool,
}

const SELECT: &str = "SELECT m.id, m.name, m.description, m.isdefault, m.region, \
     m.start_target_server, m.speed_limit, m.use_public_ip, m.exist_server, m.type, \
     m.enterprise_project, m.syncing, m.start_network_check FROM migprojects m";

/// The list and the single-row reads of this resource.
const MIGPROJECTS: Listing = Listing {
    select: SELECT,
    count_from: "migprojects m",
    kept_count: None,
    project_column: "m.project_id",
    id_column: "m.id",
    order: "m.created_at, m.id",
};

fn not_found(code: &'static str, id: &str) -> SmsError {
    SmsError::missing(code, "migration project", id)
}

fn duplicate(name: &str) -> SmsError {
    SmsError::bad(
        "SMS.7312",
        "name",
        format!("a migration project named {name} already exists"),
    )
}

pub async fn list_migprojects(
    conn: &mut SqliteConnection,
    project: &str,
    page: Page,
) -> sqlx::Result<(i64, Vec<MigProjectRow>)> {
    MIGPROJECTS.page(conn, project, &[], page).await
}

pub async fn migproject(
    conn: &mut SqliteConnection,
    project: &str,
    id: &str,
) -> sqlx::Result<Option<MigProjectRow>> {
    MIGPROJECTS.one(conn, project, id).await
}

/// The id of the project's default migration project, if it has one yet.
pub async fn default_migproject(
    conn: &mut SqliteConnection,
    project: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT id FROM migprojects WHERE project_id = ? AND isdefault = 1")
        .bind(project)
        .fetch_optional(&mut *conn)
        .await
}

/// The default migration project, created on first need (region: the IAM project's
/// name, which is its region); a user project already named like it becomes it.
pub async fn ensure_default_migproject(
    conn: &mut SqliteConnection,
    project: &str,
    now: i64,
) -> sqlx::Result<String> {
    if let Some(id) = default_migproject(conn, project).await? {
        return Ok(id);
    }
    let named: Option<String> =
        sqlx::query_scalar("SELECT id FROM migprojects WHERE project_id = ? AND name = ?")
            .bind(project)
            .bind(DEFAULT_MIGPROJECT_NAME)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some(id) = named {
        sqlx::query("UPDATE migprojects SET isdefault = 1 WHERE id = ?")
            .bind(&id)
            .execute(&mut *conn)
            .await?;
        return Ok(id);
    }
    let region = sqlx::query_scalar::<_, String>("SELECT name FROM projects WHERE id = ?")
        .bind(project)
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or_default();
    let fields = MigProjectFields {
        name: Some(DEFAULT_MIGPROJECT_NAME.into()),
        description: Some("the default migration project".into()),
        region: Some(region),
        ..MigProjectFields::default()
    };
    let id = new_id();
    insert_migproject(conn, project, &id, &fields, true, now).await?;
    Ok(id)
}

/// The one INSERT of a migration project, with the API's defaults for what `f` leaves
/// out: used by creation, the default project and seeding (which pins the id).
pub async fn insert_migproject(
    conn: &mut SqliteConnection,
    project: &str,
    id: &str,
    f: &MigProjectFields,
    isdefault: bool,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO migprojects (id, project_id, name, description, isdefault, region,
                                  start_target_server, speed_limit, use_public_ip, exist_server,
                                  type, enterprise_project, syncing, start_network_check,
                                  created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(project)
    .bind(f.name.as_deref().unwrap_or_default())
    .bind(f.description.as_deref().unwrap_or(""))
    .bind(isdefault)
    .bind(f.region.as_deref().unwrap_or(""))
    .bind(f.start_target_server.unwrap_or(true))
    .bind(f.speed_limit.unwrap_or(0))
    .bind(f.use_public_ip.unwrap_or(true))
    .bind(f.exist_server.unwrap_or(true))
    .bind(f.kind.map_or("MIGRATE_BLOCK", |k| k.as_str()))
    .bind(f.enterprise_project.as_deref().unwrap_or("default"))
    .bind(f.syncing.unwrap_or(false))
    .bind(f.start_network_check.unwrap_or(false))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn name_taken(
    conn: &mut SqliteConnection,
    project: &str,
    name: &str,
    other_than: &str,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM migprojects WHERE project_id = ? AND name = ? AND id <> ?)",
    )
    .bind(project)
    .bind(name)
    .bind(other_than)
    .fetch_one(&mut *conn)
    .await
}

async fn make_default(conn: &mut SqliteConnection, project: &str, id: &str) -> sqlx::Result<()> {
    // Two statements, one transaction: the partial unique index allows one default.
    sqlx::query("UPDATE migprojects SET isdefault = 0 WHERE project_id = ? AND isdefault = 1")
        .bind(project)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE migprojects SET isdefault = 1 WHERE project_id = ? AND id = ?")
        .bind(project)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Creates a migration project (after making sure the default one exists, so that the
/// first project a user creates does not silently become the default).
pub async fn create_migproject(
    conn: &mut SqliteConnection,
    project: &str,
    f: &MigProjectFields,
    now: i64,
) -> Result<String, SmsError> {
    ensure_default_migproject(conn, project, now).await?;
    let name = f.name.as_deref().unwrap_or_default();
    if name_taken(conn, project, name, "").await? {
        return Err(duplicate(name));
    }
    let id = new_id();
    insert_migproject(conn, project, &id, f, false, now).await?;
    if f.isdefault == Some(true) {
        make_default(conn, project, &id).await?;
    }
    Ok(id)
}

/// Changes the given fields. A project stops being the default only by another one
/// becoming it: `isdefault: false` on the default is refused.
pub async fn update_migproject(
    conn: &mut SqliteConnection,
    project: &str,
    id: &str,
    f: &MigProjectFields,
) -> Result<(), SmsError> {
    let current = migproject(conn, project, id)
        .await?
        .ok_or_else(|| not_found("SMS.7301", id))?;
    if let Some(name) = &f.name
        && name_taken(conn, project, name, id).await?
    {
        return Err(duplicate(name));
    }
    if f.isdefault == Some(false) && current.isdefault {
        return Err(SmsError::bad(
            "SMS.7303",
            "isdefault",
            "the default migration project stays the default until another one is made the default",
        ));
    }
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new("UPDATE migprojects SET id = id");
    let mut set_text = |column: &str, value: &Option<String>| {
        if let Some(v) = value {
            q.push(format!(", {column} = ")).push_bind(v.clone());
        }
    };
    set_text("name", &f.name);
    set_text("description", &f.description);
    set_text("region", &f.region);
    set_text("enterprise_project", &f.enterprise_project);
    set_text("type", &f.kind.map(|k| k.as_str().to_owned()));
    for (column, value) in [
        ("start_target_server", f.start_target_server),
        ("use_public_ip", f.use_public_ip),
        ("exist_server", f.exist_server),
        ("syncing", f.syncing),
        ("start_network_check", f.start_network_check),
    ] {
        if let Some(v) = value {
            q.push(format!(", {column} = ")).push_bind(v);
        }
    }
    if let Some(speed) = f.speed_limit {
        q.push(", speed_limit = ").push_bind(speed);
    }
    q.push(" WHERE project_id = ")
        .push_bind(project.to_owned())
        .push(" AND id = ")
        .push_bind(id.to_owned());
    q.build().execute(&mut *conn).await?;
    if f.isdefault == Some(true) {
        make_default(conn, project, id).await?;
    }
    Ok(())
}

pub async fn set_default_migproject(
    conn: &mut SqliteConnection,
    project: &str,
    id: &str,
) -> Result<(), SmsError> {
    migproject(conn, project, id)
        .await?
        .ok_or_else(|| not_found("SMS.7301", id))?;
    make_default(conn, project, id).await?;
    Ok(())
}

/// Deletes a migration project that is not the default and holds no source server.
pub async fn delete_migproject(
    conn: &mut SqliteConnection,
    project: &str,
    id: &str,
) -> Result<(), SmsError> {
    let current = migproject(conn, project, id)
        .await?
        .ok_or_else(|| not_found("SMS.7301", id))?;
    if current.isdefault {
        return Err(SmsError::bad(
            "SMS.7311",
            "mig_project_id",
            "the default migration project cannot be deleted; make another one the default first",
        ));
    }
    let servers: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM source_servers WHERE project_id = ? AND migproject = ?",
    )
    .bind(project)
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    if servers > 0 {
        return Err(SmsError::bad(
            "SMS.7311",
            "mig_project_id",
            format!(
                "the migration project still holds {servers} source servers; delete or move them first"
            ),
        ));
    }
    sqlx::query("DELETE FROM migprojects WHERE project_id = ? AND id = ?")
        .bind(project)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
