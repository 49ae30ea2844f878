//! All registry SQL, one file per resource. Every function takes the connection of a
//! transaction the handler opened (and commits): none begins or commits on its own.
//! Every lookup is scoped by tenant (domain + project) so that another tenant's rows
//! look exactly like missing ones.

use super::error::RegistryError;

type Result<T> = std::result::Result<T, RegistryError>;

macro_rules! select_service {
    ($rest:literal) => {
        concat!(
            "SELECT service_id, environment, app_id, service_name, version, alias, description, ",
            "level, status, register_by, schemas, paths, properties, framework, created_at, ",
            "modified_at FROM microservices ",
            $rest
        )
    };
}

/// The columns of an [`InstanceRecord`], unqualified: SQLite's `RETURNING` takes no
/// table alias, and the reads below join nothing.
macro_rules! instance_columns {
    () => {
        concat!(
            "service_id, instance_id, host_name, endpoints, status, properties, ",
            "health_mode, health_interval, health_times, health_port, health_url, ",
            "data_center, version, created_at, modified_at, last_heartbeat_ms "
        )
    };
}

macro_rules! select_instance {
    ($rest:literal) => {
        concat!("SELECT ", instance_columns!(), "FROM instances i ", $rest)
    };
}

/// The instance columns with the row's tenant first, for the read model's load.
macro_rules! select_instance_of_tenant {
    ($rest:literal) => {
        concat!(
            "SELECT i.domain, i.project, i.service_id, i.instance_id, i.host_name, i.endpoints, ",
            "i.status, i.properties, i.health_mode, i.health_interval, i.health_times, ",
            "i.health_port, i.health_url, i.data_center, i.version, i.created_at, i.modified_at, ",
            "i.last_heartbeat_ms FROM instances i ",
            $rest
        )
    };
}

fn to_json(value: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| RegistryError::Internal(e.to_string()))
}

fn service_missing() -> RegistryError {
    RegistryError::ServiceNotExists("Service does not exist.".into())
}

fn instance_missing() -> RegistryError {
    RegistryError::InstanceNotExists("Instance does not exist.".into())
}

mod dependencies;
mod instances;
mod schemas;
mod services;
mod snapshot;
mod tags;
mod watch;

pub use dependencies::*;
pub use instances::*;
pub use schemas::*;
pub use services::*;
pub use snapshot::*;
pub use tags::*;
pub use watch::*;
