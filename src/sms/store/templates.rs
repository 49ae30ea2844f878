//! Target-server templates.

use sqlx::QueryBuilder;
use sqlx::sqlite::{Sqlite, SqliteConnection};

use super::super::domain::{BatchIds, Page, TemplateFields};
use super::super::error::SmsError;
use super::*;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TemplateRow {
    pub id: String,
    pub name: String,
    pub is_template: bool,
    pub region: String,
    pub projectid: String,
    pub target_server_name: String,
    pub availability_zone: String,
    pub volumetype: String,
    pub flavor: String,
    /// JSON object
    pub vpc: String,
    /// JSON array
    pub nics: String,
    /// JSON array
    pub security_groups: String,
    /// JSON object
    pub publicip: String,
    /// JSON array
    pub disk: String,
    pub data_volume_type: String,
    pub target_password: String,
    pub image_id: String,
}

const SELECT: &str = "SELECT v.id, v.name, v.is_template, v.region, v.projectid, \
     v.target_server_name, v.availability_zone, v.volumetype, v.flavor, v.vpc, v.nics, \
     v.security_groups, v.publicip, v.disk, v.data_volume_type, v.target_password, v.image_id \
     FROM vm_templates v";

/// The list and the single-row reads of this resource.
const TEMPLATES: Listing = Listing {
    select: SELECT,
    count_from: "vm_templates v",
    kept_count: None,
    project_column: "v.project_id",
    id_column: "v.id",
    order: "v.created_at DESC, v.id",
};

/// Filters of `GET /v3/vm/templates`; `None` means "any".
#[derive(Debug, Default, Clone)]
pub struct TemplateFilter {
    pub id: Option<String>,
    pub name: Option<String>,
    pub availability_zone: Option<String>,
    pub region: Option<String>,
}

impl TemplateFilter {
    fn conditions(&self) -> Vec<Condition> {
        [
            Condition::equals("v.id", &self.id),
            Condition::contains("v.name", &self.name),
            Condition::equals("v.availability_zone", &self.availability_zone),
            Condition::equals("v.region", &self.region),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

pub fn template_missing(id: &str) -> SmsError {
    SmsError::missing("SMS.7101", "template", id)
}

fn json(value: &impl serde::Serialize) -> sqlx::Result<String> {
    serde_json::to_string(value).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

pub async fn list_templates(
    conn: &mut SqliteConnection,
    project: &str,
    f: &TemplateFilter,
    page: Page,
) -> sqlx::Result<(i64, Vec<TemplateRow>)> {
    TEMPLATES.page(conn, project, &f.conditions(), page).await
}

pub async fn template(
    conn: &mut SqliteConnection,
    project: &str,
    id: &str,
) -> sqlx::Result<Option<TemplateRow>> {
    TEMPLATES.one(conn, project, id).await
}

async fn name_taken(
    conn: &mut SqliteConnection,
    project: &str,
    name: &str,
    other_than: &str,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM vm_templates WHERE project_id = ? AND name = ? AND id <> ?)",
    )
    .bind(project)
    .bind(name)
    .bind(other_than)
    .fetch_one(&mut *conn)
    .await
}

fn duplicate(name: &str) -> SmsError {
    SmsError::bad(
        "SMS.7112",
        "template.name",
        format!("a template named {name} already exists"),
    )
}

/// Writes the given fields of a template; `id = id` keeps the statement valid when
/// none is given.
fn push_fields(q: &mut QueryBuilder<Sqlite>, f: &TemplateFields) -> sqlx::Result<()> {
    let mut set = |column: &str, value: Option<String>| {
        if let Some(v) = value {
            q.push(format!(", {column} = ")).push_bind(v);
        }
    };
    set("name", f.name.clone());
    set("region", f.region.clone());
    set("projectid", f.projectid.clone());
    set("target_server_name", f.target_server_name.clone());
    set("availability_zone", f.availability_zone.clone());
    set("volumetype", f.volumetype.clone());
    set("flavor", f.flavor.clone());
    set("vpc", f.vpc.as_ref().map(json).transpose()?);
    set("nics", f.nics.as_ref().map(json).transpose()?);
    set(
        "security_groups",
        f.security_groups.as_ref().map(json).transpose()?,
    );
    set("publicip", f.publicip.as_ref().map(json).transpose()?);
    set("disk", f.disk.as_ref().map(json).transpose()?);
    set("data_volume_type", f.data_volume_type.clone());
    set("target_password", f.target_password.clone());
    set("image_id", f.image_id.clone());
    if let Some(is_template) = f.is_template {
        q.push(", is_template = ").push_bind(is_template);
    }
    Ok(())
}

pub async fn create_template(
    conn: &mut SqliteConnection,
    project: &str,
    f: &TemplateFields,
    now: i64,
) -> Result<String, SmsError> {
    let name = f.name.as_deref().unwrap_or_default();
    if name_taken(conn, project, name, "").await? {
        return Err(duplicate(name));
    }
    let id = new_id();
    insert_template(conn, project, &id, f, now).await?;
    Ok(id)
}

/// The one INSERT of a template, then its fields: used by creation and by seeding, which
/// pins the id.
pub async fn insert_template(
    conn: &mut SqliteConnection,
    project: &str,
    id: &str,
    f: &TemplateFields,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO vm_templates (id, project_id, name, created_at) VALUES (?, ?, ?, ?)")
        .bind(id)
        .bind(project)
        .bind(f.name.as_deref().unwrap_or_default())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    write_fields(conn, project, id, f).await
}

async fn write_fields(
    conn: &mut SqliteConnection,
    project: &str,
    id: &str,
    f: &TemplateFields,
) -> sqlx::Result<()> {
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new("UPDATE vm_templates SET id = id");
    push_fields(&mut q, f)?;
    q.push(" WHERE project_id = ")
        .push_bind(project.to_owned())
        .push(" AND id = ")
        .push_bind(id.to_owned());
    q.build().execute(&mut *conn).await?;
    Ok(())
}

pub async fn update_template(
    conn: &mut SqliteConnection,
    project: &str,
    id: &str,
    f: &TemplateFields,
) -> Result<(), SmsError> {
    template(conn, project, id)
        .await?
        .ok_or_else(|| template_missing(id))?;
    if let Some(name) = &f.name
        && name_taken(conn, project, name, id).await?
    {
        return Err(duplicate(name));
    }
    write_fields(conn, project, id, f).await?;
    Ok(())
}

/// Deletes every template or, when one is unknown, none (404 naming the unknown ones).
/// Tasks that named a deleted template keep running without one.
pub async fn delete_templates(
    conn: &mut SqliteConnection,
    project: &str,
    ids: &BatchIds,
) -> Result<(), SmsError> {
    let mut unknown = Vec::new();
    for id in ids.as_slice() {
        if template(conn, project, id).await?.is_none() {
            unknown.push(id.clone());
        }
    }
    if !unknown.is_empty() {
        return Err(SmsError::Documented {
            status: actix_web::http::StatusCode::NOT_FOUND,
            code: "SMS.7101",
            msg: format!("templates {} do not exist", unknown.join(", ")),
            params: unknown,
        });
    }
    for id in ids.as_slice() {
        sqlx::query("DELETE FROM vm_templates WHERE project_id = ? AND id = ?")
            .bind(project)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
