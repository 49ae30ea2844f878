//! Discovery queries: which provider versions a consumer asks for.

use super::*;

/// The query of `GET /instances`: which provider to find.
#[derive(Debug)]
pub struct FindQuery {
    pub app_id: String,
    /// A service name, or an alias of one.
    pub service_name: String,
    pub environment: Environment,
    pub versions: VersionRule,
    /// Whether a name no service has is tried as an alias (`GET /instances` does; the
    /// batch find does not).
    pub alias_fallback: bool,
}

impl FindQuery {
    /// `version` is read only with `version_rules` (Service Center 1.x); otherwise any
    /// value — sc-client's double-encoded `0%252B` included — finds every version.
    pub fn parse(
        app_id: Option<&str>,
        service_name: Option<&str>,
        env: Option<&str>,
        version: Option<&str>,
        version_rules: bool,
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
            versions: if version_rules {
                VersionRule::parse(version)?
            } else {
                VersionRule::All
            },
            alias_fallback: true,
        })
    }
}
