//! Validating a fixture into a plan with the same parsers the APIs use, before any
//! transaction opens.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use sqlx::SqliteConnection;

use super::*;
use crate::iam::domain::{Name, hash_password, parse_action};
use crate::registry::domain::{
    InstanceBody, InstanceId, NewInstance, NewService, Schema, SchemaBody, SchemaId, ServiceBody,
    ServiceId, Tenant, parse_tags,
};
use crate::sms::domain::{
    CreateTaskBody, IdRef, MigProjectBody, MigProjectFields, NewSource, NewTask,
    RegisterSourceBody, TEMPLATE_ID_MAX, TaskState, TemplateBody, TemplateFields,
};

/// A validated fixture, ready to be written.
#[derive(Debug)]
pub struct Plan {
    domains: Vec<PlanDomain>,
    tenants: Vec<PlanTenant>,
    /// Checked fault rules, as the rows keep them (text, `times`).
    faults: Vec<(String, Option<i64>)>,
}

#[derive(Debug)]
struct PlanDomain {
    ctx: String,
    name: String,
    projects: Vec<PlanProject>,
    users: Vec<PlanUser>,
}

#[derive(Debug)]
struct PlanProject {
    ctx: String,
    name: String,
    migprojects: Vec<PlanMigProject>,
    templates: Vec<PlanTemplate>,
    sources: Vec<PlanSource>,
    tasks: Vec<PlanTask>,
}

#[derive(Debug)]
pub struct PlanMigProject {
    pub ctx: String,
    pub id: String,
    pub fields: MigProjectFields,
    pub isdefault: bool,
}

#[derive(Debug)]
pub struct PlanTemplate {
    pub ctx: String,
    pub id: String,
    pub fields: TemplateFields,
}

fn pinned_id(ctx: &str, id: &Option<String>, max: usize) -> Result<String, FixtureError> {
    match id {
        Some(id) if id.is_empty() || id.chars().count() > max => {
            Err(invalid(ctx, format!("id must be 1 to {max} characters")))
        }
        Some(id) => Ok(id.clone()),
        None => Ok(new_uuid()),
    }
}

fn prepare_migproject(ctx: String, m: &MigProjectFx) -> Result<PlanMigProject, FixtureError> {
    let fields = MigProjectFields::parse_new(Some(MigProjectBody {
        name: Some(m.name.clone()),
        description: Some(m.description.clone()),
        isdefault: Some(m.isdefault),
        region: Some(m.region.clone()),
        start_target_server: Some(m.start_target_server),
        speed_limit: Some(m.speed_limit),
        use_public_ip: Some(m.use_public_ip),
        exist_server: Some(m.exist_server),
        kind: Some(m.kind.clone()),
        enterprise_project: Some(m.enterprise_project.clone()),
        syncing: Some(m.syncing),
        start_network_check: Some(m.start_network_check),
    }))
    .map_err(|e| invalid(&ctx, e))?;
    Ok(PlanMigProject {
        id: pinned_id(&ctx, &m.id, 255)?,
        fields,
        isdefault: m.isdefault,
        ctx,
    })
}

fn prepare_template(ctx: String, t: &TemplateFx) -> Result<PlanTemplate, FixtureError> {
    // The fixture names the fields as TemplateRequest does, so the API's parser checks it.
    let mut value = serde_json::to_value(t).map_err(|e| invalid(&ctx, e))?;
    if let Some(object) = value.as_object_mut() {
        object.remove("id");
    }
    let body: TemplateBody = serde_json::from_value(value).map_err(|e| invalid(&ctx, e))?;
    let fields = TemplateFields::parse_new(Some(body)).map_err(|e| invalid(&ctx, e))?;
    Ok(PlanTemplate {
        id: pinned_id(&ctx, &t.id, TEMPLATE_ID_MAX)?,
        fields,
        ctx,
    })
}

#[derive(Debug)]
pub struct PlanSource {
    pub ctx: String,
    pub id: String,
    pub source: NewSource,
    pub connected: bool,
    pub migproject: String,
}

#[derive(Debug)]
pub struct PlanTask {
    pub ctx: String,
    pub id: String,
    pub task: NewTask,
    pub state: TaskState,
}

#[derive(Debug)]
struct PlanUser {
    ctx: String,
    name: String,
    hash: String,
    actions: Vec<String>,
    keys: Vec<KeyFx>,
}

#[derive(Debug)]
struct PlanTenant {
    tenant: Tenant,
    services: Vec<PlanService>,
}

#[derive(Debug)]
pub struct PlanService {
    pub ctx: String,
    pub id: ServiceId,
    pub service: NewService,
    pub instances: Vec<(String, InstanceId, NewInstance)>,
    pub schemas: Vec<Schema>,
    pub tags: BTreeMap<String, String>,
    /// (environment, app, service name) of each provider.
    pub depends_on: Vec<(String, String, String)>,
}

