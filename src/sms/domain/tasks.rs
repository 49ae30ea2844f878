//! Migration tasks: states, types, operations and their transitions, and task input.

use serde::Deserialize;

use super::*;
use crate::kit::string_enum;

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
        Self::from_text(&raw.trim().to_ascii_uppercase())
    }
}

string_enum! {
    TaskType {
        MigrateFile = "MIGRATE_FILE",
        MigrateBlock = "MIGRATE_BLOCK",
    }
}

impl TaskType {
    pub fn parse(raw: &str) -> Option<Self> {
        Self::from_text(&raw.trim().to_ascii_uppercase())
    }
}

/// The v3 operations of `POST /v3/tasks/{id}/action` (UpdateTaskStatusReq).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Start,
    Stop,
    Restart,
    Test,
    CloneTest,
    Cutover,
    NetworkCheck,
    Skip,
    Clear,
    MigrationTest,
    ErrorForOverspeed,
}

impl Operation {
    pub fn parse(raw: &str) -> Result<Self, SmsError> {
        Ok(match raw {
            "start" => Operation::Start,
            "stop" => Operation::Stop,
            "restart" => Operation::Restart,
            "test" => Operation::Test,
            "clone_test" => Operation::CloneTest,
            "cutover" => Operation::Cutover,
            "network_check" => Operation::NetworkCheck,
            "skip" => Operation::Skip,
            "clear" => Operation::Clear,
            "migration_test" => Operation::MigrationTest,
            "error_for_overspeed" => Operation::ErrorForOverspeed,
            // `sync` was a v1 operation; v3 runs an incremental sync with `start`.
            other => {
                return Err(SmsError::bad(
                    "SMS.6011",
                    "operation",
                    format!(
                        "operation {other:?} is not a v3 operation; use start, stop, test, cutover, \
                         clone_test, restart, network_check, skip, clear, migration_test or \
                         error_for_overspeed"
                    ),
                ));
            }
        })
    }

    /// Whether the operation (re)starts the migration, which dates the task's start.
    pub fn starts(self) -> bool {
        matches!(self, Operation::Start | Operation::Restart)
    }
}

/// Where a legal operation leaves the task and its source server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub task: TaskState,
    pub source: SourceState,
}

/// The state machine of a task, with the v3 reference's preconditions and codes (v1
/// codes where v3 documents none: SMS.1040, 1041, 1042). The real service passes through
/// intermediate states (ABORTING, cutovering…) driven by its agent; the twin lands on the
/// settled state at once, and tests that need the intermediate ones set them through the
/// admin routes.
///
/// Every operation but `stop` and `error_for_overspeed` needs the source's agent
/// connected: the real service cannot drive a server it cannot reach.
pub fn transition(
    op: Operation,
    task: TaskState,
    source: SourceState,
    source_connected: bool,
) -> Result<Transition, SmsError> {
    use TaskState::*;
    if !source_connected && !matches!(op, Operation::Stop | Operation::ErrorForOverspeed) {
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
    let stays = || to(task, source);
    match op {
        Operation::Start => match task {
            // Starts, resumes a paused or failed migration.
            Ready | Abort | MigrateFail => to(Running, SourceState::Replicate),
            // A migrated task synchronizes the increment.
            MigrateSuccess | SyncSuccess | SyncFail => to(Syncing, SourceState::Syncing),
            _ => Err(illegal(
                "SMS.7715",
                "READY, ABORT, MIGRATE_FAIL (start), or MIGRATE_SUCCESS, SYNC_SUCCESS, SYNC_FAIL (synchronize)",
            )),
        },
        Operation::Stop | Operation::ErrorForOverspeed => match task {
            Running | Syncing => to(Abort, SourceState::Stopped),
            _ => Err(illegal("SMS.7714", "RUNNING or SYNCING")),
        },
        Operation::Restart => match task {
            MigrateFail | SyncFail => to(Running, SourceState::Replicate),
            _ => Err(illegal("SMS.1040", "MIGRATE_FAIL or SYNC_FAIL")),
        },
        Operation::Test => match task {
            MigrateSuccess | SyncSuccess => to(task, SourceState::PremigReady),
            _ => Err(illegal("SMS.1041", "MIGRATE_SUCCESS or SYNC_SUCCESS")),
        },
        Operation::CloneTest => match task {
            MigrateSuccess | SyncSuccess | Syncing => to(task, SourceState::Cloning),
            _ => Err(illegal(
                "SMS.1041",
                "MIGRATE_SUCCESS, SYNC_SUCCESS or SYNCING",
            )),
        },
        Operation::Cutover => match task {
            MigrateSuccess | SyncSuccess | Syncing => to(MigrateSuccess, SourceState::Finished),
            _ => Err(illegal(
                "SMS.1041",
                "MIGRATE_SUCCESS, SYNC_SUCCESS or SYNCING",
            )),
        },
        // The check's results come back through update-network-check-info.
        Operation::NetworkCheck => stays(),
        // The consistency check is skipped where the migration runs; it goes on.
        Operation::Skip => match task {
            Running | Syncing => stays(),
            _ => Err(illegal(
                "SMS.7720",
                "RUNNING or SYNCING (checking consistency)",
            )),
        },
        Operation::Clear => match task {
            Running | Syncing | Aborting | Deleting => Err(illegal(
                "SMS.1041",
                "not migrating (clearing removes the snapshots a migration uses)",
            )),
            _ => to(task, SourceState::Cleared),
        },
        Operation::MigrationTest => match task {
            Ready | MigrateSuccess | SyncSuccess => to(task, SourceState::Premiged),
            _ => Err(illegal(
                "SMS.1041",
                "READY, MIGRATE_SUCCESS or SYNC_SUCCESS",
            )),
        },
    }
}

/// The source state an action passes through for [`simulation::PASS_MS`] before it lands, and where
/// it lands: `clear` clears (`clearing` → `cleared`), `migration_test` drills
/// (`premiging` → `premiged`), `clone_test` clones (`cloning`, then back to where the
/// source was; the reference does not say where a clone test ends).
pub fn passes_through(op: Operation, from: SourceState) -> Option<(SourceState, SourceState)> {
    match op {
        Operation::Clear => Some((SourceState::Clearing, SourceState::Cleared)),
        Operation::MigrationTest => Some((SourceState::Premiging, SourceState::Premiged)),
        Operation::CloneTest => Some((SourceState::Cloning, from)),
        _ => None,
    }
}

/// What an action does to a simulated task; `None` leaves it to the plain state
/// machine ([`super::transition`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// A full replication from the first subtask.
    Full,
    /// Continue a paused or failed run from where it stood.
    Resume,
    /// A stopped task that was waiting in the sync stage goes back to waiting.
    BackToSync,
    Sync,
    Cutover,
    Stop,
}

