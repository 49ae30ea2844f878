//! Dependency rules: a consumer names provider services by name, not version.

use serde::Deserialize;

use super::*;

/// A provider named by environment, app and service name: dependencies hold on every
/// version of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProviderName {
    pub environment: Environment,
    pub app_id: String,
    pub service_name: String,
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
