//! Instances: endpoints, status, health checks and leases.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;

use super::*;
use crate::kit::string_enum;

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

string_enum! {
    InstanceStatus {
        Up = "UP",
        Down = "DOWN",
        Starting = "STARTING",
        Testing = "TESTING",
        OutOfService = "OUTOFSERVICE",
    }
}

impl InstanceStatus {
    pub fn parse(s: &str) -> Result<Self> {
        Self::from_text(s).ok_or_else(|| field("status", s))
    }
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataCenter {
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub region: String,
    #[serde(default, deserialize_with = "null_as_default")]
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

string_enum! {
    HealthMode {
        Push = "push",
        Pull = "pull",
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
