//! What the governance views are asked for: which details, and which services.

use std::collections::BTreeMap;

use super::*;

/// The `options` of `GET /govern/microservices`: which details each entry carries.
#[derive(Debug, Default, Clone, Copy)]
pub struct DetailOptions {
    pub tags: bool,
    pub instances: bool,
    pub schemas: bool,
    pub dependencies: bool,
    pub statistics: bool,
}

impl DetailOptions {
    /// A comma list of `tags`, `instances`, `schemas`, `dependencies`, `statistics` and
    /// `all`; unknown values are ignored, as Service Center only logs them.
    pub fn parse(raw: Option<&str>) -> Self {
        let mut options = Self::default();
        for option in raw.unwrap_or("").split(',').map(str::trim) {
            match option {
                "tags" => options.tags = true,
                "instances" => options.instances = true,
                "schemas" => options.schemas = true,
                "dependencies" => options.dependencies = true,
                "statistics" => options.statistics = true,
                "all" => {
                    options = Self {
                        tags: true,
                        instances: true,
                        schemas: true,
                        dependencies: true,
                        statistics: true,
                    }
                }
                _ => {}
            }
        }
        options
    }

    /// Only `statistics` asked for: the reply holds nothing else.
    pub fn statistics_only(&self) -> bool {
        self.statistics && !(self.tags || self.instances || self.schemas || self.dependencies)
    }
}

/// `countOnly`: `0`, `1` or empty.
pub fn parse_count_only(raw: Option<&str>) -> Result<bool> {
    match raw.unwrap_or("") {
        "" | "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(invalid("parameter countOnly must be 1 or 0")),
    }
}

/// The `property` filters: `key:value` (split at the first `:`) or a bare `key`,
/// meaning the value "". A service matches when its properties hold every pair.
pub fn parse_property_filters<'a>(raw: impl Iterator<Item = &'a str>) -> BTreeMap<String, String> {
    raw.map(|p| match p.split_once(':') {
        Some((k, v)) => (k.to_owned(), v.to_owned()),
        None => (p.to_owned(), String::new()),
    })
    .collect()
}
