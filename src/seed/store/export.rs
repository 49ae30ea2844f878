//! Reading the whole state back as a fixture.

use std::collections::HashMap;

use sqlx::SqliteConnection;

use super::super::*;
use super::*;

/// Reads everything a fixture can declare, ordered by names then ids.
pub async fn export(conn: &mut SqliteConnection) -> Result<Fixture, FixtureError> {
    let domains: Vec<(String, String)> =
        sqlx::query_as("SELECT id, name FROM domains ORDER BY name, id")
            .fetch_all(&mut *conn)
            .await?;
    let projects: Vec<(String, String, String)> =
        sqlx::query_as("SELECT id, domain_id, name FROM projects ORDER BY name, id")
            .fetch_all(&mut *conn)
            .await?;
    let users: Vec<(String, String, String, String)> =
        sqlx::query_as("SELECT id, domain_id, name, password_hash FROM users ORDER BY name, id")
            .fetch_all(&mut *conn)
            .await?;
    let actions: Vec<(String, String)> =
        sqlx::query_as("SELECT user_id, action FROM user_actions ORDER BY action")
            .fetch_all(&mut *conn)
            .await?;
    let keys: Vec<(String, String, String)> =
        sqlx::query_as("SELECT user_id, access, secret FROM access_keys ORDER BY access")
            .fetch_all(&mut *conn)
            .await?;
    let sources: Vec<SourceRow> = sqlx::query_as(
        "SELECT id, project_id, name, ip, ipv6, hostname, os_type, os_version, state, connected,
                migration_cycle, cpu_quantity, memory, agent_version, migproject,
                enterprise_project_id, details
           FROM source_servers ORDER BY name, ip, ipv6, id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let tasks: Vec<TaskRow> = sqlx::query_as(
        "SELECT id, project_id, name, source_server_id, type, os_type, state, priority,
                migration_ip, region_id, region_name, target_project_id, target_project_name,
                enterprise_project_id, start_target_server, syncing, speed_limit, target_server,
                vm_template_id
           FROM tasks ORDER BY name, id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let migprojects: Vec<MigProjectRow> = sqlx::query_as(
        "SELECT id, project_id, name, description, isdefault, region, type, speed_limit,
                start_target_server, use_public_ip, exist_server, enterprise_project, syncing,
                start_network_check
           FROM migprojects ORDER BY name, id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let templates: Vec<TemplateRow> = sqlx::query_as(
        "SELECT id, project_id, name, is_template, region, projectid, target_server_name,
                availability_zone, volumetype, flavor, vpc, nics, security_groups, publicip,
                disk, data_volume_type, target_password, image_id
           FROM vm_templates ORDER BY name, id",
    )
    .fetch_all(&mut *conn)
    .await?;

    let mut fixture = Fixture::default();
    for (domain_id, name) in &domains {
        let mut domain = DomainFx {
            name: name.clone(),
            projects: Vec::new(),
            users: Vec::new(),
        };
        for (project_id, _, project_name) in projects.iter().filter(|p| &p.1 == domain_id) {
            let mine: Vec<&SourceRow> = sources
                .iter()
                .filter(|s| &s.project_id == project_id)
                .collect();
            let mut name_count: HashMap<&str, usize> = HashMap::new();
            for s in &mine {
                *name_count.entry(s.name.as_str()).or_default() += 1;
            }
            let mut project = ProjectFx {
                name: project_name.clone(),
                migprojects: migprojects
                    .iter()
                    .filter(|m| &m.project_id == project_id)
                    .map(MigProjectRow::fixture)
                    .collect(),
                templates: templates
                    .iter()
                    .filter(|t| &t.project_id == project_id)
                    .map(TemplateRow::fixture)
                    .collect::<Result<_, _>>()?,
                source_servers: Vec::with_capacity(mine.len()),
                tasks: Vec::new(),
            };
            for s in &mine {
                project.source_servers.push(SourceFx {
                    id: Some(s.id.clone()),
                    name: s.name.clone(),
                    ip: s.ip.clone(),
                    ipv6: s.ipv6.clone(),
                    hostname: s.hostname.clone(),
                    os_type: s.os_type.clone(),
                    os_version: s.os_version.clone(),
                    state: s.state.clone(),
                    connected: s.connected,
                    migration_cycle: s.migration_cycle.clone(),
                    cpu_quantity: s.cpu_quantity,
                    memory: s.memory,
                    agent_version: s.agent_version.clone(),
                    migproject: s.migproject.clone(),
                    enterprise_project_id: s.enterprise_project_id.clone(),
                    details: column(&s.details, "source server details")?,
                });
            }
            for t in tasks.iter().filter(|t| &t.project_id == project_id) {
                // By name where the name is unambiguous, which is what a person writes.
                let source_server = mine
                    .iter()
                    .find(|s| s.id == t.source_server_id)
                    .filter(|s| name_count.get(s.name.as_str()) == Some(&1))
                    .map_or_else(|| t.source_server_id.clone(), |s| s.name.clone());
                project.tasks.push(TaskFx {
                    id: Some(t.id.clone()),
                    name: t.name.clone(),
                    source_server,
                    kind: t.kind.clone(),
                    os_type: t.os_type.clone(),
                    state: t.state.clone(),
                    priority: t.priority,
                    migration_ip: t.migration_ip.clone(),
                    region_id: t.region_id.clone(),
                    region_name: t.region_name.clone(),
                    target_project_id: t.target_project_id.clone(),
                    target_project_name: t.target_project_name.clone(),
                    enterprise_project_id: t.enterprise_project_id.clone(),
                    start_target_server: t.start_target_server,
                    syncing: t.syncing,
                    speed_limit: t.speed_limit,
                    target_server: column(&t.target_server, "task target_server")?,
                    vm_template_id: t.vm_template_id.clone(),
                });
            }
            domain.projects.push(project);
        }
        for (user_id, _, user_name, hash) in users.iter().filter(|u| &u.1 == domain_id) {
            domain.users.push(UserFx {
                name: user_name.clone(),
                password: None,
                password_hash: Some(hash.clone()),
                actions: actions
                    .iter()
                    .filter(|a| &a.0 == user_id)
                    .map(|a| a.1.clone())
                    .collect(),
                access_keys: keys
                    .iter()
                    .filter(|k| &k.0 == user_id)
                    .map(|k| KeyFx {
                        access: k.1.clone(),
                        secret: k.2.clone(),
                    })
                    .collect(),
            });
        }
        fixture.domains.push(domain);
    }
    fixture.registry = export_registry(conn).await?;
    for row in crate::http_faults::store::rules(&mut *conn).await? {
        let body = serde_json::from_str(&row.spec).map_err(|e| {
            FixtureError::Invalid(format!("fault rule {} cannot be exported: {e}", row.id))
        })?;
        fixture.faults.push(body);
    }
    Ok(fixture)
}

#[derive(sqlx::FromRow)]
struct SourceRow {
    id: String,
    project_id: String,
    name: String,
    ip: String,
    ipv6: String,
    hostname: String,
    os_type: Option<String>,
    os_version: String,
    state: String,
    connected: bool,
    migration_cycle: String,
    cpu_quantity: Option<i64>,
    memory: Option<i64>,
    agent_version: String,
    migproject: String,
    enterprise_project_id: String,
    details: String,
}

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: String,
    project_id: String,
    name: String,
    source_server_id: String,
    #[sqlx(rename = "type")]
    kind: String,
    os_type: String,
    state: String,
    priority: i64,
    migration_ip: String,
    region_id: String,
    region_name: String,
    target_project_id: String,
    target_project_name: String,
    enterprise_project_id: String,
    start_target_server: bool,
    syncing: bool,
    speed_limit: i64,
    target_server: String,
    vm_template_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct MigProjectRow {
    id: String,
    project_id: String,
    name: String,
    description: String,
    isdefault: bool,
    region: String,
    #[sqlx(rename = "type")]
    kind: String,
    speed_limit: i64,
    start_target_server: bool,
    use_public_ip: bool,
    exist_server: bool,
    enterprise_project: String,
    syncing: bool,
    start_network_check: bool,
}

impl MigProjectRow {
    fn fixture(&self) -> MigProjectFx {
        MigProjectFx {
            id: Some(self.id.clone()),
            name: self.name.clone(),
            description: self.description.clone(),
            isdefault: self.isdefault,
            region: self.region.clone(),
            kind: self.kind.clone(),
            speed_limit: self.speed_limit,
            start_target_server: self.start_target_server,
            use_public_ip: self.use_public_ip,
            exist_server: self.exist_server,
            enterprise_project: self.enterprise_project.clone(),
            syncing: self.syncing,
            start_network_check: self.start_network_check,
        }
    }
}

#[derive(sqlx::FromRow)]
struct TemplateRow {
    id: String,
    project_id: String,
    name: String,
    is_template: bool,
    region: String,
    projectid: String,
    target_server_name: String,
    availability_zone: String,
    volumetype: String,
    flavor: String,
    vpc: String,
    nics: String,
    security_groups: String,
    publicip: String,
    disk: String,
    data_volume_type: String,
    target_password: String,
    image_id: String,
}

impl TemplateRow {
    fn fixture(&self) -> Result<TemplateFx, FixtureError> {
        Ok(TemplateFx {
            id: Some(self.id.clone()),
            name: self.name.clone(),
            is_template: self.is_template,
            region: self.region.clone(),
            projectid: self.projectid.clone(),
            target_server_name: self.target_server_name.clone(),
            availability_zone: self.availability_zone.clone(),
            volumetype: self.volumetype.clone(),
            flavor: self.flavor.clone(),
            vpc: column(&self.vpc, "template vpc")?,
            nics: column(&self.nics, "template nics")?,
            security_groups: column(&self.security_groups, "template security_groups")?,
            publicip: column(&self.publicip, "template publicip")?,
            disk: column(&self.disk, "template disk")?,
            data_volume_type: self.data_volume_type.clone(),
            target_password: self.target_password.clone(),
            image_id: self.image_id.clone(),
        })
    }
}
