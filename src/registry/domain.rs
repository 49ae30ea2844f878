//! Registry request types, parsed once at the edge so that the rest of the area only
//! ever sees valid values. Rules follow Service Center's validators
//! (`server/service/validator/*.go`); see ../shared/reference/registry-api.md §3.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use sha1::{Digest, Sha1};

use super::error::RegistryError;

type Result<T> = std::result::Result<T, RegistryError>;

fn invalid(detail: impl Into<String>) -> RegistryError {
    RegistryError::InvalidParams(detail.into())
}

/// Go's `\s` is ASCII-only, and Service Center's `\S` rules are written with it.
fn has_whitespace(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_whitespace())
}

fn len_within(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.chars().count())
}

/// `^[a-zA-Z0-9]*$|^[a-zA-Z0-9][a-zA-Z0-9_\-.]*[a-zA-Z0-9]$`
fn is_name(s: &str) -> bool {
    let inner = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    let ends_ok = s.chars().next().is_none_or(|c| c.is_ascii_alphanumeric())
        && s.chars().last().is_none_or(|c| c.is_ascii_alphanumeric());
    ends_ok && s.chars().all(inner)
}

fn field(name: &str, value: &str) -> RegistryError {
    invalid(format!("invalid {name} '{value}'"))
}

/// `^[a-zA-Z0-9_\-.:]*$`
fn is_alias(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
}

/// The tenant every registry row belongs to: the caller's domain and the path's project.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub domain: String,
    pub project: String,
}

/// A service id as accepted in paths and bodies: 1..64 characters without whitespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceId(String);

impl ServiceId {
    pub fn parse(s: &str) -> Result<Self> {
        if len_within(s, 1, 64) && !has_whitespace(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(field("serviceId", s))
        }
    }

