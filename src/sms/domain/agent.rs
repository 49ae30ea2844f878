//! What the migration agent reports: copy state, disks, command results, progress and
//! network checks. Limits and codes from the v3 reference (§2.4 of sms-surface.md).

use serde::{Deserialize, Serialize};

use super::*;
use crate::kit::string_enum;

string_enum! {
    /// A migration stage (`migration_cycle`), as the agent reports it.
    MigrationCycle {
        NoReady = "no_ready",
        ReadyForTest = "ready_for_test",
        Testing = "testing",
        Tested = "tested",
        Cutovering = "cutovering",
        Cutovered = "cutovered",
        Checking = "checking",
        Setting = "setting",
        Replicating = "replicating",
        Syncing = "syncing",
    }
}

/// `PUT /v3/sources/{id}/changestate`.
#[derive(Debug, Deserialize)]
pub struct CopyStateBody {
    pub copystate: Option<String>,
    pub migrationcycle: Option<String>,
}

/// A checked copy state: the pair is one the reference allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyState {
    pub state: SourceState,
    pub cycle: MigrationCycle,
}

impl CopyState {
    pub fn parse(body: CopyStateBody) -> Result<Self, SmsError> {
        let bad = |param: &str, msg: String| SmsError::bad("SMS.6011", param, msg);
        let state = body
            .copystate
            .as_deref()
            .and_then(SourceState::parse)
            .ok_or_else(|| bad("copystate", "copystate is not a source server state".into()))?;
        let cycle = body
            .migrationcycle
            .as_deref()
            .and_then(|c| MigrationCycle::from_text(&c.trim().to_ascii_lowercase()))
            .ok_or_else(|| {
                bad(
                    "migrationcycle",
                    "migrationcycle is not a migration stage".into(),
                )
            })?;
        use SourceState::*;
        let allowed: &[SourceState] = match cycle {
            MigrationCycle::Checking => &[Unavailable, Waiting],
            MigrationCycle::Setting => &[Waiting, PremigReady, Premiging, Premiged, PremigFailed],
            MigrationCycle::Replicating => {
                &[Initialize, Replicate, Deleting, Stopping, Error, Stopped]
            }
            MigrationCycle::Syncing => &[Syncing, Cloning, Deleting, Stopping, Error, Stopped],
            MigrationCycle::Cutovering => &[Cutovering, Deleting, Stopping, Error, Stopped],
            MigrationCycle::Cutovered => &[Finished, Deleting, Stopping, Error, Stopped],
            // The reference pairs no state with these stages: any state goes.
            _ => SourceState::ALL,
        };
        if !allowed.contains(&state) {
            return Err(bad(
                "copystate",
                format!("copystate {state} does not go with migrationcycle {cycle}"),
            ));
        }
        Ok(Self { state, cycle })
    }
}

/// While a source is in one of these states the agent's copy state is ignored (200,
/// nothing changes), as the reference documents.
pub fn ignores_copy_state(current: SourceState) -> bool {
    use SourceState::*;
    matches!(
        current,
        Unavailable | Stopping | Stopped | Deleting | Finished | Clearing | ClearFailed
    )
}

/// `PUT /v3/sources/{id}/diskinfo`: replaces the disk layout the agent registered.
#[derive(Debug, Deserialize)]
pub struct DiskInfoBody {
    pub disks: Option<Vec<serde_json::Value>>,
    pub volumegroups: Option<Vec<serde_json::Value>>,
    pub btrfs_list: Option<Vec<serde_json::Value>>,
}

impl DiskInfoBody {
    pub fn check(&self) -> Result<(), SmsError> {
        for (field, list) in [("disks", &self.disks), ("volumegroups", &self.volumegroups)] {
            if list.as_ref().is_some_and(|l| l.len() > 50) {
                return Err(SmsError::bad(
                    "SMS.6011",
                    field,
                    format!("{field} holds at most 50 entries"),
                ));
            }
        }
        Ok(())
    }
}

string_enum! {
    /// The commands an agent reports a result for.
    CommandName {
        Start = "START",
        Stop = "STOP",
        Delete = "DELETE",
        Sync = "SYNC",
        UploadLog = "UPLOAD_LOG",
        ResetLogAcl = "RSET_LOG_ACL",
    }
}

/// `POST /v3/sources/{id}/command_result`.
#[derive(Debug, Deserialize)]
pub struct CommandResultBody {
    pub command_name: Option<String>,
    pub result: Option<String>,
    pub result_detail: Option<serde_json::Value>,
}

#[derive(Debug, Clone)]
pub struct CommandResult {
    pub command: CommandName,
    pub success: bool,
    pub detail: serde_json::Value,
}