/// Validates the whole fixture and hashes its passwords; touches no database.
pub fn prepare(fixture: &Fixture) -> Result<Plan, FixtureError> {
    let mut domains = Vec::with_capacity(fixture.domains.len());
    for (i, d) in fixture.domains.iter().enumerate() {
        let ctx = format!("domains[{i}] {:?}", d.name);
        Name::parse("domain name", &d.name).map_err(|e| invalid(&ctx, e))?;
        let mut projects = Vec::with_capacity(d.projects.len());
        for (j, p) in d.projects.iter().enumerate() {
            projects.push(prepare_project(&ctx, j, p)?);
        }
        let mut users = Vec::with_capacity(d.users.len());
        for (j, u) in d.users.iter().enumerate() {
            users.push(prepare_user(&ctx, j, u)?);
        }
        domains.push(PlanDomain {
            ctx,
            name: d.name.clone(),
            projects,
            users,
        });
    }
    let mut tenants = Vec::with_capacity(fixture.registry.len());
    for (i, t) in fixture.registry.iter().enumerate() {
        let ctx = format!("registry[{i}] {}/{}", t.domain, t.project);
        if t.domain.is_empty() || t.project.is_empty() {
            return Err(invalid(&ctx, "domain and project must not be empty"));
        }
        let tenant = Tenant {
            domain: t.domain.clone(),
            project: t.project.clone(),
        };
        let mut services = Vec::with_capacity(t.microservices.len());
        for (j, s) in t.microservices.iter().enumerate() {
            services.push(prepare_service(&ctx, j, &tenant, s)?);
        }
        tenants.push(PlanTenant { tenant, services });
    }
    let mut faults = Vec::with_capacity(fixture.faults.len());
    for (i, body) in fixture.faults.iter().enumerate() {
        let ctx = format!("faults[{i}]");
        let rule = crate::http_faults::Rule::parse(body.clone()).map_err(|e| invalid(&ctx, e))?;
        let spec = serde_json::to_string(&rule).map_err(|e| invalid(&ctx, e))?;
        faults.push((spec, rule.times));
    }
    Ok(Plan {
        domains,
        tenants,
        faults,
    })
}

fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn prepare_project(parent: &str, j: usize, p: &ProjectFx) -> Result<PlanProject, FixtureError> {
    let ctx = format!("{parent} projects[{j}] {:?}", p.name);
    Name::parse("project name", &p.name).map_err(|e| invalid(&ctx, e))?;
    let migprojects = p
        .migprojects
        .iter()
        .enumerate()
        .map(|(k, m)| prepare_migproject(format!("{ctx} migprojects[{k}] {:?}", m.name), m))
        .collect::<Result<Vec<_>, _>>()?;
    let templates = p
        .templates
        .iter()
        .enumerate()
        .map(|(k, t)| prepare_template(format!("{ctx} templates[{k}] {:?}", t.name), t))
        .collect::<Result<Vec<_>, _>>()?;
    let mut sources = Vec::with_capacity(p.source_servers.len());
    // Tasks name their source by name or id; a name given twice cannot be told apart.
    let mut by_name: HashMap<&str, Option<String>> = HashMap::new();
    for (k, s) in p.source_servers.iter().enumerate() {
        let sctx = format!("{ctx} source_servers[{k}] {:?}", s.name);
        let source = NewSource::parse(RegisterSourceBody {
            name: Some(s.name.clone()),
            ip: Some(s.ip.clone()),
            ipv6: Some(s.ipv6.clone()),
            hostname: Some(s.hostname.clone()),
            os_type: s.os_type.clone(),
            os_version: Some(s.os_version.clone()),
            state: Some(s.state.clone()),
            migration_cycle: Some(s.migration_cycle.clone()),
            cpu_quantity: s.cpu_quantity,
            memory: s.memory,
            agent_version: Some(s.agent_version.clone()),
            enterprise_project_id: Some(s.enterprise_project_id.clone()),
            rest: s.details.clone(),
        })
        .map_err(|e| invalid(&sctx, e))?;
        let id = match &s.id {
            Some(id) if id.is_empty() || id.chars().count() > 255 => {
                return Err(invalid(&sctx, "id must be 1 to 255 characters"));
            }
            Some(id) => id.clone(),
            None => new_uuid(),
        };
        by_name
            .entry(s.name.as_str())
            .and_modify(|slot| *slot = None)
            .or_insert_with(|| Some(id.clone()));
        sources.push(PlanSource {
            ctx: sctx,
            id,
            source,
            connected: s.connected,
            migproject: s.migproject.clone(),
        });
    }
    let mut tasks = Vec::with_capacity(p.tasks.len());
    for (k, t) in p.tasks.iter().enumerate() {
        let tctx = format!("{ctx} tasks[{k}] {:?}", t.name);
        let source_id = match by_name.get(t.source_server.as_str()) {
            Some(Some(id)) => id.clone(),
            Some(None) => {
                return Err(invalid(
                    &tctx,
                    format!(
                        "source server {:?} is declared twice; name it by id",
                        t.source_server
                    ),
                ));
            }
            None if sources.iter().any(|s| s.id == t.source_server) => t.source_server.clone(),
            None => {
                return Err(invalid(
                    &tctx,
                    format!("source server {:?} is not defined", t.source_server),
                ));
            }
        };
        let task = NewTask::parse(CreateTaskBody {
            name: Some(t.name.clone()),
            kind: Some(t.kind.clone()),
            os_type: Some(t.os_type.clone()),
            source_server: Some(IdRef {
                id: Some(source_id),
            }),
            target_server: Some(Value::Object(t.target_server.clone())),
            migration_ip: Some(t.migration_ip.clone()),
            region_name: Some(t.region_name.clone()),
            region_id: Some(t.region_id.clone()),
            project_name: Some(t.target_project_name.clone()),
            project_id: Some(t.target_project_id.clone()),
            priority: Some(t.priority),
            start_target_server: Some(t.start_target_server),
            syncing: Some(t.syncing),
            speed_limit: Some(t.speed_limit),
            enterprise_project_id: Some(t.enterprise_project_id.clone()),
            vm_template_id: t.vm_template_id.clone(),
        })
        .map_err(|e| invalid(&tctx, e))?;
        let state = TaskState::parse(&t.state)
            .ok_or_else(|| invalid(&tctx, format!("state {:?} is not a task state", t.state)))?;
        let id = match &t.id {
            Some(id) if id.is_empty() || id.chars().count() > 255 => {
                return Err(invalid(&tctx, "id must be 1 to 255 characters"));
            }
            Some(id) => id.clone(),
            None => new_uuid(),
        };
        tasks.push(PlanTask {
            ctx: tctx,
            id,
            task,
            state,
        });
    }
    Ok(PlanProject {
        ctx,
        name: p.name.clone(),
        migprojects,
        templates,
        sources,
        tasks,
    })
}

