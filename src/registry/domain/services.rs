//! Microservices: keys, names, levels and the body a registration sends.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use sha1::{Digest, Sha1};

use super::*;
use crate::kit::string_enum;

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
    pub const MAX: usize = 1000;

    pub fn parse(ids: Option<Vec<String>>) -> Result<Self> {
        let ids = ids.unwrap_or_default();
        if ids.is_empty() {
            return Err(invalid("serviceIds must hold at least one service id"));
        }
        // Service Center sets no maximum; unbounded, one request held the writer for
        // half a minute and answered 13 MB.
        if ids.len() > Self::MAX {
            return Err(invalid(format!(
                "serviceIds holds at most {} service ids, got {}",
                Self::MAX,
                ids.len()
            )));
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

string_enum! {
    /// `development|testing|acceptance|production`, or empty (its own, distinct environment).
    Environment {
        None = "",
        Development = "development",
        Testing = "testing",
        Acceptance = "acceptance",
        Production = "production",
    }
}

impl Environment {
    pub fn parse(s: Option<&str>) -> Result<Self> {
        let s = s.unwrap_or("");
        Self::from_text(s).ok_or_else(|| field("environment", s))
    }
}

pub(super) fn parse_app_id(s: Option<&str>, default: Option<&str>) -> Result<String> {
    let s = s.filter(|s| !s.is_empty()).or(default).unwrap_or("");
    if len_within(s, 1, 160) && is_name(s) {
        Ok(s.to_owned())
    } else {
        Err(field("appId", s))
    }
}

pub(super) fn parse_service_name(s: Option<&str>) -> Result<String> {
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

string_enum! {
    Level {
        Front = "FRONT",
        Middle = "MIDDLE",
        Back = "BACK",
    }
}

impl Level {
    fn parse(s: Option<&str>) -> Result<Self> {
        match s.unwrap_or("") {
            "" => Ok(Self::Back),
            other => Self::from_text(other).ok_or_else(|| field("level", other)),
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
    #[serde(default, deserialize_with = "null_as_default")]
    pub path: String,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub property: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct Framework {
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub name: String,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "String::is_empty"
    )]
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

#[cfg(test)]
mod tests {
    use super::*;

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
