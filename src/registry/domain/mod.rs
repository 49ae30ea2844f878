//! Registry request types, parsed once at the edge so that the rest of the area only
//! ever sees valid values. Rules follow Service Center's validators
//! (`server/service/validator/*.go`); see ../shared/reference/registry-api.md §3.
//! One file per resource; the checks they share stand here.

mod dependencies;
mod discovery;
mod govern;
mod instances;
mod schemas;
mod services;
mod tags;
mod version;

pub use dependencies::*;
pub use discovery::*;
pub use govern::*;
pub use instances::*;
pub use schemas::*;
pub use services::*;
pub use tags::*;
pub use version::*;

use super::error::RegistryError;

type Result<T> = std::result::Result<T, RegistryError>;

/// Java clients serialize an unset field as `null` (java-chassis sends the framework
/// version as `null` when its jar has no manifest); Service Center reads that as empty.
fn null_as_default<'de, D, T>(deserializer: D) -> std::result::Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    Ok(<Option<T> as serde::Deserialize>::deserialize(deserializer)?.unwrap_or_default())
}

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
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tenant {
    pub domain: String,
    pub project: String,
}

/// Lets a map keyed by tenant look one up by reference and copy it only to insert.
impl From<&Tenant> for Tenant {
    fn from(tenant: &Tenant) -> Self {
        tenant.clone()
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
