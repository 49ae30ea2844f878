//! The fixture file format: what `seed` reads and `export` writes, field by field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::*;

/// An instance without a lease in the fixture gets the longest lease the registry accepts
/// (about 68 years), so that a seeded estate does not vanish two minutes after start.
pub const PERMANENT_INTERVAL: i64 = i32::MAX as i64;

fn is_false(b: &bool) -> bool {
    !*b
}
fn is_zero(n: &i64) -> bool {
    *n == 0
}
fn is_one(n: &i64) -> bool {
    *n == 1
}
fn is_default_ep(s: &String) -> bool {
    s == "0"
}
fn default_ep() -> String {
    "0".into()
}
fn yes() -> bool {
    true
}
fn one() -> i64 {
    1
}
fn waiting() -> String {
    "waiting".into()
}
fn ready() -> String {
    "READY".into()
}
fn up() -> String {
    "UP".into()
}
fn is_true(b: &bool) -> bool {
    *b
}
fn block() -> String {
    "MIGRATE_BLOCK".into()
}
fn is_block(s: &String) -> bool {
    s == "MIGRATE_BLOCK"
}
fn default_enterprise_project() -> String {
    "default".into()
}
fn is_default_enterprise_project(s: &String) -> bool {
    s == "default"
}

/// The whole file.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<DomainFx>,
    /// Registry tenants: Service Center keys rows by domain name and the path's project.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub registry: Vec<TenantFx>,
    /// HTTP fault rules, as `POST /_cloudtwin/faults` takes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<crate::http_faults::RuleBody>,
}

/// A domain (account), matched by name and created when missing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainFx {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<ProjectFx>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserFx>,
}

/// A project (region), matched by name in its domain and created when missing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectFx {
    pub name: String,
    /// SMS migration projects; source servers name theirs by id in `migproject`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub migprojects: Vec<MigProjectFx>,
    /// SMS target-server templates; tasks name theirs by id in `vm_template_id`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<TemplateFx>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_servers: Vec<SourceFx>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<TaskFx>,
}

/// An IAM user; an existing user of that name gets this password and these actions too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserFx {
    pub name: String,
    /// In clear in the fixture, stored as an Argon2 hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// What `export` writes, since the database never holds the password itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_keys: Vec<KeyFx>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFx {
    pub access: String,
    pub secret: String,
}

/// A source server as the SMS agent would have registered it, plus its state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceFx {
    /// Pinned id; a fresh UUID when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ip: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ipv6: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hostname: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_type: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub os_version: String,
    #[serde(default = "waiting")]
    pub state: String,
    #[serde(default = "yes")]
    pub connected: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub migration_cycle: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<i64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub agent_version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub migproject: String,
    #[serde(default = "default_ep", skip_serializing_if = "is_default_ep")]
    pub enterprise_project_id: String,
    /// The rest of an agent's registration body (disks, networks, …), returned as is.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub details: Map<String, Value>,
}

/// An SMS migration project, with the API's defaults for what it leaves out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigProjectFx {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub isdefault: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub region: String,
    #[serde(rename = "type", default = "block", skip_serializing_if = "is_block")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub speed_limit: i64,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub start_target_server: bool,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub use_public_ip: bool,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub exist_server: bool,
    #[serde(
        default = "default_enterprise_project",
        skip_serializing_if = "is_default_enterprise_project"
    )]
    pub enterprise_project: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub syncing: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub start_network_check: bool,
}

/// An SMS target-server template, fields as `TemplateRequest` names them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateFx {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub is_template: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub region: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub projectid: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target_server_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub availability_zone: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub volumetype: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub flavor: String,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub vpc: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nics: Vec<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<Value>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub publicip: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disk: Vec<Value>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub data_volume_type: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target_password: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image_id: String,
}

/// A migration task of a source server declared in the same project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskFx {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    /// The source server's name (or id) in the same project of the fixture.
    pub source_server: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub os_type: String,
    #[serde(default = "ready")]
    pub state: String,
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub priority: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub migration_ip: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub region_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub region_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target_project_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target_project_name: String,
    #[serde(default = "default_ep", skip_serializing_if = "is_default_ep")]
    pub enterprise_project_id: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub start_target_server: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub syncing: bool,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub speed_limit: i64,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub target_server: Map<String, Value>,
    /// The id of a template of the same project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_template_id: Option<String>,
}

/// The registry rows of one tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantFx {
    /// The domain name (with registry auth off: the `X-Domain-Name` header).
    pub domain: String,
    /// The `{project}` of `/v4/{project}/registry`, usually `default`.
    pub project: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub microservices: Vec<ServiceFx>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceFx {
    /// Pinned serviceId; when absent derived from the key as the registry does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    pub service_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub environment: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alias: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    #[serde(default = "up")]
    pub status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub register_by: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<InstanceFx>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<SchemaFx>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Providers this service consumes, by name (any version), as Service Center's rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<ProviderFx>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceFx {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub host_name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<String>,
    #[serde(default = "up")]
    pub status: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    /// Heartbeat lease, counted from load time; absent: the instance never expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<LeaseFx>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaseFx {
    /// Seconds between heartbeats.
    pub interval: i64,
    /// Heartbeats that may be missed before the instance expires.
    pub times: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaFx {
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    pub schema: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderFx {
    /// Defaults to the consumer's app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    pub service_name: String,
    /// Defaults to the consumer's environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

impl Fixture {
    pub fn parse(text: &str) -> Result<Self, FixtureError> {
        serde_norway::from_str(text).map_err(|e| FixtureError::Syntax(e.to_string()))
    }

    pub fn read(path: &Path) -> Result<Self, FixtureError> {
        let text = std::fs::read_to_string(path).map_err(|source| FixtureError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|e| FixtureError::Syntax(format!("{}: {e}", path.display())))
    }

    pub fn render(&self) -> Result<String, FixtureError> {
        serde_norway::to_string(self).map_err(|e| FixtureError::Syntax(e.to_string()))
    }

    pub fn write(&self, path: &Path) -> Result<(), FixtureError> {
        use std::io::Write;
        let text = self.render()?;
        // An export holds password hashes and access-key secrets.
        crate::kit::private::create(path)
            .and_then(|mut file| file.write_all(text.as_bytes()))
            .map_err(|source| FixtureError::Write {
                path: path.to_owned(),
                source,
            })
    }
}
