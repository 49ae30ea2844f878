//! SMS rules: the state enums, the deletion rule, task state transitions, and the
//! validated shapes of request input.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::SmsError;
use crate::config::DeleteRule;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// A source server's state as the agent and the service report it.
    SourceState {
        Unavailable = "unavailable",
        Waiting = "waiting",
        Initialize = "initialize",
        Replicate = "replicate",
        Syncing = "syncing",
        Stopping = "stopping",
        Stopped = "stopped",
        Skipping = "skipping",
        Deleting = "deleting",
        Clearing = "clearing",
        Cleared = "cleared",
        ClearFailed = "clearfailed",
        PremigReady = "premigready",
        Premiging = "premiging",
        Premiged = "premiged",
        PremigFailed = "premigfailed",
        Cloning = "cloning",
        Cutovering = "cutovering",
        Finished = "finished",
        Error = "error",
    }
}

impl SourceState {
    /// Accepts any case, and the `init` spelling some SDK docstrings use.
    pub fn parse(raw: &str) -> Option<Self> {
        let lower = raw.trim().to_ascii_lowercase();
        if lower == "init" {
            return Some(SourceState::Initialize);
        }
        Self::ALL.iter().copied().find(|s| s.as_str() == lower)
    }

    /// The current docs' deny-list: while connected, a source in one of these states is
    /// busy and its task cannot be deleted.
    pub fn is_running(self) -> bool {
        use SourceState::*;
        matches!(
            self,
            Initialize
                | Stopping
                | Deleting
                | Cloning
                | Replicate
                | Syncing
                | Cutovering
                | Skipping
                | Clearing
                | Premiging
        )
    }

    /// The older docs' allow-list: only these states permit deletion while connected.
    pub fn is_settled(self) -> bool {
        use SourceState::*;
        matches!(self, Unavailable | Waiting | Finished | Error | Stopped)
    }
}

string_enum! {
    /// A migration task's state.
    TaskState {
        Ready = "READY",
        Running = "RUNNING",
        Syncing = "SYNCING",
        MigrateSuccess = "MIGRATE_SUCCESS",
        SyncSuccess = "SYNC_SUCCESS",
        MigrateFail = "MIGRATE_FAIL",
        SyncFail = "SYNC_FAIL",
        Aborting = "ABORTING",
        Abort = "ABORT",
        Skipping = "SKIPPING",
        Deleting = "DELETING",
        Reseting = "RESETING",
        SyncFRollbacking = "SYNC_F_ROLLBACKING",
        SyncFRollbackSuccess = "SYNC_F_ROLLBACK_SUCCESS",
    }
}

impl TaskState {
    pub fn parse(raw: &str) -> Option<Self> {
        let upper = raw.trim().to_ascii_uppercase();
        Self::ALL.iter().copied().find(|s| s.as_str() == upper)
    }
}

string_enum! {
    TaskType {
        MigrateFile = "MIGRATE_FILE",
        MigrateBlock = "MIGRATE_BLOCK",
    }
}

string_enum! {
    OsType {
        Windows = "WINDOWS",
        Linux = "LINUX",
    }
}

impl OsType {
    pub fn parse(raw: &str) -> Option<Self> {
        let upper = raw.trim().to_ascii_uppercase();
        Self::ALL.iter().copied().find(|s| s.as_str() == upper)
    }
}

impl TaskType {
    pub fn parse(raw: &str) -> Option<Self> {
        let upper = raw.trim().to_ascii_uppercase();
        Self::ALL.iter().copied().find(|s| s.as_str() == upper)
    }
}

/// Whether a task may be deleted, judged on its source server at commit time.
pub fn blocks_delete(rule: DeleteRule, state: SourceState, connected: bool) -> bool {
    connected
        && match rule {
            DeleteRule::DenyList => state.is_running(),
            DeleteRule::AllowList => !state.is_settled(),
        }
}

