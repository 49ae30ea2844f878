//! How registry records render: Service Center's JSON shapes, empty fields omitted.

use std::collections::BTreeMap;

use std::sync::Arc;

use actix_web::HttpResponse;
use actix_web::web::Bytes;
use serde::Serialize;
use sha1::{Digest, Sha1};

use super::super::domain::{DataCenter, Framework, ServicePath};
use super::super::error::RegistryError;
use super::super::model::InstanceEntry;
use super::super::store::{InstanceRecord, ServiceRecord};
use super::Reply;

pub(super) fn from_column<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, RegistryError> {
    serde_json::from_str(text).map_err(|e| RegistryError::Internal(format!("stored JSON: {e}")))
}

/// A microservice as Service Center renders it (empty fields omitted, times as strings
/// of Unix seconds).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ServiceView {
    service_id: String,
    app_id: String,
    service_name: String,
    version: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    description: String,
    level: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    schemas: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    paths: Vec<ServicePath>,
    status: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    properties: BTreeMap<String, String>,
    timestamp: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    alias: String,
    mod_timestamp: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    environment: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    register_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    framework: Option<Framework>,
}

impl TryFrom<ServiceRecord> for ServiceView {
    type Error = RegistryError;

    fn try_from(r: ServiceRecord) -> Result<Self, RegistryError> {
        Ok(Self {
            schemas: from_column(&r.schemas)?,
            paths: from_column(&r.paths)?,
            properties: from_column(&r.properties)?,
            framework: r.framework.as_deref().map(from_column).transpose()?,
            service_id: r.service_id,
            app_id: r.app_id,
            service_name: r.service_name,
            version: r.version,
            description: r.description,
            level: r.level,
            status: r.status,
            timestamp: r.created_at.to_string(),
            alias: r.alias,
            mod_timestamp: r.modified_at.to_string(),
            environment: r.environment,
            register_by: r.register_by,
        })
    }
}

impl ServiceView {
    /// The governance list leaves the schema ids out, as Service Center's does.
    pub(super) fn without_schemas(mut self) -> Self {
        self.schemas.clear();
        self
    }

    pub(super) fn id(&self) -> &str {
        &self.service_id
    }

    pub(super) fn name(&self) -> &str {
        &self.service_name
    }

    pub(super) fn app_id(&self) -> &str {
        &self.app_id
    }

    pub(super) fn version(&self) -> &str {
        &self.version
    }
}

pub(super) fn service_views(
    records: Vec<ServiceRecord>,
) -> Result<Vec<ServiceView>, RegistryError> {
    records.into_iter().map(ServiceView::try_from).collect()
}

#[derive(Serialize)]
pub(super) struct HealthCheckView {
    mode: String,
    #[serde(skip_serializing_if = "is_zero")]
    port: i64,
    interval: i64,
    times: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    url: String,
}

pub(super) fn is_zero(n: &i64) -> bool {
    *n == 0
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct InstanceView {
    instance_id: String,
    service_id: String,
    endpoints: Vec<String>,
    host_name: String,
    status: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    properties: BTreeMap<String, String>,
    health_check: HealthCheckView,
    timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_center_info: Option<DataCenter>,
    mod_timestamp: String,
    version: String,
}

impl TryFrom<InstanceRecord> for InstanceView {
    type Error = RegistryError;

    fn try_from(r: InstanceRecord) -> Result<Self, RegistryError> {
        Ok(Self {
            endpoints: from_column(&r.endpoints)?,
            properties: from_column(&r.properties)?,
            data_center_info: r.data_center.as_deref().map(from_column).transpose()?,
            instance_id: r.instance_id,
            service_id: r.service_id,
            host_name: r.host_name,
            status: r.status,
            health_check: HealthCheckView {
                mode: r.health_mode,
                port: r.health_port,
                interval: r.health_interval,
                times: r.health_times,
                url: r.health_url,
            },
            timestamp: r.created_at.to_string(),
            mod_timestamp: r.modified_at.to_string(),
            version: r.version,
        })
    }
}

impl InstanceView {
    /// The governance list strips instance properties to the keys Service Center is
    /// configured to show, which by default are none.
    pub(super) fn without_properties(mut self) -> Self {
        self.properties.clear();
        self
    }
}

/// The answer of discovery, `{"instances":[...]}` or `{}` as Service Center replies, with
/// an `X-Resource-Revision` that changes whenever the reply would; a client that sends
/// the revision it already holds as `rev` gets 304 instead of the same list again.
pub(super) fn revision_reply(body: Bytes, revision: &str, known: Option<&str>) -> Reply {
    if known == Some(revision) {
        return Ok(HttpResponse::NotModified()
            .insert_header(("X-Resource-Revision", revision))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header(("X-Resource-Revision", revision))
        .content_type("application/json")
        .body(body))
}

/// How the read model keeps an instance: its JSON object as `GET …/instances/{id}`
/// shows it, rendered once when the committed row comes in. It takes the record by
/// value: at start it runs once per instance, and cloning fourteen strings each time
/// was a good part of the start's allocations.
pub fn instance_json(record: InstanceRecord) -> Result<String, RegistryError> {
    serde_json::to_string(&InstanceView::try_from(record)?)
        .map_err(|e| RegistryError::Internal(e.to_string()))
}

/// Discovery's answer: `{"instances":[...]}` (or `{}` when there are none) and its
/// revision, the SHA-1 of its instances' SHA-1s in order (the body is those instances'
/// JSON in that order), so it changes exactly when the answer would (heartbeats do not
/// touch what is rendered) and is the same whichever route asks. Over the whole body it
/// was 3 % of discovery's time.
pub(super) struct Listing {
    pub body: Bytes,
    pub rev: String,
}

const HEAD: &[u8] = b"{\"instances\":[";

impl Listing {
    pub fn of(live: &[Arc<InstanceEntry>]) -> Self {
        let body: Bytes = if live.is_empty() {
            Bytes::from_static(b"{}")
        } else {
            let mut body = Vec::with_capacity(
                HEAD.len() + 2 + live.iter().map(|e| e.json.len() + 1).sum::<usize>(),
            );
            body.extend_from_slice(HEAD);
            for (n, entry) in live.iter().enumerate() {
                if n > 0 {
                    body.push(b',');
                }
                body.extend_from_slice(entry.json.as_bytes());
            }
            body.extend_from_slice(b"]}");
            body.into()
        };
        let mut digests = Sha1::new();
        for entry in live {
            digests.update(entry.digest());
        }
        let rev = hex::encode(digests.finalize());
        Self { body, rev }
    }

    /// The instances array alone, `[...]` (the batch find embeds it); `None` when empty.
    pub fn array(&self) -> Option<&str> {
        let array = self
            .body
            .get(HEAD.len() - 1..self.body.len().checked_sub(1)?)?;
        std::str::from_utf8(array)
            .ok()
            .filter(|a| a.starts_with('['))
    }
}
