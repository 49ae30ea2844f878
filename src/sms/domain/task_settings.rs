//! What a user sets on a task: its bandwidth schedule, agent configuration settings,
//! log collection; and the consistency results the agent posts.

use serde::{Deserialize, Serialize};

use super::*;
use crate::kit::string_enum;

/// One window of a task's bandwidth schedule (`SpeedLimitlJson`, the SDK's spelling).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct SpeedWindow {
    pub start: String,
    pub end: String,
    #[serde(default)]
    pub speed: i64,
    #[serde(default = "default_threshold")]
    pub over_speed_threshold: f64,
}

fn default_threshold() -> f64 {
    10.0
}

/// `H:MM` or `HH:MM` within a day, as minutes.
/// `H:MM` or `HH:MM` as minutes of the day.
pub fn minutes(raw: &str) -> Option<u32> {
    let (h, m) = raw.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

#[derive(Debug, Deserialize)]
pub struct SpeedLimitBody {
    pub speed_limit: Option<Vec<SpeedWindow>>,
}

/// Checks a schedule: at most 5 windows, each `start` before `end`, speeds 0–1000
/// Mbit/s, thresholds 10–100 %, and no two windows overlapping.
pub fn parse_speed_limits(body: Option<SpeedLimitBody>) -> Result<Vec<SpeedWindow>, SmsError> {
    let windows = body
        .and_then(|b| b.speed_limit)
        .ok_or_else(|| SmsError::bad("SMS.6102", "speed_limit", "speed_limit is required"))?;
    if windows.len() > 5 {
        return Err(SmsError::bad(
            "SMS.6102",
            "speed_limit",
            "speed_limit holds at most 5 windows",
        ));
    }
    let mut spans = Vec::with_capacity(windows.len());
    for (i, w) in windows.iter().enumerate() {
        let field = |name: &str| format!("speed_limit[{i}].{name}");
        let bad = |name: &str, msg: &str| SmsError::bad("SMS.6102", &field(name), msg);
        let start = minutes(&w.start).ok_or_else(|| bad("start", "start must be H:MM"))?;
        let end = minutes(&w.end).ok_or_else(|| bad("end", "end must be H:MM"))?;
        if start >= end {
            return Err(bad("end", "end must be after start"));
        }
        if !(0..=1000).contains(&w.speed) {
            return Err(bad("speed", "speed must be 0 to 1000 Mbit/s"));
        }
        if !(10.0..=100.0).contains(&w.over_speed_threshold) {
            return Err(bad(
                "over_speed_threshold",
                "over_speed_threshold must be 10 to 100 %",
            ));
        }
        if spans.iter().any(|&(s, e)| start < e && s < end) {
            return Err(bad("start", "the window overlaps another one"));
        }
        spans.push((start, end));
    }
    Ok(windows)
}

string_enum! {
    /// The configuration settings an agent reads for a task (ConfigBody.config_key).
    ConfigKey {
        MigrateExcludeDir = "MIGRATE_EXCLUDE_DIR",
        SyncExcludeDir = "SYNC_EXCLUDE_DIR",
        OnlySyncDir = "ONLY_SYNC_DIR",
        ConsistencyDir = "CONSISTENCY_DIR",
        ConsistencyDirIllegal = "CONSISTENCY_DIR_ILLEGAL",
        LinuxBlockCompressThreadNum = "LINUX_BLOCK_COMPRESS_THREAD_NUM",
        MigrateDstIp = "MIGRATE_DST_IP",
        LinuxBlockCacheSize = "LINUX_BLOCK_CACHE_SIZE",
        LinuxCpuLimit = "LINUX_CPU_LIMIT",
        LinuxMemLimit = "LINUX_MEM_LIMIT",
        LinuxIoLimit = "LINUX_IO_LIMIT",
        NumProcessMigrate = "NUM_PROCESS_MIGRATE",
        NumProcessSync = "NUM_PROCESS_SYNC",
        ConsistencyRecheck = "CONSISTENCY_RECHECK",
        ConsistencyMode = "CONSISTENCY_MODE",
        DynamicPort = "DYNAMIC_PORT",
        InstallPwdAgent = "INSTALL_PWD_AGENT",
    }
}

/// One setting as sent and shown (ConfigBody).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ConfigSetting {
    pub config_key: String,
    pub config_value: String,
    #[serde(default)]
    pub config_status: String,
}