/// The plan for `op` on a task in `task` state with its run, if any. Errors only for
/// what the run adds to the state machine's rules.
pub fn plan(
    op: Operation,
    task: TaskState,
    run: Option<&simulation::Run>,
) -> Result<Option<Plan>, SmsError> {
    use TaskState::*;
    let phase = run.map(|r| r.phase);
    let waiting = phase == Some(simulation::Phase::Waiting);
    Ok(Some(match (op, task) {
        (Operation::Start, Ready) => Plan::Full,
        (Operation::Start, Abort | MigrateFail | SyncFail) => match phase {
            Some(simulation::Phase::Paused | simulation::Phase::Failed) => Plan::Resume,
            Some(simulation::Phase::Waiting) => Plan::BackToSync,
            _ if task == SyncFail => Plan::Sync,
            _ => Plan::Full,
        },
        (Operation::Start, MigrateSuccess | SyncSuccess) => Plan::Sync,
        (Operation::Start, Syncing) if waiting => Plan::Sync,
        (Operation::Restart, MigrateFail | SyncFail) => Plan::Full,
        (Operation::Cutover, Syncing | SyncSuccess) if waiting => Plan::Cutover,
        (Operation::Cutover, Syncing) if phase == Some(simulation::Phase::Running) => {
            return Err(SmsError::IllegalTransition {
                code: "SMS.1041",
                msg: "the task is synchronizing; cut over when the sync has finished".into(),
            });
        }
        (Operation::Stop | Operation::ErrorForOverspeed, Running | Syncing)
            if phase == Some(simulation::Phase::Running) =>
        {
            Plan::Stop
        }
        _ => return Ok(None),
    }))
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
    pub vm_template_id: Option<String>,
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
    /// The template the target is created from; it must exist in the project.
    pub vm_template_id: Option<String>,
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
            vm_template_id: body
                .vm_template_id
                .filter(|t| !t.is_empty())
                .map(|t| {
                    if t.chars().count() <= TEMPLATE_ID_MAX {
                        Ok(t)
                    } else {
                        Err(SmsError::invalid(
                            "vm_template_id",
                            format!("vm_template_id must be at most {TEMPLATE_ID_MAX} characters"),
                        ))
                    }
                })
                .transpose()?,
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
        let waiting = SourceState::Waiting;
        let go = |op, task, connected| transition(op, task, waiting, connected);
        assert_eq!(
            go(Operation::Start, TaskState::Ready, true).unwrap().task,
            TaskState::Running
        );
        assert_eq!(
            go(Operation::Stop, TaskState::Running, true)
                .unwrap()
                .source,
            SourceState::Stopped
        );
        assert!(go(Operation::Stop, TaskState::Ready, true).is_err());
        assert!(go(Operation::Start, TaskState::Running, true).is_err());
        // v3 has no `sync`: a migrated task synchronizes with `start`.
        assert!(Operation::parse("sync").is_err());
        assert_eq!(
            go(Operation::Start, TaskState::MigrateSuccess, true)
                .unwrap()
                .task,
            TaskState::Syncing
        );
        assert!(go(Operation::Start, TaskState::Ready, false).is_err());
        assert!(go(Operation::Stop, TaskState::Running, false).is_ok());
        assert!(go(Operation::Skip, TaskState::Ready, true).is_err());
        assert_eq!(
            go(Operation::NetworkCheck, TaskState::Ready, true).unwrap(),
            Transition {
                task: TaskState::Ready,
                source: waiting
            }
        );
    }
}