    /// Service Center's default id: the hex SHA-1 of the service's index key, so that
    /// re-creating a deleted service gives it back the same id.
    fn derived(tenant: &Tenant, key: &ServiceKey) -> Self {
        let index = format!(
            "/cse-sr/ms/indexes/{}/{}/{}/{}/{}/{}",
            tenant.domain,
            tenant.project,
            key.environment.as_str(),
            key.app_id,
            key.service_name,
            key.version.as_str()
        );
        Self(hex::encode(Sha1::digest(index.as_bytes())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The ids of a batch delete: at least one, each valid, duplicates dropped while the
/// first occurrence keeps its place.
#[derive(Debug)]
pub struct ServiceIds(Vec<ServiceId>);

impl ServiceIds {
    pub fn parse(ids: Option<Vec<String>>) -> Result<Self> {
        let ids = ids.unwrap_or_default();
        if ids.is_empty() {
            return Err(invalid("serviceIds must hold at least one service id"));
        }
        let mut seen = HashSet::new();
        let mut unique = Vec::with_capacity(ids.len());
        for id in ids {
            let id = ServiceId::parse(&id)?;
            if seen.insert(id.clone()) {
                unique.push(id);
            }
        }
        Ok(Self(unique))
    }

    pub fn iter(&self) -> impl Iterator<Item = &ServiceId> {
        self.0.iter()
    }
}

/// Service Center's `force` query values: `true|false|1|0`, empty meaning false.
pub fn parse_force(value: Option<&str>) -> Result<bool> {
    match value.unwrap_or("") {
        "" | "false" | "0" => Ok(false),
        "true" | "1" => Ok(true),
        _ => Err(invalid("parameter force must be false or true")),
    }
}

/// An instance id: 1..64 of `[A-Za-z0-9_.-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InstanceId(String);

impl InstanceId {
    pub fn parse(s: &str) -> Result<Self> {
        let ok = len_within(s, 1, 64)
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(field("instanceId", s))
        }
    }

    fn generated() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A version of up to four numeric segments, each 0..=32767, ordered numerically with
/// missing segments read as zero (so `1.0` and `1.0.0` are the same version).
#[derive(Debug, Clone)]
pub struct Version {
    text: String,
    segments: [u16; 4],
}

impl Version {
    pub fn parse(s: &str) -> Result<Self> {
        let mut segments = [0u16; 4];
        let parts: Vec<&str> = s.split('.').collect();
        if s.is_empty() || s.len() > 64 || parts.len() > 4 {
            return Err(field("version", s));
        }
        for (slot, part) in segments.iter_mut().zip(&parts) {
            if part.is_empty() || !part.chars().all(|c| c.is_ascii_digit()) {
                return Err(field("version", s));
            }
            *slot = part
                .parse::<u16>()
                .ok()
                .filter(|n| *n <= 32767)
                .ok_or_else(|| field("version", s))?;
        }
        Ok(Self {
            text: s.to_owned(),
            segments,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.segments == other.segments
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.segments.cmp(&other.segments)
    }
}

/// Which provider versions a discovery asks for. Service Center 1.x syntax; HEAD
/// ignores the parameter, but clients still send it and the rules are useful.
#[derive(Debug, Clone)]
pub enum VersionRule {
    All,
    Latest,
    AtLeast(Version),
    /// `start-end`: start included, end excluded, as Service Center 1.x did.
    Range(Version, Version),
    Exact(Version),
}

impl VersionRule {
    pub fn parse(s: Option<&str>) -> Result<Self> {
        let s = s.unwrap_or("");
        if s.trim().is_empty() {
            return Ok(Self::All);
        }
        if s == "latest" {
            return Ok(Self::Latest);
        }
        // An unencoded `+` in a query string arrives as a space (`version=1.0.0+`).
        if let Some(start) = s.strip_suffix('+').or_else(|| s.strip_suffix(' ')) {
            return Ok(Self::AtLeast(Version::parse(start)?));
        }
        if let Some((start, end)) = s.split_once('-') {
            let (start, end) = (Version::parse(start)?, Version::parse(end)?);
            if start > end {
                return Err(field("version", s));
            }
            return Ok(Self::Range(start, end));
        }
        Ok(Self::Exact(Version::parse(s)?))
    }

    /// Keeps the items whose version the rule selects.
    pub fn select<T>(&self, items: Vec<T>, version_of: impl Fn(&T) -> Option<Version>) -> Vec<T> {
        let latest = match self {
            Self::Latest => items.iter().filter_map(&version_of).max(),
            _ => None,
        };
        items
            .into_iter()
            .filter(|item| {
                let Some(v) = version_of(item) else {
                    return matches!(self, Self::All);
                };
                match self {
                    Self::All => true,
                    Self::Latest => latest.as_ref() == Some(&v),
                    Self::AtLeast(start) => v >= *start,
                    Self::Range(start, end) => v >= *start && v < *end,
                    Self::Exact(want) => v == *want,
                }
            })
            .collect()
    }
}

/// `development|testing|acceptance|production`, or empty (its own, distinct environment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Environment {
    None,
    Development,
    Testing,
    Acceptance,
    Production,
}

impl Environment {
    pub fn parse(s: Option<&str>) -> Result<Self> {
        match s.unwrap_or("") {
            "" => Ok(Self::None),
            "development" => Ok(Self::Development),
            "testing" => Ok(Self::Testing),
            "acceptance" => Ok(Self::Acceptance),
            "production" => Ok(Self::Production),
            other => Err(field("environment", other)),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "",
            Self::Development => "development",
            Self::Testing => "testing",
            Self::Acceptance => "acceptance",
            Self::Production => "production",
        }
    }
}

fn parse_app_id(s: Option<&str>, default: Option<&str>) -> Result<String> {
    let s = s.filter(|s| !s.is_empty()).or(default).unwrap_or("");
    if len_within(s, 1, 160) && is_name(s) {
        Ok(s.to_owned())
    } else {
        Err(field("appId", s))
    }
}

fn parse_service_name(s: Option<&str>) -> Result<String> {
    let s = s.unwrap_or("");
    if len_within(s, 1, 128) && is_name(s) {
        Ok(s.to_owned())
    } else {
        Err(field("serviceName", s))
    }
}

/// What makes a service unique within a tenant.
#[derive(Debug, Clone)]
pub struct ServiceKey {
    pub environment: Environment,
    pub app_id: String,
    pub service_name: String,
    pub version: Version,
}

/// A provider named by environment, app and service name: dependencies hold on every
/// version of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProviderName {
    pub environment: Environment,
    pub app_id: String,
    pub service_name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Front,
    Middle,
    Back,
}

impl Level {
    fn parse(s: Option<&str>) -> Result<Self> {
        match s.unwrap_or("BACK") {
            "FRONT" => Ok(Self::Front),
            "MIDDLE" => Ok(Self::Middle),
            "BACK" | "" => Ok(Self::Back),
            other => Err(field("level", other)),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Front => "FRONT",
            Self::Middle => "MIDDLE",
            Self::Back => "BACK",
        }
    }
}

/// The JSON a client sends in `service` (only the fields the registry keeps).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceBody {
    service_id: Option<String>,
    app_id: Option<String>,
    service_name: Option<String>,
    version: Option<String>,
    environment: Option<String>,
    description: Option<String>,
    level: Option<String>,
    status: Option<String>,
    alias: Option<String>,
    register_by: Option<String>,
    schemas: Option<Vec<String>>,
    paths: Option<Vec<ServicePath>>,
    properties: Option<BTreeMap<String, String>>,
    framework: Option<Framework>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct ServicePath {
    #[serde(default)]
    pub path: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub property: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct Framework {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
}

/// A service ready to be stored.
#[derive(Debug)]
pub struct NewService {
    /// Given by the client, or `None` to derive it from the key.
    requested_id: Option<ServiceId>,
    pub key: ServiceKey,
    pub alias: String,
    pub description: String,
    pub level: Level,
    pub status: &'static str,
    pub register_by: String,
    pub schemas: Vec<String>,
    pub paths: Vec<ServicePath>,
    pub properties: BTreeMap<String, String>,
    pub framework: Option<Framework>,
}

impl NewService {
    pub fn parse(body: ServiceBody) -> Result<Self> {
        let requested_id = match body.service_id.as_deref() {
            None | Some("") => None,
            Some(id) => Some(ServiceId::parse(id)?),
        };
        let key = ServiceKey {
            environment: Environment::parse(body.environment.as_deref())?,
            app_id: parse_app_id(body.app_id.as_deref(), Some("default"))?,
            service_name: parse_service_name(body.service_name.as_deref())?,
            version: Version::parse(
                body.version
                    .as_deref()
                    .filter(|v| !v.is_empty())
                    .unwrap_or("0.0.1"),
            )?,
        };
        let status = match body.status.as_deref().unwrap_or("") {
            "" | "UP" => "UP",
            "DOWN" => "DOWN",
            other => return Err(field("status", other)),
        };
        let alias = body.alias.unwrap_or_default();
        if alias.chars().count() > 128 || !is_alias(&alias) {
            return Err(field("alias", &alias));
        }
        let description = body.description.unwrap_or_default();
        if description.chars().count() > 256 {
            return Err(invalid("description is longer than 256 characters"));
        }
        let register_by = body.register_by.unwrap_or_default();
        if !matches!(register_by.as_str(), "" | "SDK" | "SIDECAR" | "PLATFORM") {
            return Err(field("registerBy", &register_by));
        }
        let schemas = body.schemas.unwrap_or_default();
        if schemas.len() > MAX_SCHEMAS {
            return Err(invalid(format!("more than {MAX_SCHEMAS} schemas")));
        }
        for id in &schemas {
            SchemaId::parse(id)?;
        }
        let paths = body.paths.unwrap_or_default();
        for p in &paths {
            let ok = p
                .path
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".,?'\\/+&%$#=~_-@{}".contains(c));
            if !ok {
                return Err(field("paths.path", &p.path));
            }
        }
        if let Some(f) = &body.framework {
            if f.name.chars().count() > 64 || !is_name(&f.name) {
                return Err(field("framework.name", &f.name));
            }
            if f.version.chars().count() > 64 {
                return Err(field("framework.version", &f.version));
            }
        }
        Ok(Self {
            requested_id,
            key,
            alias,
            description,
            level: Level::parse(body.level.as_deref())?,
            status,
            register_by,
            schemas,
            paths,
            properties: body.properties.unwrap_or_default(),
            framework: body.framework,
        })
    }

    /// The id the service gets when it does not exist yet.
    pub fn id(&self, tenant: &Tenant) -> ServiceId {
        self.requested_id
            .clone()
            .unwrap_or_else(|| ServiceId::derived(tenant, &self.key))
    }

    pub fn requested_id(&self) -> Option<&ServiceId> {
        self.requested_id.as_ref()
    }
}

pub const MAX_SCHEMAS: usize = 100;
pub const MAX_TAGS: usize = 100;

/// `^[a-zA-Z0-9]{1,160}$|^[a-zA-Z0-9][a-zA-Z0-9_\-.]{0,158}[a-zA-Z0-9]$`
#[derive(Debug, Clone)]
pub struct SchemaId(String);

impl SchemaId {
    pub fn parse(s: &str) -> Result<Self> {
        if len_within(s, 1, 160) && is_name(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(field("schemaId", s))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaBody {
    schema_id: Option<String>,
    summary: Option<String>,
    schema: Option<String>,
}

/// One schema document of a service.
#[derive(Debug)]
pub struct Schema {
    pub id: SchemaId,
    pub summary: String,
    pub schema: String,
}

fn parse_summary(s: Option<String>) -> Result<String> {
    let s = s.unwrap_or_default();
    if s.chars().count() <= 128 && s.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(s)
    } else {
        Err(field("summary", &s))
    }
}

impl Schema {
    /// A schema from a `POST .../schemas` item, which names its own id.
    fn parse_item(body: SchemaBody) -> Result<Self> {
        let id = SchemaId::parse(body.schema_id.as_deref().unwrap_or(""))?;
        Self::parse_for(id, body)
    }

    /// A schema from `PUT .../schemas/{schemaId}`, whose id is the path's.
    pub fn parse_for(id: SchemaId, body: SchemaBody) -> Result<Self> {
        let schema = body.schema.unwrap_or_default();
        if schema.is_empty() {
            return Err(invalid("schema must not be empty"));
        }
        Ok(Self {
            id,
            summary: parse_summary(body.summary)?,
            schema,
        })
    }

    /// The full set of a `POST .../schemas`: 1..=100 schemas with distinct ids.
    pub fn parse_set(items: Option<Vec<SchemaBody>>) -> Result<Vec<Self>> {
        let items = items.unwrap_or_default();
        if items.is_empty() || items.len() > MAX_SCHEMAS {
            return Err(invalid(format!(
                "schemas must hold 1 to {MAX_SCHEMAS} items"
            )));
        }
        let mut seen = HashSet::new();
        let mut set = Vec::with_capacity(items.len());
        for item in items {
            let schema = Self::parse_item(item)?;
            if !seen.insert(schema.id.as_str().to_owned()) {
                return Err(invalid(format!(
                    "duplicate schemaId {}",
                    schema.id.as_str()
                )));
            }
            set.push(schema);
        }
        Ok(set)
    }
}

/// `^[a-zA-Z][a-zA-Z0-9_\-.]{0,63}$`, for tag keys and values alike.
fn is_tag_word(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars().count() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

pub fn parse_tag_key(key: &str) -> Result<String> {
    if is_tag_word(key) {
        Ok(key.to_owned())
    } else {
        Err(field("tag key", key))
    }
}

pub fn parse_tag_value(value: &str) -> Result<String> {
    if is_tag_word(value) {
        Ok(value.to_owned())
    } else {
        Err(field("tag value", value))
    }
}

pub fn parse_tags(tags: Option<BTreeMap<String, String>>) -> Result<BTreeMap<String, String>> {
    let tags = tags.unwrap_or_default();
    if tags.len() > MAX_TAGS {
        return Err(invalid(format!("more than {MAX_TAGS} tags")));
    }
    for (k, v) in &tags {
        parse_tag_key(k)?;
        parse_tag_value(v)?;
    }
    Ok(tags)
}

/// The keys of `DELETE .../tags/{k1,k2}`.
pub fn parse_tag_keys(keys: &str) -> Result<Vec<String>> {
    let mut seen = HashSet::new();
    keys.split(',')
        .filter(|k| seen.insert(*k))
        .map(parse_tag_key)
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceStatus {
    Up,
    Down,
    Starting,
    Testing,
    OutOfService,
}

impl InstanceStatus {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "UP" => Ok(Self::Up),
            "DOWN" => Ok(Self::Down),
            "STARTING" => Ok(Self::Starting),
            "TESTING" => Ok(Self::Testing),
            "OUTOFSERVICE" => Ok(Self::OutOfService),
            other => Err(field("status", other)),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Up => "UP",
            Self::Down => "DOWN",
            Self::Starting => "STARTING",
            Self::Testing => "TESTING",
            Self::OutOfService => "OUTOFSERVICE",
        }
    }
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataCenter {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub available_zone: String,
}

#[derive(Debug, Deserialize)]
pub struct HealthCheckBody {
    mode: Option<String>,
    port: Option<i64>,
    interval: Option<i64>,
    times: Option<i64>,
    url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthMode {
    Push,
    Pull,
}

impl HealthMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Push => "push",
            Self::Pull => "pull",
        }
    }
}

/// An instance's lease: it expires `interval × (times + 1)` seconds after the last
/// heartbeat.
#[derive(Debug, Clone)]
pub struct HealthCheck {
    pub mode: HealthMode,
    pub interval: i64,
    pub times: i64,
    pub port: i64,
    pub url: String,
}

const DEFAULT_INTERVAL: i64 = 30;
const DEFAULT_TIMES: i64 = 3;

impl HealthCheck {
    /// Deviation from Service Center: a push health check keeps the client's interval
    /// (>= 1 s) and times (>= 0) instead of raising them to 5 s × 3, so that a local
    /// twin can show a lease expiring within seconds. Pull is forced to 30 × 3 as in
    /// Service Center, and an absent health check defaults to push 30 × 3.
    fn parse(body: Option<HealthCheckBody>) -> Result<Self> {
        let Some(body) = body else {
            return Ok(Self {
                mode: HealthMode::Push,
                interval: DEFAULT_INTERVAL,
                times: DEFAULT_TIMES,
                port: 0,
                url: String::new(),
            });
        };
        let mode = match body.mode.as_deref().unwrap_or("") {
            "push" => HealthMode::Push,
            "pull" => HealthMode::Pull,
            other => return Err(field("healthCheck.mode", other)),
        };
        let port = body.port.unwrap_or(0);
        if !(0..=65535).contains(&port) {
            return Err(invalid(format!("invalid healthCheck.port {port}")));
        }
        let url = body.url.unwrap_or_default();
        if has_whitespace(&url) {
            return Err(field("healthCheck.url", &url));
        }
        let (interval, times) = match mode {
            HealthMode::Pull => (DEFAULT_INTERVAL, DEFAULT_TIMES),
            HealthMode::Push => {
                let interval = body.interval.unwrap_or(DEFAULT_INTERVAL);
                let times = body.times.unwrap_or(DEFAULT_TIMES);
                if !(1..=i64::from(i32::MAX)).contains(&interval) {
                    return Err(invalid(format!("invalid healthCheck.interval {interval}")));
                }
                if !(0..=i64::from(i32::MAX)).contains(&times) {
                    return Err(invalid(format!("invalid healthCheck.times {times}")));
                }
                (interval, times)
            }
        };
        Ok(Self {
            mode,
            interval,
            times,
            port,
            url,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceBody {
    instance_id: Option<String>,
    host_name: Option<String>,
    endpoints: Option<Vec<String>>,
    status: Option<String>,
    properties: Option<BTreeMap<String, String>>,
    health_check: Option<HealthCheckBody>,
    data_center_info: Option<DataCenter>,
}

/// An instance ready to be registered.
#[derive(Debug)]
pub struct NewInstance {
    requested_id: Option<InstanceId>,
    pub host_name: String,
    pub endpoints: Vec<String>,
    pub status: InstanceStatus,
    pub properties: BTreeMap<String, String>,
    pub health: HealthCheck,
    pub data_center: Option<DataCenter>,
}

impl NewInstance {
    pub fn parse(body: InstanceBody) -> Result<Self> {
        let requested_id = match body.instance_id.as_deref() {
            None | Some("") => None,
            Some(id) => Some(InstanceId::parse(id)?),
        };
        let host_name = body.host_name.unwrap_or_default();
        if !len_within(&host_name, 1, 64) || host_name.trim().is_empty() {
            return Err(field("hostName", &host_name));
        }
        let endpoints = body.endpoints.unwrap_or_default();
        if let Some(bad) = endpoints.iter().find(|e| e.trim().is_empty()) {
            return Err(field("endpoints", bad));
        }
        let status = match body.status.as_deref() {
            None | Some("") => InstanceStatus::Up,
            Some(s) => InstanceStatus::parse(s)?,
        };
        if let Some(dc) = &body.data_center_info {
            for (name, value) in [
                ("name", &dc.name),
                ("region", &dc.region),
                ("availableZone", &dc.available_zone),
            ] {
                let ok = len_within(value, 1, 128)
                    && value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
                if !ok {
                    return Err(field(&format!("dataCenterInfo.{name}"), value));
                }
            }
        }
        Ok(Self {
            requested_id,
            host_name,
            endpoints,
            status,
            properties: body.properties.unwrap_or_default(),
            health: HealthCheck::parse(body.health_check)?,
            data_center: body.data_center_info,
        })
    }

    pub fn requested_id(&self) -> Option<&InstanceId> {
        self.requested_id.as_ref()
    }

    pub fn id(&self) -> InstanceId {
        self.requested_id
            .clone()
            .unwrap_or_else(InstanceId::generated)
    }
}

/// One `{serviceId, instanceId}` of a batch heartbeat, kept raw: a bad id fails only
/// its own item, as in Service Center.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceRef {
    #[serde(default)]
    pub service_id: String,
    #[serde(default)]
    pub instance_id: String,
}

/// The items of a batch heartbeat: at least one, duplicates dropped.
/// The most instances one batch heartbeat may renew: all of them share one write
/// transaction on the single writer connection, which every other write waits for.
pub const MAX_BATCH_HEARTBEATS: usize = 1000;

pub fn parse_heartbeat_set(items: Option<Vec<InstanceRef>>) -> Result<Vec<InstanceRef>> {
    let items = items.unwrap_or_default();
    if items.is_empty() {
        return Err(invalid("Request format invalid."));
    }
    if items.len() > MAX_BATCH_HEARTBEATS {
        return Err(invalid(format!(
            "at most {MAX_BATCH_HEARTBEATS} instances per batch heartbeat"
        )));
    }
    let mut seen = HashSet::new();
    Ok(items
        .into_iter()
        .filter(|i| seen.insert((i.service_id.clone(), i.instance_id.clone())))
        .collect())
}

/// A consumer named in `/dependencies`, by its exact key.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerKeyBody {
    environment: Option<String>,
    app_id: Option<String>,
    service_name: Option<String>,
    version: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderKeyBody {
    environment: Option<String>,
    app_id: Option<String>,
    service_name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct DependencyBody {
    consumer: Option<ConsumerKeyBody>,
    providers: Option<Vec<ProviderKeyBody>>,
}

/// One consumer with the provider names it depends on.
#[derive(Debug)]
pub struct Dependency {
    pub consumer: ServiceKey,
    pub providers: Vec<ProviderName>,
}

/// Whether `/dependencies` replaces a consumer's providers (PUT) or adds to them (POST).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DependencyMode {
    Override,
    Add,
}

pub const MAX_DEPENDENCIES: usize = 100;

impl Dependency {
    pub fn parse_all(
        items: Option<Vec<DependencyBody>>,
        mode: DependencyMode,
    ) -> Result<Vec<Dependency>> {
        let items = items.unwrap_or_default();
        if items.is_empty() || items.len() > MAX_DEPENDENCIES {
            return Err(invalid(format!(
                "dependencies must hold 1 to {MAX_DEPENDENCIES} items"
            )));
        }
        items.into_iter().map(|d| Self::parse(d, mode)).collect()
    }

    fn parse(body: DependencyBody, mode: DependencyMode) -> Result<Self> {
        let consumer = body.consumer.ok_or_else(|| invalid("Required consumer"))?;
        let consumer = ServiceKey {
            environment: Environment::parse(consumer.environment.as_deref())?,
            app_id: parse_app_id(consumer.app_id.as_deref(), None)?,
            service_name: parse_service_name(consumer.service_name.as_deref())?,
            version: Version::parse(consumer.version.as_deref().unwrap_or(""))?,
        };
        let bodies = body.providers.unwrap_or_default();
        if mode == DependencyMode::Add && bodies.is_empty() {
            return Err(invalid("Required providers"));
        }
        let mut providers: Vec<ProviderName> = Vec::with_capacity(bodies.len());
        for p in bodies {
            if p.service_name.as_deref().unwrap_or("").is_empty() {
                return Err(invalid("Required provider serviceName"));
            }
            // As Service Center does, a provider without environment or app is in the consumer's.
            let environment = match p.environment.as_deref() {
                None | Some("") => consumer.environment,
                some => Environment::parse(some)?,
            };
            let provider = ProviderName {
                environment,
                app_id: parse_app_id(p.app_id.as_deref(), Some(&consumer.app_id))?,
                service_name: parse_service_name(p.service_name.as_deref())?,
            };
            if providers.contains(&provider) {
                return Err(invalid(
                    "Invalid request body for provider info.Duplicate provider or (serviceName and appId is same).",
                ));
            }
            providers.push(provider);
        }
        Ok(Self {
            consumer,
            providers,
        })
    }
}

/// The query of `GET /instances`: which provider to find.
#[derive(Debug)]
pub struct FindQuery {
    pub app_id: String,
    /// A service name, or an alias of one.
    pub service_name: String,
    pub environment: Environment,
    pub versions: VersionRule,
}

impl FindQuery {
    pub fn parse(
        app_id: Option<&str>,
        service_name: Option<&str>,
        env: Option<&str>,
        version: Option<&str>,
    ) -> Result<Self> {
        // Discovery also accepts a service's alias in place of its name.
        let service_name = match service_name {
            Some(alias) if len_within(alias, 1, 128) && alias.contains(':') && is_alias(alias) => {
                alias.to_owned()
            }
            other => parse_service_name(other)?,
        };
        Ok(Self {
            app_id: parse_app_id(app_id, None)?,
            service_name,
            environment: Environment::parse(env)?,
            versions: VersionRule::parse(version)?,
        })
    }
}

/// The query of `GET /existence?type=microservice`.
pub fn parse_existence_key(
    app_id: Option<&str>,
    service_name: Option<&str>,
    env: Option<&str>,
    version: Option<&str>,
) -> Result<ServiceKey> {
    Ok(ServiceKey {
        environment: Environment::parse(env)?,
        app_id: parse_app_id(app_id, None)?,
        service_name: parse_service_name(service_name)?,
        version: Version::parse(version.unwrap_or(""))?,
    })
}

/// `withSchema=0|1` (or true/false), absent meaning 0.
pub fn parse_with_schema(value: Option<&str>) -> Result<bool> {
    match value.unwrap_or("") {
        "" | "0" | "false" => Ok(false),
        "1" | "true" => Ok(true),
        other => Err(field("withSchema", other)),
    }
}

pub use crate::db::now_ms;

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn versions_compare_by_number_not_text() {
        assert!(v("1.10.0") > v("1.9.0"));
        assert_eq!(v("1.0"), v("1.0.0"));
        for bad in ["", "1.", "1.a.0", "1.32768.0", "1.1.0.0.0", "-1"] {
            assert!(Version::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn version_rules_select() {
        let all = vec!["1.0.0", "1.5.0", "2.0.0", "2.1"];
        let pick = |rule: &str| {
            VersionRule::parse(Some(rule))
                .unwrap()
                .select(all.clone(), |s| Version::parse(s).ok())
        };
        assert_eq!(pick("latest"), vec!["2.1"]);
        assert_eq!(pick("1.5.0+"), vec!["1.5.0", "2.0.0", "2.1"]);
        assert_eq!(pick("1.0.0-2.0.0"), vec!["1.0.0", "1.5.0"]);
        assert_eq!(pick("2.0"), vec!["2.0.0"]);
        assert_eq!(pick(""), all);
        assert!(VersionRule::parse(Some("2.0.0-1.0.0")).is_err());
    }

    #[test]
    fn service_ids_dedupe_in_order_and_reject_bad_ids() {
        let ids = ServiceIds::parse(Some(vec!["b".into(), "a".into(), "b".into()])).unwrap();
        let ids: Vec<&str> = ids.iter().map(ServiceId::as_str).collect();
        assert_eq!(ids, ["b", "a"]);
        assert!(ServiceIds::parse(None).is_err());
        assert!(ServiceIds::parse(Some(vec![])).is_err());
        assert!(ServiceIds::parse(Some(vec!["a b".into()])).is_err());
        assert!(ServiceIds::parse(Some(vec!["x".repeat(65)])).is_err());
        assert!(ServiceIds::parse(Some(vec!["x".repeat(64)])).is_ok());
    }

    #[test]
    fn names_follow_service_center_rules() {
        for good in ["a", "a.b-c_d", "A1"] {
            assert!(is_name(good), "{good}");
        }
        for bad in ["-a", "a-", "a b", "a/b"] {
            assert!(!is_name(bad), "{bad}");
        }
    }
}