#[derive(Debug, Deserialize)]
pub struct ConfigSettingsBody {
    pub configurations: Option<Vec<ConfigSetting>>,
}

/// At most 50 settings per request, each a documented key with a value of at most 1024
/// characters.
pub fn parse_config_settings(
    body: Option<ConfigSettingsBody>,
) -> Result<Vec<(ConfigKey, ConfigSetting)>, SmsError> {
    let items = body
        .and_then(|b| b.configurations)
        .ok_or_else(|| SmsError::bad("SMS.6011", "configurations", "configurations is required"))?;
    if items.len() > 50 {
        return Err(SmsError::bad(
            "SMS.6011",
            "configurations",
            "configurations holds at most 50 settings",
        ));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let key = ConfigKey::from_text(&c.config_key).ok_or_else(|| {
                SmsError::bad(
                    "SMS.6011",
                    &format!("configurations[{i}].config_key"),
                    format!("{} is not a documented config_key", c.config_key),
                )
            })?;
            if c.config_value.chars().count() > 1024 || c.config_status.chars().count() > 255 {
                return Err(SmsError::bad(
                    "SMS.6011",
                    &format!("configurations[{i}].config_value"),
                    "config_value holds at most 1024 characters, config_status 255",
                ));
            }
            Ok((key, c))
        })
        .collect()
}

/// One directory of a consistency check (ConsistencyResult).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ConsistencyResult {
    pub dir_check: String,
    pub num_total_files: i64,
    pub num_different_files: i64,
    pub num_target_miss_files: i64,
    pub num_target_more_files: i64,
}

#[derive(Debug, Deserialize)]
pub struct ConsistencyBody {
    pub consistency_result: Option<Vec<ConsistencyResult>>,
}

pub fn parse_consistency(
    body: Option<ConsistencyBody>,
) -> Result<Vec<ConsistencyResult>, SmsError> {
    let items = body.and_then(|b| b.consistency_result).ok_or_else(|| {
        SmsError::bad(
            "SMS.6011",
            "consistency_result",
            "consistency_result is required",
        )
    })?;
    if items.len() > 30 {
        return Err(SmsError::bad(
            "SMS.6011",
            "consistency_result",
            "consistency_result holds at most 30 directories",
        ));
    }
    for (i, r) in items.iter().enumerate() {
        let counts = [
            r.num_total_files,
            r.num_different_files,
            r.num_target_miss_files,
            r.num_target_more_files,
        ];
        if r.dir_check.chars().count() > 1024 || counts.iter().any(|n| !(0..=1_000_000).contains(n))
        {
            return Err(SmsError::bad(
                "SMS.6011",
                &format!("consistency_result[{i}]"),
                "dir_check holds at most 1024 characters and each count is 0 to 1,000,000",
            ));
        }
    }
    Ok(items)
}

/// `POST /v3/tasks/consistency-results/export`: which tasks to put in the file.
#[derive(Debug, Deserialize)]
pub struct ExportBody {
    pub task_info: Option<Vec<ExportTask>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ExportTask {
    pub task_id: String,
    #[serde(default)]
    pub source_id: String,
    #[serde(default)]
    pub source_name: String,
}

pub fn parse_export(body: Option<ExportBody>) -> Result<Vec<ExportTask>, SmsError> {
    let tasks = body
        .and_then(|b| b.task_info)
        .filter(|t| (1..=200).contains(&t.len()))
        .ok_or_else(|| {
            SmsError::bad(
                "SMS.6011",
                "task_info",
                "task_info must hold 1 to 200 tasks",
            )
        })?;
    for (i, t) in tasks.iter().enumerate() {
        if t.task_id.is_empty() || t.task_id.chars().count() > 36 {
            return Err(SmsError::bad(
                "SMS.6011",
                &format!("task_info[{i}].task_id"),
                "task_id must be 1 to 36 characters",
            ));
        }
    }
    Ok(tasks)
}

/// `POST /v3/tasks/{id}/log`.
#[derive(Debug, Deserialize)]
pub struct CollectLogBody {
    pub log_bucket: Option<String>,
}

pub fn parse_log_bucket(body: Option<CollectLogBody>) -> Result<String, SmsError> {
    body.and_then(|b| b.log_bucket)
        .filter(|b| !b.is_empty() && b.chars().count() <= 255)
        .ok_or_else(|| {
            SmsError::bad(
                "SMS.6011",
                "log_bucket",
                "log_bucket must be 1 to 255 characters",
            )
        })
}

/// The passphrase of a task's secure-channel certificate: 32 random URL-safe characters.
pub fn new_passphrase() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The certificate bundle of a task's secure channel (`show_cert_key`). cloudtwin makes
/// PEM-framed blocks of random bytes, not parsable X.509: nothing in the twin opens the
/// channel they would secure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertBundle {
    pub cert: String,
    pub private_key: String,
    pub ca: String,
    pub target_mgmt_cert: String,
    pub target_mgmt_private_key: String,
    pub target_data_cert: String,
    pub target_data_private_key: String,
}