/// The ids of a batch delete: 1–50 distinct, non-empty strings of at most `max_len`
/// characters, in request order with duplicates dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchIds(Vec<String>);

impl BatchIds {
    pub const MAX: usize = 50;

    /// Takes the raw JSON so that a wrong type is reported against `ids` or `ids[i]`
    /// rather than as an unparsable body.
    pub fn parse(ids: Option<serde_json::Value>, max_len: usize) -> Result<Self, SmsError> {
        let ids = match ids {
            None | Some(serde_json::Value::Null) => {
                return Err(SmsError::invalid("ids", "ids is required"));
            }
            Some(serde_json::Value::Array(items)) => items,
            Some(_) => return Err(SmsError::invalid("ids", "ids must be an array of strings")),
        };
        if ids.is_empty() || ids.len() > Self::MAX {
            return Err(SmsError::invalid(
                "ids",
                format!(
                    "ids must hold 1 to {} entries, got {}",
                    Self::MAX,
                    ids.len()
                ),
            ));
        }
        let mut seen = HashSet::new();
        let mut unique = Vec::with_capacity(ids.len());
        for (i, id) in ids.into_iter().enumerate() {
            let serde_json::Value::String(id) = id else {
                return Err(SmsError::invalid(
                    &format!("ids[{i}]"),
                    "each id must be a string",
                ));
            };
            if id.is_empty() || id.chars().count() > max_len {
                return Err(SmsError::invalid(
                    &format!("ids[{i}]"),
                    format!("each id must be 1 to {max_len} characters"),
                ));
            }
            if seen.insert(id.clone()) {
                unique.push(id);
            }
        }
        Ok(Self(unique))
    }

    /// A single id from a URL path, checked like a batch of one.
    pub fn single(id: String, max_len: usize) -> Result<Self, SmsError> {
        path_id(&id, max_len)?;
        Ok(Self(vec![id]))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// An id taken from the URL path.
pub fn path_id(raw: &str, max_len: usize) -> Result<&str, SmsError> {
    if raw.is_empty() || raw.chars().count() > max_len {
        return Err(SmsError::invalid(
            "id",
            format!("the id in the path must be 1 to {max_len} characters"),
        ));
    }
    Ok(raw)
}

/// Task ids may be up to 255 characters (DeleteTasks' limit); source ids are generated.
pub const TASK_ID_MAX: usize = 255;
pub const SOURCE_ID_MAX: usize = 255;

/// A name as SMS accepts it: 1–255 characters, no control characters.
pub fn name(field: &str, raw: &str) -> Result<String, SmsError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 255 || trimmed.chars().any(char::is_control)
    {
        return Err(SmsError::invalid(
            field,
            format!("{field} must be 1 to 255 printable characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// Paging: `limit` within `1..=max` (default `default`), `offset >= 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    pub fn parse(
        limit: Option<&str>,
        offset: Option<&str>,
        max: i64,
        default: i64,
    ) -> Result<Self, SmsError> {
        let limit = match limit {
            None | Some("") => default,
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|l| (1..=max).contains(l))
                .ok_or_else(|| {
                    SmsError::invalid("limit", format!("limit must be an integer from 1 to {max}"))
                })?,
        };
        let offset = match offset {
            None | Some("") => 0,
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|o| (0..=i64::from(i32::MAX)).contains(o))
                .ok_or_else(|| {
                    SmsError::invalid("offset", "offset must be a non-negative integer")
                })?,
        };
        Ok(Self { limit, offset })
    }
}

/// The operations of `POST /v3/tasks/{id}/action` that cloudtwin drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Start,
    Stop,
    Restart,
    Test,
    CloneTest,
    Sync,
    Cutover,
}

impl Operation {
    pub fn parse(raw: &str) -> Result<Self, SmsError> {
        Ok(match raw {
            "start" => Operation::Start,
            "stop" => Operation::Stop,
            "restart" => Operation::Restart,
            "test" => Operation::Test,
            "clone_test" => Operation::CloneTest,
            "sync" => Operation::Sync,
            "cutover" => Operation::Cutover,
            other => {
                return Err(SmsError::invalid(
                    "operation",
                    format!(
                        "operation {other:?} is not supported; use start, stop, restart, test, clone_test, sync or cutover"
                    ),
                ));
            }
        })
    }
}

/// Where a legal operation leaves the task and its source server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub task: TaskState,
    pub source: SourceState,
}

