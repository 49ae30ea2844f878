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