fn prepare_user(parent: &str, j: usize, u: &UserFx) -> Result<PlanUser, FixtureError> {
    let ctx = format!("{parent} users[{j}] {:?}", u.name);
    Name::parse("user name", &u.name).map_err(|e| invalid(&ctx, e))?;
    let hash = match (&u.password, &u.password_hash) {
        (Some(pw), None) if !pw.is_empty() => hash_password(pw).map_err(|e| invalid(&ctx, e))?,
        (None, Some(hash)) if hash.starts_with("$argon2") => hash.clone(),
        (None, Some(_)) => return Err(invalid(&ctx, "password_hash must be an Argon2 PHC string")),
        _ => {
            return Err(invalid(
                &ctx,
                "give exactly one of password (not empty) and password_hash",
            ));
        }
    };
    let actions = u
        .actions
        .iter()
        .map(|a| parse_action(a))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(&ctx, e))?;
    for key in &u.access_keys {
        if key.access.is_empty() || key.access.len() > 128 || key.secret.is_empty() {
            return Err(invalid(
                &ctx,
                format!(
                    "access key {:?}: access must be 1 to 128 characters and secret not empty",
                    key.access
                ),
            ));
        }
    }
    Ok(PlanUser {
        ctx,
        name: u.name.clone(),
        hash,
        actions,
        keys: u.access_keys.clone(),
    })
}