/// The state machine of a task. The real service passes through intermediate states
/// (ABORTING, cutovering…) driven by its agent; the twin lands on the settled state at
/// once, and tests that need the intermediate ones set them through the admin routes.
///
/// Every operation but `stop` needs the source's agent connected: the real service
/// cannot drive a server it cannot reach.
pub fn transition(
    op: Operation,
    task: TaskState,
    source_connected: bool,
) -> Result<Transition, SmsError> {
    use TaskState::*;
    if !source_connected && op != Operation::Stop {
        return Err(SmsError::IllegalTransition {
            code: "SMS.1042",
            msg: "the source server's agent is not connected to SMS".into(),
        });
    }
    let illegal = |code: &'static str, allowed: &str| SmsError::IllegalTransition {
        code,
        msg: format!("the task is {task}; this operation needs a task that is {allowed}"),
    };
    let to = |task, source| Ok(Transition { task, source });
    match op {
        Operation::Start => match task {
            Ready | Abort | MigrateFail => to(Running, SourceState::Replicate),
            _ => Err(illegal("SMS.1039", "READY, ABORT or MIGRATE_FAIL")),
        },
        Operation::Stop => match task {
            Running | Syncing => to(Abort, SourceState::Stopped),
            _ => Err(illegal("SMS.1038", "RUNNING or SYNCING")),
        },
        Operation::Restart => match task {
            MigrateFail | SyncFail | Abort => to(Running, SourceState::Replicate),
            _ => Err(illegal("SMS.1040", "MIGRATE_FAIL, SYNC_FAIL or ABORT")),
        },
        Operation::Sync => match task {
            MigrateSuccess | SyncSuccess | SyncFail => to(Syncing, SourceState::Syncing),
            _ => Err(illegal(
                "SMS.1041",
                "MIGRATE_SUCCESS, SYNC_SUCCESS or SYNC_FAIL",
            )),
        },
        Operation::Test => match task {
            MigrateSuccess | SyncSuccess => to(task, SourceState::PremigReady),
            _ => Err(illegal("SMS.1041", "MIGRATE_SUCCESS or SYNC_SUCCESS")),
        },
        Operation::CloneTest => match task {
            MigrateSuccess | SyncSuccess => to(task, SourceState::Cloning),
            _ => Err(illegal("SMS.1041", "MIGRATE_SUCCESS or SYNC_SUCCESS")),
        },
        Operation::Cutover => match task {
            MigrateSuccess | SyncSuccess | Syncing => to(MigrateSuccess, SourceState::Finished),
            _ => Err(illegal(
                "SMS.1041",
                "MIGRATE_SUCCESS, SYNC_SUCCESS or SYNCING",
            )),
        },
    }
}