impl CommandResult {
    pub fn parse(body: Option<CommandResultBody>) -> Result<Self, SmsError> {
        let body =
            body.ok_or_else(|| SmsError::bad("SMS.2035", "body", "the request body is empty"))?;
        let bad = |param: &str, msg: &str| SmsError::bad("SMS.2032", param, msg);
        let command = body
            .command_name
            .as_deref()
            .and_then(CommandName::from_text)
            .ok_or_else(|| {
                bad(
                    "command_name",
                    "command_name must be START, STOP, DELETE, SYNC, UPLOAD_LOG or RSET_LOG_ACL",
                )
            })?;
        let success = match body.result.as_deref() {
            Some("success") => true,
            Some("fail") => false,
            _ => return Err(bad("result", "result must be success or fail")),
        };
        let detail = match body.result_detail {
            Some(d @ serde_json::Value::Object(_)) => d,
            None => serde_json::json!({}),
            Some(_) => return Err(bad("result_detail", "result_detail must be a JSON object")),
        };
        Ok(Self {
            command,
            success,
            detail,
        })
    }
}

string_enum! {
    /// The subtasks a migration runs (UpdateTaskSpeedReq's enum, in its order).
    SubtaskName {
        CreateCloudServer = "CREATE_CLOUD_SERVER",
        SslConfig = "SSL_CONFIG",
        AttachAgentImage = "ATTACH_AGENT_IMAGE",
        DetachAgentImage = "DETTACH_AGENT_IMAGE",
        FormatDiskLinux = "FORMAT_DISK_LINUX",
        FormatDiskLinuxFile = "FORMAT_DISK_LINUX_FILE",
        FormatDiskLinuxBlock = "FORMAT_DISK_LINUX_BLOCK",
        FormatDiskWindows = "FORMAT_DISK_WINDOWS",
        MigrateLinuxFile = "MIGRATE_LINUX_FILE",
        MigrateLinuxBlock = "MIGRATE_LINUX_BLOCK",
        MigrateWindowsBlock = "MIGRATE_WINDOWS_BLOCK",
        CloneVm = "CLONE_VM",
        SyncLinuxFile = "SYNC_LINUX_FILE",
        SyncLinuxBlock = "SYNC_LINUX_BLOCK",
        SyncWindowsBlock = "SYNC_WINDOWS_BLOCK",
        ConfigureLinux = "CONFIGURE_LINUX",
        ConfigureLinuxBlock = "CONFIGURE_LINUX_BLOCK",
        ConfigureLinuxFile = "CONFIGURE_LINUX_FILE",
        ConfigureWindows = "CONFIGURE_WINDOWS",
    }
}

/// `PUT /v3/tasks/{id}/progress` (UpdateTaskSpeedReq).
#[derive(Debug, Deserialize)]
pub struct ProgressBody {
    pub subtask_name: Option<String>,
    pub progress: Option<i64>,
    pub replicatesize: Option<i64>,
    pub totalsize: Option<i64>,
    pub process_trace: Option<String>,
    pub migrate_speed: Option<f64>,
    pub compress_rate: Option<f64>,
    pub remain_time: Option<i64>,
    pub total_cpu_usage: Option<f64>,
    pub agent_cpu_usage: Option<f64>,
    pub total_mem_usage: Option<f64>,
    pub agent_mem_usage: Option<f64>,
    pub total_disk_io: Option<f64>,
    pub agent_disk_io: Option<f64>,
    pub need_migration_test: Option<bool>,
    pub agent_time: Option<String>,
}

/// A checked progress report.
#[derive(Debug, Clone)]
pub struct Progress {
    pub subtask: SubtaskName,
    pub progress: i64,
    pub replicatesize: i64,
    pub totalsize: i64,
    pub process_trace: String,
    pub migrate_speed: Option<f64>,
    pub compress_rate: Option<f64>,
    /// Seconds.
    pub remain_time: Option<i64>,
    pub total_cpu_usage: Option<f64>,
    pub agent_cpu_usage: Option<f64>,
    pub total_mem_usage: Option<f64>,
    pub agent_mem_usage: Option<f64>,
    pub total_disk_io: Option<f64>,
    pub agent_disk_io: Option<f64>,
    pub need_migration_test: Option<bool>,
}

fn within(field: &str, value: Option<f64>, max: f64) -> Result<Option<f64>, SmsError> {
    match value {
        Some(v) if !(0.0..=max).contains(&v) => Err(SmsError::bad(
            "SMS.6102",
            field,
            format!("{field} must be from 0 to {max}"),
        )),
        other => Ok(other),
    }
}

