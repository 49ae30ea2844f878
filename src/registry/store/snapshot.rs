//! What the in-memory read model copies from the file: every row at start, and after a
//! write the rows it touched, read in the write's own transaction. Also the lease
//! renewals the model holds, written back in batches.

use sqlx::SqliteConnection;

use super::super::domain::*;
use super::*;

/// The part of a service that discovery needs; none of it changes after registration.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServiceHead {
    pub service_id: String,
    pub environment: String,
    pub app_id: String,
    pub service_name: String,
    pub alias: String,
    pub version: String,
    pub created_at: i64,
}

impl From<ServiceRecord> for ServiceHead {
    fn from(s: ServiceRecord) -> Self {
        Self {
            service_id: s.service_id,
            environment: s.environment,
            app_id: s.app_id,
            service_name: s.service_name,
            alias: s.alias,
            version: s.version,
            created_at: s.created_at,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct TenantService {
    pub domain: String,
    pub project: String,
    #[sqlx(flatten)]
    pub service: ServiceHead,
}

#[derive(Debug, sqlx::FromRow)]
pub struct TenantInstance {
    pub domain: String,
    pub project: String,
    #[sqlx(flatten)]
    pub instance: InstanceRecord,
}

/// A dependency rule: consumer id → provider (environment, app, name).
#[derive(Debug, sqlx::FromRow)]
pub struct RuleRow {
    pub domain: String,
    pub project: String,
    pub consumer_id: String,
    pub provider_env: String,
    pub provider_app: String,
    pub provider_name: String,
}

macro_rules! select_head {
    ($rest:literal) => {
        concat!(
            "SELECT domain, project, service_id, environment, app_id, service_name, alias, ",
            "version, created_at FROM microservices ",
            $rest
        )
    };
}

pub async fn all_services(conn: &mut SqliteConnection) -> Result<Vec<TenantService>> {
    Ok(sqlx::query_as(select_head!(""))
        .fetch_all(&mut *conn)
        .await?)
}

pub async fn all_instances(conn: &mut SqliteConnection) -> Result<Vec<TenantInstance>> {
    Ok(sqlx::query_as(select_instance_of_tenant!(""))
        .fetch_all(&mut *conn)
        .await?)
}

pub async fn all_rules(conn: &mut SqliteConnection) -> Result<Vec<RuleRow>> {
    Ok(sqlx::query_as(
        "SELECT domain, project, consumer_id, provider_env, provider_app, provider_name \
         FROM dependencies",
    )
    .fetch_all(&mut *conn)
    .await?)
}

pub async fn service_head(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &str,
) -> Result<Option<ServiceHead>> {
    let row: Option<TenantService> = sqlx::query_as(select_head!(
        "WHERE domain = ? AND project = ? AND service_id = ?"
    ))
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .bind(service_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.service))
}

/// Every instance of a service, expired or not: the model checks leases when it reads.
pub async fn instances_of(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &str,
) -> Result<Vec<InstanceRecord>> {
    Ok(sqlx::query_as::<_, InstanceRecord>(select_instance!(
        "WHERE i.domain = ? AND i.project = ? AND i.service_id = ?"
    ))
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .bind(service_id)
    .fetch_all(&mut *conn)
    .await?)
}

pub async fn instance_row(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    service_id: &str,
    instance_id: &str,
) -> Result<Option<InstanceRecord>> {
    Ok(sqlx::query_as::<_, InstanceRecord>(select_instance!(
        "WHERE i.domain = ? AND i.project = ? AND i.service_id = ? AND i.instance_id = ?"
    ))
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .bind(service_id)
    .bind(instance_id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// The rules of one tenant: all of them (`consumer` None) or one consumer's.
pub async fn rules_of(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    consumer: Option<&str>,
) -> Result<Vec<RuleRow>> {
    Ok(sqlx::query_as(
        "SELECT domain, project, consumer_id, provider_env, provider_app, provider_name \
         FROM dependencies WHERE domain = ?1 AND project = ?2 \
         AND (?3 IS NULL OR consumer_id = ?3)",
    )
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .bind(consumer)
    .fetch_all(&mut *conn)
    .await?)
}

/// One lease renewal held in memory: the instance and when it was renewed.
pub struct Renewal<'a> {
    pub tenant: &'a Tenant,
    pub service_id: &'a str,
    pub instance_id: &'a str,
    pub at_ms: i64,
}

/// Writes renewals back; a renewal older than what the file holds changes nothing, and
/// one of an instance deleted meanwhile matches no row.
pub async fn save_renewals(conn: &mut SqliteConnection, renewals: &[Renewal<'_>]) -> Result<()> {
    for r in renewals {
        sqlx::query(
            "UPDATE instances SET last_heartbeat_ms = ?1 WHERE domain = ?2 AND project = ?3 \
             AND service_id = ?4 AND instance_id = ?5 AND last_heartbeat_ms < ?1",
        )
        .bind(r.at_ms)
        .bind(&r.tenant.domain)
        .bind(&r.tenant.project)
        .bind(r.service_id)
        .bind(r.instance_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// One row of what the read model holds, as [`load`] reads it, with its tenant.
pub enum Loaded<'t> {
    Service(&'t Tenant, ServiceHead),
    Instance(&'t Tenant, InstanceRecord),
    Rule(RuleRow),
}

/// The tenant of the current row: the previous row's unless its columns differ, so
/// that a start does not copy two strings per row for the few tenants a file holds.
fn tenant_at(row: &rusqlite::Row<'_>, held: &mut Tenant) -> rusqlite::Result<()> {
    let text = |i: usize| {
        row.get_ref(i)?.as_str().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
        })
    };
    let (domain, project) = (text(0)?, text(1)?);
    if held.domain != domain || held.project != project {
        *held = Tenant {
            domain: domain.to_owned(),
            project: project.to_owned(),
        };
    }
    Ok(())
}

/// Every instance the file holds gets a lease from at least `from_ms`: the start's
/// renewal (so that no instance expires because renewals held in memory were lost with
/// the process), written with the first write-back after the start.
pub async fn renew_all(conn: &mut SqliteConnection, from_ms: i64) -> Result<()> {
    sqlx::query("UPDATE instances SET last_heartbeat_ms = ?1 WHERE last_heartbeat_ms < ?1")
        .bind(from_ms)
        .execute(conn)
        .await?;
    Ok(())
}

/// The rowid that splits the instances in two halves for the start's two threads
/// (0 when there are none).
pub fn instance_split(conn: &rusqlite::Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT COALESCE((MIN(rowid) + MAX(rowid)) / 2, 0) FROM instances",
        [],
        |r| r.get(0),
    )
}

/// Reads the instances of one rowid range (the statement's one parameter) into `each`.
fn read_instances<E: From<rusqlite::Error>>(
    instances: &mut rusqlite::Statement<'_>,
    bound: i64,
    tenant: &mut Tenant,
    each: &mut impl FnMut(Loaded<'_>) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let mut rows = instances.query([bound])?;
    while let Some(r) = rows.next()? {
        tenant_at(r, tenant)?;
        each(Loaded::Instance(
            tenant,
            InstanceRecord {
                service_id: r.get(2)?,
                instance_id: r.get(3)?,
                host_name: r.get(4)?,
                endpoints: r.get(5)?,
                status: r.get(6)?,
                properties: r.get(7)?,
                health_mode: r.get(8)?,
                health_interval: r.get(9)?,
                health_times: r.get(10)?,
                health_port: r.get(11)?,
                health_url: r.get(12)?,
                data_center: r.get(13)?,
                version: r.get(14)?,
                created_at: r.get(15)?,
                modified_at: r.get(16)?,
                last_heartbeat_ms: r.get(17)?,
            },
        ))?;
    }
    Ok(())
}

fn no_tenant() -> Tenant {
    Tenant {
        domain: String::new(),
        project: String::new(),
    }
}

/// The instances above rowid `split`, as [`load`] reads the rest: the start reads and
/// renders them on a second thread, with a connection of its own.
pub fn load_instances_after<E: From<rusqlite::Error>>(
    conn: &mut rusqlite::Connection,
    split: i64,
    mut each: impl FnMut(Loaded<'_>) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let tx = conn.transaction()?;
    {
        let mut instances = tx.prepare(select_instance_of_tenant!("WHERE i.rowid > ?1"))?;
        read_instances(&mut instances, split, &mut no_tenant(), &mut each)?;
    }
    tx.commit()?;
    Ok(())
}

/// The start, in one read transaction of a connection of its own: every row the model
/// holds goes to `each`, services first, one at a time (a hundred thousand rows
/// collected first doubled the peak memory), but the instances above rowid `split`
/// ([`load_instances_after`] reads those). Through rusqlite, synchronously: decoding
/// them through sqlx's worker thread took two seconds.
pub fn load<E: From<rusqlite::Error>>(
    conn: &mut rusqlite::Connection,
    split: i64,
    mut each: impl FnMut(Loaded<'_>) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let tx = conn.transaction()?;
    let mut tenant = no_tenant();
    {
        let mut services = tx.prepare(select_head!(""))?;
        let mut rows = services.query([])?;
        while let Some(r) = rows.next()? {
            tenant_at(r, &mut tenant)?;
            each(Loaded::Service(
                &tenant,
                ServiceHead {
                    service_id: r.get(2)?,
                    environment: r.get(3)?,
                    app_id: r.get(4)?,
                    service_name: r.get(5)?,
                    alias: r.get(6)?,
                    version: r.get(7)?,
                    created_at: r.get(8)?,
                },
            ))?;
        }
        let mut instances = tx.prepare(select_instance_of_tenant!("WHERE i.rowid <= ?1"))?;
        read_instances(&mut instances, split, &mut tenant, &mut each)?;
        let mut rules = tx.prepare(
            "SELECT domain, project, consumer_id, provider_env, provider_app, provider_name \
             FROM dependencies",
        )?;
        let mut rows = rules.query([])?;
        while let Some(r) = rows.next()? {
            each(Loaded::Rule(RuleRow {
                domain: r.get(0)?,
                project: r.get(1)?,
                consumer_id: r.get(2)?,
                provider_env: r.get(3)?,
                provider_app: r.get(4)?,
                provider_name: r.get(5)?,
            }))?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// The consumers of the tenant with a rule naming this provider.
pub async fn consumers_naming(
    conn: &mut SqliteConnection,
    tenant: &Tenant,
    environment: &str,
    app_id: &str,
    service_name: &str,
) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT consumer_id FROM dependencies WHERE domain = ? AND project = ? \
         AND provider_env = ? AND provider_app = ? AND provider_name = ?",
    )
    .bind(&tenant.domain)
    .bind(&tenant.project)
    .bind(environment)
    .bind(app_id)
    .bind(service_name)
    .fetch_all(&mut *conn)
    .await?)
}