/// A source server as the agent registers it, validated.
#[derive(Debug, Clone)]
pub struct NewSource {
    pub name: String,
    pub ip: String,
    pub ipv6: String,
    pub hostname: String,
    pub os_type: Option<OsType>,
    pub os_version: String,
    pub state: SourceState,
    pub migration_cycle: String,
    pub cpu_quantity: Option<i64>,
    pub memory: Option<i64>,
    pub agent_version: String,
    pub enterprise_project_id: String,
    /// The rest of the registration body, kept verbatim for `GET /v3/sources/{id}`.
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// The body of `POST /v3/sources` (PostSourceServerBody); unknown fields are kept.
#[derive(Debug, Deserialize)]
pub struct RegisterSourceBody {
    pub name: Option<String>,
    pub ip: Option<String>,
    pub ipv6: Option<String>,
    pub hostname: Option<String>,
    pub os_type: Option<String>,
    pub os_version: Option<String>,
    pub state: Option<String>,
    pub migration_cycle: Option<String>,
    pub cpu_quantity: Option<i64>,
    pub memory: Option<i64>,
    pub agent_version: Option<String>,
    pub enterprise_project_id: Option<String>,
    #[serde(flatten)]
    pub rest: serde_json::Map<String, serde_json::Value>,
}

impl NewSource {
    pub fn parse(body: RegisterSourceBody) -> Result<Self, SmsError> {
        let name = name("name", body.name.as_deref().unwrap_or(""))?;
        let ip = body.ip.unwrap_or_default().trim().to_owned();
        let ipv6 = body.ipv6.unwrap_or_default().trim().to_owned();
        if ip.is_empty() && ipv6.is_empty() {
            return Err(SmsError::invalid("ip", "one of ip and ipv6 is required"));
        }
        if !ip.is_empty() && ip.parse::<std::net::Ipv4Addr>().is_err() {
            return Err(SmsError::invalid("ip", "ip must be an IPv4 address"));
        }
        if !ipv6.is_empty() && ipv6.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(SmsError::invalid("ipv6", "ipv6 must be an IPv6 address"));
        }
        let os_type =
            match body.os_type.as_deref() {
                None | Some("") => None,
                Some(raw) => Some(OsType::parse(raw).ok_or_else(|| {
                    SmsError::invalid("os_type", "os_type must be WINDOWS or LINUX")
                })?),
            };
        let state = match body.state.as_deref() {
            None | Some("") => SourceState::Waiting,
            Some(raw) => SourceState::parse(raw).ok_or_else(|| {
                SmsError::invalid(
                    "state",
                    format!("state {raw:?} is not a source server state"),
                )
            })?,
        };
        if body.cpu_quantity.is_some_and(|c| c < 0) || body.memory.is_some_and(|m| m < 0) {
            return Err(SmsError::invalid(
                "cpu_quantity",
                "sizes must not be negative",
            ));
        }
        let mut details = body.rest;
        // Server-owned fields are never taken from the client.
        for owned in [
            "id",
            "connected",
            "add_date",
            "current_task",
            "last_visit_time",
            "domain_id",
        ] {
            details.remove(owned);
        }
        Ok(Self {
            name,
            ip,
            ipv6,
            hostname: body.hostname.unwrap_or_default(),
            os_type,
            os_version: body.os_version.unwrap_or_default(),
            state,
            migration_cycle: body.migration_cycle.unwrap_or_default(),
            cpu_quantity: body.cpu_quantity,
            memory: body.memory,
            agent_version: body.agent_version.unwrap_or_default(),
            enterprise_project_id: body
                .enterprise_project_id
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| "0".into()),
            details,
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct IdRef {
    pub id: Option<String>,
}

/// The body of `POST /v3/tasks` (PostTask).
#[derive(Debug, Deserialize)]
pub struct CreateTaskBody {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub os_type: Option<String>,
    pub source_server: Option<IdRef>,
    pub target_server: Option<serde_json::Value>,
    pub migration_ip: Option<String>,
    pub region_name: Option<String>,
    pub region_id: Option<String>,
    pub project_name: Option<String>,
    pub project_id: Option<String>,
    pub priority: Option<i64>,
    pub start_target_server: Option<bool>,
    pub syncing: Option<bool>,
    pub speed_limit: Option<i64>,
    pub enterprise_project_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewTask {
    pub name: String,
    pub kind: TaskType,
    pub os_type: OsType,
    pub source_server_id: String,
    pub target_server: serde_json::Value,
    pub migration_ip: String,
    pub region_name: String,
    pub region_id: String,
    pub target_project_name: String,
    pub target_project_id: String,
    pub priority: i64,
    pub start_target_server: bool,
    pub syncing: bool,
    pub speed_limit: i64,
    pub enterprise_project_id: String,
}

fn priority(raw: Option<i64>) -> Result<i64, SmsError> {
    match raw {
        None => Ok(1),
        Some(p @ 0..=2) => Ok(p),
        Some(_) => Err(SmsError::invalid("priority", "priority must be 0, 1 or 2")),
    }
}

fn speed_limit(raw: Option<i64>) -> Result<i64, SmsError> {
    match raw {
        None => Ok(0),
        Some(s) if s >= 0 => Ok(s),
        Some(_) => Err(SmsError::invalid(
            "speed_limit",
            "speed_limit must not be negative",
        )),
    }
}

fn target_server(raw: Option<serde_json::Value>) -> Result<serde_json::Value, SmsError> {
    match raw {
        None | Some(serde_json::Value::Null) => Ok(serde_json::json!({})),
        Some(v @ serde_json::Value::Object(_)) => Ok(v),
        Some(_) => Err(SmsError::invalid(
            "target_server",
            "target_server must be an object",
        )),
    }
}

impl NewTask {
    pub fn parse(body: CreateTaskBody) -> Result<Self, SmsError> {
        let name = name("name", body.name.as_deref().unwrap_or(""))?;
        let kind = body
            .kind
            .as_deref()
            .and_then(TaskType::parse)
            .ok_or_else(|| {
                SmsError::invalid("type", "type must be MIGRATE_FILE or MIGRATE_BLOCK")
            })?;
        let os_type = body
            .os_type
            .as_deref()
            .and_then(OsType::parse)
            .ok_or_else(|| SmsError::invalid("os_type", "os_type must be WINDOWS or LINUX"))?;
        let source_server_id = body
            .source_server
            .and_then(|s| s.id)
            .filter(|id| !id.is_empty() && id.chars().count() <= SOURCE_ID_MAX)
            .ok_or_else(|| SmsError::invalid("source_server.id", "source_server.id is required"))?;
        Ok(Self {
            name,
            kind,
            os_type,
            source_server_id,
            target_server: target_server(body.target_server)?,
            migration_ip: body.migration_ip.unwrap_or_default(),
            region_name: body.region_name.unwrap_or_default(),
            region_id: body.region_id.unwrap_or_default(),
            target_project_name: body.project_name.unwrap_or_default(),
            target_project_id: body.project_id.unwrap_or_default(),
            priority: priority(body.priority)?,
            start_target_server: body.start_target_server.unwrap_or(false),
            syncing: body.syncing.unwrap_or(false),
            speed_limit: speed_limit(body.speed_limit)?,
            enterprise_project_id: body
                .enterprise_project_id
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| "0".into()),
        })
    }
}

/// The body of `PUT /v3/tasks/{id}` (PutTaskReq); absent fields stay as they are.
#[derive(Debug, Deserialize)]
pub struct UpdateTaskBody {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub migration_ip: Option<String>,
    pub region_name: Option<String>,
    pub region_id: Option<String>,
    pub project_name: Option<String>,
    pub project_id: Option<String>,
    pub speed_limit: Option<i64>,
    pub target_server: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default)]
pub struct TaskPatch {
    pub name: Option<String>,
    pub kind: Option<TaskType>,
    pub migration_ip: Option<String>,
    pub region_name: Option<String>,
    pub region_id: Option<String>,
    pub target_project_name: Option<String>,
    pub target_project_id: Option<String>,
    pub speed_limit: Option<i64>,
    pub target_server: Option<serde_json::Value>,
}

impl TaskPatch {
    pub fn parse(body: UpdateTaskBody) -> Result<Self, SmsError> {
        Ok(Self {
            name: body.name.as_deref().map(|n| name("name", n)).transpose()?,
            kind: body
                .kind
                .as_deref()
                .map(|k| {
                    TaskType::parse(k).ok_or_else(|| {
                        SmsError::invalid("type", "type must be MIGRATE_FILE or MIGRATE_BLOCK")
                    })
                })
                .transpose()?,
            migration_ip: body.migration_ip,
            region_name: body.region_name,
            region_id: body.region_id,
            target_project_name: body.project_name,
            target_project_id: body.project_id,
            speed_limit: body.speed_limit.map(|s| speed_limit(Some(s))).transpose()?,
            target_server: body
                .target_server
                .map(|t| target_server(Some(t)))
                .transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deny_list_blocks_exactly_the_running_states_while_connected() {
        let running = [
            "initialize",
            "stopping",
            "deleting",
            "cloning",
            "replicate",
            "syncing",
            "cutovering",
            "skipping",
            "clearing",
            "premiging",
        ];
        for state in SourceState::ALL {
            let expected = running.contains(&state.as_str());
            assert_eq!(
                blocks_delete(DeleteRule::DenyList, *state, true),
                expected,
                "{state}"
            );
            assert!(
                !blocks_delete(DeleteRule::DenyList, *state, false),
                "{state}"
            );
        }
    }

    #[test]
    fn allow_list_differs_only_on_the_documented_states() {
        let differ = [
            "cleared",
            "clearfailed",
            "premigready",
            "premiged",
            "premigfailed",
        ];
        for state in SourceState::ALL {
            let deny = blocks_delete(DeleteRule::DenyList, *state, true);
            let allow = blocks_delete(DeleteRule::AllowList, *state, true);
            assert_eq!(deny != allow, differ.contains(&state.as_str()), "{state}");
            assert!(!blocks_delete(DeleteRule::AllowList, *state, false));
        }
    }

    #[test]
    fn states_parse_in_any_case() {
        assert_eq!(
            SourceState::parse("REPLICATE"),
            Some(SourceState::Replicate)
        );
        assert_eq!(SourceState::parse("init"), Some(SourceState::Initialize));
        assert_eq!(SourceState::parse("bogus"), None);
        assert_eq!(TaskState::parse("ready"), Some(TaskState::Ready));
    }

    #[test]
    fn batch_ids_bounds_and_duplicates() {
        let ids = |n: usize| {
            Some(serde_json::json!(
                (0..n).map(|i| i.to_string()).collect::<Vec<_>>()
            ))
        };
        assert!(BatchIds::parse(ids(1), 255).is_ok());
        assert!(BatchIds::parse(ids(50), 255).is_ok());
        assert!(BatchIds::parse(ids(51), 255).is_err());
        assert!(BatchIds::parse(ids(0), 255).is_err());
        assert!(BatchIds::parse(None, 255).is_err());
        let one = |id: String| Some(serde_json::json!([id]));
        assert!(BatchIds::parse(one("a".repeat(255)), 255).is_ok());
        assert!(BatchIds::parse(one("a".repeat(256)), 255).is_err());
        assert!(BatchIds::parse(one(String::new()), 255).is_err());
        assert!(BatchIds::parse(Some(serde_json::json!("a")), 255).is_err());
        assert!(BatchIds::parse(Some(serde_json::json!(["a", 1])), 255).is_err());
        let dup = BatchIds::parse(Some(serde_json::json!(["b", "a", "b"])), 255).unwrap();
        assert_eq!(dup.as_slice(), ["b", "a"]);
    }

    #[test]
    fn illegal_transitions_are_refused() {
        assert_eq!(
            transition(Operation::Start, TaskState::Ready, true)
                .unwrap()
                .task,
            TaskState::Running
        );
        assert_eq!(
            transition(Operation::Stop, TaskState::Running, true)
                .unwrap()
                .source,
            SourceState::Stopped
        );
        assert!(transition(Operation::Stop, TaskState::Ready, true).is_err());
        assert!(transition(Operation::Start, TaskState::Running, true).is_err());
        assert!(transition(Operation::Sync, TaskState::Ready, true).is_err());
        assert!(transition(Operation::Start, TaskState::Ready, false).is_err());
        assert!(transition(Operation::Stop, TaskState::Running, false).is_ok());
    }
}