fn pem_block(label: &str) -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 384];
    rand::thread_rng().fill_bytes(&mut bytes);
    let body = base64::engine::general_purpose::STANDARD.encode(bytes);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

impl CertBundle {
    pub fn generate() -> Self {
        Self {
            cert: pem_block("CERTIFICATE"),
            private_key: pem_block("PRIVATE KEY"),
            ca: pem_block("CERTIFICATE"),
            target_mgmt_cert: pem_block("CERTIFICATE"),
            target_mgmt_private_key: pem_block("PRIVATE KEY"),
            target_data_cert: pem_block("CERTIFICATE"),
            target_data_private_key: pem_block("PRIVATE KEY"),
        }
    }
}

/// Bytes per millisecond at 1 Mbit/s.
const BYTES_PER_MS_PER_MBIT: f64 = 125.0;
const DAY_MS: i64 = 86_400_000;

/// The transfer rate: the simulated rate (already capped by the task's `speed_limit`),
/// capped again inside the task's speed-limit windows (minutes of the UTC day; a speed
/// of 0 means unlimited, as in the API).
#[derive(Debug, Clone, PartialEq)]
pub struct Rate {
    pub mbit: f64,
    pub windows: Vec<(i64, i64, i64)>,
}

impl Rate {
    pub fn new(simulated_mbit: f64, task_speed_limit: i64, windows: Vec<(i64, i64, i64)>) -> Self {
        let mut mbit = simulated_mbit.max(1.0);
        if task_speed_limit > 0 {
            mbit = mbit.min(task_speed_limit as f64);
        }
        Rate { mbit, windows }
    }

    /// The rate at `t` and the instant it may next change (a window's edge or midnight).
    pub fn at(&self, t: i64) -> (f64, i64) {
        let day = t.div_euclid(DAY_MS) * DAY_MS;
        let of_day = t - day;
        let (mut mbit, mut next) = (self.mbit, day + DAY_MS);
        for &(start, end, speed) in &self.windows {
            let (start, end) = (start * 60_000, end * 60_000);
            if (start..end).contains(&of_day) {
                if speed > 0 {
                    mbit = mbit.min(speed as f64);
                }
                next = next.min(day + end);
            } else if of_day < start {
                next = next.min(day + start);
            }
        }
        (mbit, next.max(t + 1))
    }

    /// Bytes copied from `from` to `to`.
    pub fn bytes_between(&self, from: i64, to: i64) -> i64 {
        let (mut t, mut bytes) = (from, 0.0);
        while t < to {
            let (mbit, next) = self.at(t);
            let until = next.min(to);
            bytes += mbit * BYTES_PER_MS_PER_MBIT * (until - t) as f64;
            t = until;
        }
        bytes as i64
    }

    /// When `bytes` more have been copied, starting at `from`.
    pub fn finish(&self, from: i64, bytes: i64) -> i64 {
        let (mut t, mut left) = (from, bytes.max(0) as f64);
        loop {
            let (mbit, next) = self.at(t);
            let per_ms = mbit * BYTES_PER_MS_PER_MBIT;
            let here = per_ms * (next - t) as f64;
            if here >= left {
                return t + (left / per_ms).ceil() as i64;
            }
            left -= here;
            t = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_windows_slow_the_copy_inside_them() {
        // 00:00–00:10 UTC at 10 Mbit/s, then the full 1,000.
        let rate = Rate::new(1000.0, 0, vec![(0, 10, 10)]);
        assert_eq!(rate.at(0), (10.0, 600_000));
        assert_eq!(rate.bytes_between(0, 600_000), 10 * 125 * 600_000);
        assert_eq!(rate.at(600_000).0, 1000.0);
        let capped = Rate::new(1000.0, 50, vec![]);
        assert_eq!(capped.at(0).0, 50.0);
    }
}