fn prepare_service(
    parent: &str,
    j: usize,
    tenant: &Tenant,
    s: &ServiceFx,
) -> Result<PlanService, FixtureError> {
    let ctx = format!("{parent} microservices[{j}] {:?}", s.service_name);
    let body: ServiceBody = serde_json::from_value(json!({
        "serviceId": s.id,
        "appId": s.app_id,
        "serviceName": s.service_name,
        "version": s.version,
        "environment": s.environment,
        "alias": s.alias,
        "description": s.description,
        "level": s.level,
        "status": s.status,
        "registerBy": s.register_by,
        "schemas": s.schemas.iter().map(|x| &x.id).collect::<Vec<_>>(),
        "properties": s.properties,
    }))
    .map_err(|e| invalid(&ctx, e))?;
    let service = NewService::parse(body).map_err(|e| invalid(&ctx, registry_why(e)))?;
    let id = service.id(tenant);
    let mut instances = Vec::with_capacity(s.instances.len());
    for (k, i) in s.instances.iter().enumerate() {
        let ictx = format!("{ctx} instances[{k}] {:?}", i.host_name);
        let lease = i.lease.unwrap_or(LeaseFx {
            interval: PERMANENT_INTERVAL,
            times: 0,
        });
        let body: InstanceBody = serde_json::from_value(json!({
            "instanceId": i.id,
            "hostName": i.host_name,
            "endpoints": i.endpoints,
            "status": i.status,
            "properties": i.properties,
            "healthCheck": {"mode": "push", "interval": lease.interval, "times": lease.times},
        }))
        .map_err(|e| invalid(&ictx, e))?;
        let instance = NewInstance::parse(body).map_err(|e| invalid(&ictx, registry_why(e)))?;
        let instance_id = instance.id();
        instances.push((ictx, instance_id, instance));
    }
    let mut schemas = Vec::with_capacity(s.schemas.len());
    for (k, sc) in s.schemas.iter().enumerate() {
        let sctx = format!("{ctx} schemas[{k}] {:?}", sc.id);
        let schema_id = SchemaId::parse(&sc.id).map_err(|e| invalid(&sctx, registry_why(e)))?;
        let body: SchemaBody = serde_json::from_value(json!({
            "summary": sc.summary,
            "schema": sc.schema,
        }))
        .map_err(|e| invalid(&sctx, e))?;
        schemas
            .push(Schema::parse_for(schema_id, body).map_err(|e| invalid(&sctx, registry_why(e)))?);
    }
    let tags = parse_tags(Some(s.tags.clone())).map_err(|e| invalid(&ctx, registry_why(e)))?;
    let mut depends_on = Vec::with_capacity(s.depends_on.len());
    for (k, p) in s.depends_on.iter().enumerate() {
        if p.service_name.is_empty() {
            return Err(invalid(
                &format!("{ctx} depends_on[{k}]"),
                "service_name must not be empty",
            ));
        }
        depends_on.push((
            p.environment
                .clone()
                .unwrap_or_else(|| service.key.environment.as_str().to_owned()),
            p.app_id
                .clone()
                .unwrap_or_else(|| service.key.app_id.clone()),
            p.service_name.clone(),
        ));
    }
    Ok(PlanService {
        ctx,
        id,
        service,
        instances,
        schemas,
        tags,
        depends_on,
    })
}

/// Writes a prepared fixture inside the caller's write transaction.
pub async fn apply(conn: &mut SqliteConnection, plan: &Plan) -> Result<Summary, FixtureError> {
    let mut summary = Summary::default();
    let now_ms = crate::clock::store::now(&mut *conn)
        .await
        .map_err(store::at("the clock"))?;
    let now = now_ms.div_euclid(1000);
    for d in &plan.domains {
        let domain_id = crate::iam::store::ensure_domain(&mut *conn, &d.name, now)
            .await
            .map_err(store::at(&d.ctx))?;
        for p in &d.projects {
            let project_id =
                crate::iam::store::ensure_project(&mut *conn, &domain_id, &p.name, now)
                    .await
                    .map_err(store::at(&p.ctx))?;
            for m in &p.migprojects {
                store::insert_migproject(&mut *conn, &project_id, m, now_ms).await?;
                summary.migprojects += 1;
            }
            for t in &p.templates {
                store::insert_template(&mut *conn, &project_id, t, now_ms).await?;
                summary.templates += 1;
            }
            for s in &p.sources {
                store::insert_source(&mut *conn, &project_id, s, now_ms).await?;
                summary.source_servers += 1;
            }
            for t in &p.tasks {
                store::insert_task(&mut *conn, &project_id, t, now_ms).await?;
                summary.tasks += 1;
            }
        }
        for u in &d.users {
            let user_id =
                store::upsert_user(&mut *conn, &domain_id, &u.ctx, &u.name, &u.hash, now).await?;
            for action in &u.actions {
                crate::iam::store::grant(&mut *conn, &user_id, action)
                    .await
                    .map_err(store::at(&u.ctx))?;
            }
            for key in &u.keys {
                store::ensure_key(&mut *conn, &u.ctx, &user_id, key, now).await?;
            }
            summary.users += 1;
        }
    }
    for t in &plan.tenants {
        for s in &t.services {
            store::insert_service(&mut *conn, &t.tenant, s, now_ms).await?;
            summary.microservices += 1;
            summary.instances += s.instances.len();
        }
    }
    for (spec, times) in &plan.faults {
        let id = crate::http_faults::new_id();
        crate::http_faults::store::insert(&mut *conn, &id, spec, *times, now_ms)
            .await
            .map_err(store::at("faults"))?;
        summary.fault_rules += 1;
    }
    Ok(summary)
}