impl Progress {
    pub fn parse(body: Option<ProgressBody>) -> Result<Self, SmsError> {
        let b =
            body.ok_or_else(|| SmsError::bad("SMS.6102", "body", "the request body is empty"))?;
        let subtask = b
            .subtask_name
            .as_deref()
            .and_then(SubtaskName::from_text)
            .ok_or_else(|| SmsError::bad("SMS.6004", "subtask_name", "illegal subtask name"))?;
        let progress = b
            .progress
            .filter(|p| (0..=100).contains(p))
            .ok_or_else(|| {
                SmsError::bad(
                    "SMS.6101",
                    "progress",
                    "progress must be an integer from 0 to 100",
                )
            })?;
        let size = |field: &str, v: Option<i64>| {
            v.filter(|v| *v >= 0).ok_or_else(|| {
                SmsError::bad("SMS.6102", field, format!("{field} is required, in bytes"))
            })
        };
        // In the order of the model's fields, so the first missing one is named.
        let replicatesize = size("replicatesize", b.replicatesize)?;
        let totalsize = size("totalsize", b.totalsize)?;
        let process_trace = b.process_trace.ok_or_else(|| {
            SmsError::bad("SMS.6102", "process_trace", "process_trace is required")
        })?;
        if process_trace.chars().count() > 2048 {
            return Err(SmsError::bad(
                "SMS.6102",
                "process_trace",
                "process_trace holds at most 2048 characters",
            ));
        }
        let remain_time = b
            .remain_time
            .map(|r| {
                (0..=i64::from(i32::MAX))
                    .contains(&r)
                    .then_some(r)
                    .ok_or_else(|| {
                        SmsError::bad("SMS.6102", "remain_time", "remain_time must be 0 to 2^31-1")
                    })
            })
            .transpose()?;
        Ok(Self {
            subtask,
            progress,
            replicatesize,
            totalsize,
            process_trace,
            migrate_speed: within("migrate_speed", b.migrate_speed, 10000.0)?,
            compress_rate: within("compress_rate", b.compress_rate, 10000.0)?,
            remain_time,
            total_cpu_usage: within("total_cpu_usage", b.total_cpu_usage, 100.0)?,
            agent_cpu_usage: within("agent_cpu_usage", b.agent_cpu_usage, 100.0)?,
            total_mem_usage: within("total_mem_usage", b.total_mem_usage, 1_048_576.0)?,
            agent_mem_usage: within("agent_mem_usage", b.agent_mem_usage, 1_048_576.0)?,
            total_disk_io: within("total_disk_io", b.total_disk_io, 10000.0)?,
            agent_disk_io: within("agent_disk_io", b.agent_disk_io, 10000.0)?,
            need_migration_test: b.need_migration_test,
        })
    }
}

/// `POST /v3/{task_id}/update-network-check-info` (NetworkCheckInfoRequestBody); stored and
/// shown back as the task's `network_check_info` with these field names.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct NetworkCheckInfo {
    pub domain_connectivity: Option<bool>,
    pub destination_connectivity: Option<bool>,
    pub network_delay: Option<f64>,
    pub network_jitter: Option<f64>,
    pub migration_speed: Option<f64>,
    pub loss_percentage: Option<f64>,
    pub cpu_usage: Option<f64>,
    pub mem_usage: Option<f64>,
    pub evaluation_result: Option<String>,
}

impl NetworkCheckInfo {
    pub fn parse(body: Option<Self>) -> Result<Self, SmsError> {
        let b =
            body.ok_or_else(|| SmsError::bad("SMS.6012", "body", "the request body is empty"))?;
        for (field, value, max) in [
            ("network_delay", b.network_delay, 10000.0),
            ("network_jitter", b.network_jitter, 10000.0),
            ("migration_speed", b.migration_speed, 10000.0),
            ("loss_percentage", b.loss_percentage, 100.0),
            ("cpu_usage", b.cpu_usage, 100.0),
            ("mem_usage", b.mem_usage, 100.0),
        ] {
            if !value.is_some_and(|v| (0.0..=max).contains(&v)) {
                return Err(SmsError::bad(
                    "SMS.6011",
                    field,
                    format!("{field} is required, from 0 to {max}"),
                ));
            }
        }
        if b.evaluation_result
            .as_deref()
            .is_none_or(|r| r.chars().count() > 9)
        {
            return Err(SmsError::bad(
                "SMS.6011",
                "evaluation_result",
                "evaluation_result is required, at most 9 characters",
            ));
        }
        Ok(b)
    }
}
