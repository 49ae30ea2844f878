//! The migration the twin plays for a task started by an action: which subtasks run in
//! which order, how long each takes at the simulated transfer rate and speed limits,
//! and what happens when one falls due. Everything here is a pure function of the run
//! and the clock, so progress between two transitions is computed when it is read and
//! never written: the cost grows with transitions, not with running tasks.

use super::*;
use crate::kit::string_enum;

/// How long a subtask that moves no data takes (create the server, attach a disk…).
pub const FIXED_STEP_MS: i64 = 1_000;
/// How long a stop takes from ABORTING to ABORT.
pub const STOP_MS: i64 = 1_000;
/// How long a source stays in the in-between state of clear, migration_test, clone_test.
pub const PASS_MS: i64 = 1_000;
/// An incremental sync copies this fraction of the source's data (1/20).
pub const SYNC_DIVISOR: i64 = 20;

string_enum! {
    /// What a run does.
    RunKind {
        Full = "full",
        Sync = "sync",
        Cutover = "cutover",
    }
}

string_enum! {
    /// Where a run stands; `waiting` is the sync stage with nothing running (`start`
    /// syncs, `cutover` launches the target).
    Phase {
        Running = "running",
        Stopping = "stopping",
        Paused = "paused",
        Failed = "failed",
        Waiting = "waiting",
    }
}

/// The work of a subtask: data subtasks copy bytes at the rate, the others take a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    Millis(i64),
    Bytes(i64),
}

/// Whether a subtask copies data (its length depends on the rate).
pub fn moves_data(name: SubtaskName) -> bool {
    name.as_str().starts_with("MIGRATE_") || name.as_str().starts_with("SYNC_")
}

/// The subtasks of a run, in order (sms-surface.md §3.2; the order after the data step
/// and the file-level chain without SSL_CONFIG are the twin's choice, see the README).
/// A full replication of a task with continuous sync stops after its data step: the
/// target's configuration and launch then belong to the cutover.
pub fn chain(kind: RunKind, task: TaskType, os: OsType, syncing: bool) -> Vec<SubtaskName> {
    use SubtaskName::*;
    let file = task == TaskType::MigrateFile && os == OsType::Linux;
    let (format, data, sync, configure) = match (os, file) {
        (OsType::Windows, _) => (
            FormatDiskWindows,
            MigrateWindowsBlock,
            SyncWindowsBlock,
            ConfigureWindows,
        ),
        (OsType::Linux, false) => (
            FormatDiskLinuxBlock,
            MigrateLinuxBlock,
            SyncLinuxBlock,
            ConfigureLinuxBlock,
        ),
        (OsType::Linux, true) => (
            FormatDiskLinuxFile,
            MigrateLinuxFile,
            SyncLinuxFile,
            ConfigureLinuxFile,
        ),
    };
    match kind {
        RunKind::Full => {
            let mut steps = vec![CreateCloudServer];
            if !file {
                steps.push(SslConfig);
            }
            steps.extend([AttachAgentImage, format, data]);
            if !syncing {
                steps.extend([configure, DetachAgentImage]);
            }
            steps
        }
        RunKind::Sync => vec![sync],
        RunKind::Cutover => vec![configure, DetachAgentImage],
    }
}

/// The bytes a run's data step copies: the whole source for a full replication, a
/// twentieth of it for an incremental sync.
pub fn data_bytes(kind: RunKind, total_bytes: i64) -> i64 {
    match kind {
        RunKind::Sync => (total_bytes / SYNC_DIVISOR).max(1),
        _ => total_bytes.max(1),
    }
}

/// A simulated run as its row holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub kind: RunKind,
    pub phase: Phase,
    pub steps: Vec<SubtaskName>,
    pub step: usize,
    pub step_started_ms: i64,
    pub step_done: i64,
    pub data_bytes: i64,
    pub rate: Rate,
    pub next_due_ms: Option<i64>,
}

/// A failure armed on the task by a test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmedFault {
    pub subtask: SubtaskName,
    pub error_code: String,
    pub error_param: Vec<String>,
}

/// What a transition did, for the store to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    StepStarted {
        name: SubtaskName,
        at: i64,
    },
    StepDone {
        name: SubtaskName,
        at: i64,
        mbit: f64,
    },
    /// The run's last step is done.
    Finished {
        at: i64,
    },
    /// A stop completed: ABORTING → ABORT.
    Stopped {
        at: i64,
    },
    /// An armed fault fired as its subtask was reached.
    Failed {
        name: SubtaskName,
        at: i64,
    },
}

/// Where a run stands at an instant, for the views.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub step: SubtaskName,
    pub progress: i64,
    /// Bytes of the data step copied so far (0 before it, all of them after it).
    pub bytes_done: i64,
    pub mbit: f64,
    pub remain_ms: i64,
}

impl Run {
    /// A new run starting at `now`, and what starting it did (the first step starts, or
    /// fails at once when a fault is armed on it).
    pub fn start(
        kind: RunKind,
        steps: Vec<SubtaskName>,
        data_bytes: i64,
        rate: Rate,
        now: i64,
        fault: Option<&ArmedFault>,
    ) -> (Run, Vec<Event>) {
        let mut run = Run {
            kind,
            phase: Phase::Running,
            steps,
            step: 0,
            step_started_ms: now,
            step_done: 0,
            data_bytes,
            rate,
            next_due_ms: None,
        };
        let events = run.enter_step(now, fault);
        (run, events)
    }

    pub fn current(&self) -> Option<SubtaskName> {
        self.steps.get(self.step).copied()
    }

    fn work(&self, name: SubtaskName) -> Work {
        if moves_data(name) {
            Work::Bytes(self.data_bytes)
        } else {
            Work::Millis(FIXED_STEP_MS)
        }
    }

    /// When step `name` ends if it runs from `from` with `done` of its work behind it.
    fn step_end(&self, name: SubtaskName, from: i64, done: i64) -> i64 {
        match self.work(name) {
            Work::Millis(ms) => from + (ms - done).max(0),
            Work::Bytes(bytes) => self.rate.finish(from, bytes - done),
        }
    }

    /// Work done on the current step at `t` (not beyond the step's whole work).
    fn done_at(&self, t: i64) -> i64 {
        let Some(name) = self.current() else {
            return 0;
        };
        let since = if self.phase == Phase::Running {
            (t - self.step_started_ms).max(0)
        } else {
            0
        };
        match self.work(name) {
            Work::Millis(ms) => (self.step_done + since).min(ms),
            Work::Bytes(bytes) => {
                let copied = if self.phase == Phase::Running {
                    self.rate
                        .bytes_between(self.step_started_ms, t.max(self.step_started_ms))
                } else {
                    0
                };
                (self.step_done + copied).min(bytes)
            }
        }
    }

    /// Starts the current step at `at`, or fails it when the fault is armed on it.
    fn enter_step(&mut self, at: i64, fault: Option<&ArmedFault>) -> Vec<Event> {
        let Some(name) = self.current() else {
            self.phase = Phase::Waiting;
            self.next_due_ms = None;
            return vec![Event::Finished { at }];
        };
        if fault.is_some_and(|f| f.subtask == name) {
            self.phase = Phase::Failed;
            self.next_due_ms = None;
            return vec![Event::Failed { name, at }];
        }
        self.phase = Phase::Running;
        self.step_started_ms = at;
        self.next_due_ms = Some(self.step_end(name, at, self.step_done));
        vec![Event::StepStarted { name, at }]
    }

    /// Applies every transition due by `now`, each at the instant it fell due.
    pub fn advance(&mut self, now: i64, fault: Option<&ArmedFault>) -> Vec<Event> {
        let mut events = Vec::new();
        let mut fault = fault;
        while let Some(due) = self.next_due_ms.filter(|due| *due <= now) {
            match (self.phase, self.current()) {
                (Phase::Stopping, _) => {
                    self.phase = Phase::Paused;
                    self.next_due_ms = None;
                    events.push(Event::Stopped { at: due });
                }
                (Phase::Running, Some(name)) => {
                    let mbit = if moves_data(name) {
                        self.rate.at(due.saturating_sub(1)).0
                    } else {
                        0.0
                    };
                    events.push(Event::StepDone {
                        name,
                        at: due,
                        mbit,
                    });
                    self.step += 1;
                    self.step_done = 0;
                    let entered = self.enter_step(due, fault);
                    if entered.iter().any(|e| matches!(e, Event::Failed { .. })) {
                        // A fault fires once.
                        fault = None;
                    }
                    events.extend(entered);
                }
                _ => self.next_due_ms = None,
            }
        }
        events
    }

    /// Stops the running step at `now`, keeping the work done, for `start` to resume.
    pub fn stop(&mut self, now: i64) {
        self.step_done = self.done_at(now);
        self.step_started_ms = now;
        self.phase = Phase::Stopping;
        self.next_due_ms = Some(now + STOP_MS);
    }

    /// Goes on at `rate` from `now` (the task's speed limits changed): the work done so far
    /// stays, what is left is timed anew.
    pub fn replan(&mut self, now: i64, rate: Rate) {
        if self.phase == Phase::Running
            && let Some(name) = self.current()
        {
            self.step_done = self.done_at(now);
            self.step_started_ms = now;
            self.rate = rate;
            self.next_due_ms = Some(self.step_end(name, now, self.step_done));
        } else {
            self.rate = rate;
        }
    }

    /// Resumes a paused or failed run at `now` from the work it had done.
    pub fn resume(&mut self, now: i64, fault: Option<&ArmedFault>) -> Vec<Event> {
        self.enter_step(now, fault)
    }

    /// Where the run stands at `t`.
    pub fn snapshot(&self, t: i64) -> Option<Snapshot> {
        let name = self.current()?;
        let done = self.done_at(t);
        let progress = match self.work(name) {
            Work::Millis(ms) => done * 100 / ms.max(1),
            Work::Bytes(bytes) => done * 100 / bytes.max(1),
        };
        let running = self.phase == Phase::Running;
        let mbit = if running && moves_data(name) {
            self.rate.at(t).0
        } else {
            0.0
        };
        let bytes_done = if moves_data(name) {
            done
        } else if self.steps[..self.step].iter().any(|s| moves_data(*s)) {
            self.data_bytes
        } else {
            0
        };
        let remain_ms = if running {
            let mut end = self.step_end(name, t.max(self.step_started_ms), done);
            for next in &self.steps[self.step + 1..] {
                end = self.step_end(*next, end, 0);
            }
            (end - t).max(0)
        } else {
            0
        };
        Some(Snapshot {
            step: name,
            progress: progress.clamp(0, 100),
            bytes_done,
            mbit,
            remain_ms,
        })
    }

    /// Task and source states while the current step runs.
    pub fn running_states(&self) -> (TaskState, SourceState, MigrationCycle) {
        match (self.kind, self.current()) {
            (RunKind::Sync, _) => (
                TaskState::Syncing,
                SourceState::Syncing,
                MigrationCycle::Syncing,
            ),
            (RunKind::Cutover, _) => (
                TaskState::Running,
                SourceState::Cutovering,
                MigrationCycle::Cutovering,
            ),
            (RunKind::Full, Some(name)) if moves_data(name) => (
                TaskState::Running,
                SourceState::Replicate,
                MigrationCycle::Replicating,
            ),
            (RunKind::Full, _) if self.steps[..self.step].iter().any(|s| moves_data(*s)) => (
                TaskState::Running,
                SourceState::Cutovering,
                MigrationCycle::Cutovering,
            ),
            (RunKind::Full, _) => (
                TaskState::Running,
                SourceState::Initialize,
                MigrationCycle::Replicating,
            ),
        }
    }

    /// Where a finished run leaves the task: launched, or waiting in the sync stage.
    pub fn finished_states(&self) -> (TaskState, SourceState, MigrationCycle) {
        let launched = self.steps.last().is_some_and(|s| !moves_data(*s));
        match self.kind {
            RunKind::Sync => (
                TaskState::SyncSuccess,
                SourceState::Syncing,
                MigrationCycle::Syncing,
            ),
            _ if launched => (
                TaskState::MigrateSuccess,
                SourceState::Finished,
                MigrationCycle::Cutovered,
            ),
            _ => (
                TaskState::Syncing,
                SourceState::Syncing,
                MigrationCycle::Syncing,
            ),
        }
    }

    /// The task state a fault leaves: a sync fails as SYNC_FAIL, the rest as MIGRATE_FAIL.
    pub fn failed_state(&self) -> TaskState {
        if self.kind == RunKind::Sync {
            TaskState::SyncFail
        } else {
            TaskState::MigrateFail
        }
    }
}

/// The bytes a full replication copies: the disks the agent registered (their `size`
/// for a block migration, `used_size` for a file migration, `size` where that is
/// missing), or `default_gib` when it registered none.
pub fn total_bytes(details: &serde_json::Value, task: TaskType, default_gib: i64) -> i64 {
    let field = match task {
        TaskType::MigrateBlock => "size",
        TaskType::MigrateFile => "used_size",
    };
    let sum: i64 = details
        .get("disks")
        .and_then(serde_json::Value::as_array)
        .map(|disks| {
            disks
                .iter()
                .filter_map(|d| {
                    d.get(field)
                        .and_then(serde_json::Value::as_i64)
                        .filter(|n| *n > 0)
                        .or_else(|| d.get("size").and_then(serde_json::Value::as_i64))
                })
                .filter(|n| *n > 0)
                .fold(0i64, i64::saturating_add)
        })
        .unwrap_or(0);
    if sum > 0 {
        sum
    } else {
        default_gib.saturating_mul(1 << 30)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: i64 = 1 << 30;

    fn run(kind: RunKind, rate: Rate, fault: Option<&ArmedFault>) -> (Run, Vec<Event>) {
        let steps = chain(kind, TaskType::MigrateBlock, OsType::Linux, false);
        Run::start(kind, steps, GIB, rate, 0, fault)
    }

    #[test]
    fn chains_follow_type_os_and_sync() {
        use SubtaskName::*;
        assert_eq!(
            chain(
                RunKind::Full,
                TaskType::MigrateBlock,
                OsType::Windows,
                false
            ),
            [
                CreateCloudServer,
                SslConfig,
                AttachAgentImage,
                FormatDiskWindows,
                MigrateWindowsBlock,
                ConfigureWindows,
                DetachAgentImage
            ]
        );
        let synced = chain(RunKind::Full, TaskType::MigrateFile, OsType::Linux, true);
        assert_eq!(synced.last(), Some(&MigrateLinuxFile));
        assert!(!synced.contains(&SslConfig));
        assert_eq!(
            chain(RunKind::Cutover, TaskType::MigrateFile, OsType::Linux, true),
            [ConfigureLinuxFile, DetachAgentImage]
        );
    }

    #[test]
    fn a_run_goes_through_every_step_and_finishes_once() {
        // 1 GiB at 1,000 Mbit/s: 8,590 ms of data between 1 s steps.
        let (mut r, started) = run(RunKind::Full, Rate::new(1000.0, 0, vec![]), None);
        assert_eq!(started.len(), 1);
        let data_ms = Rate::new(1000.0, 0, vec![]).finish(0, GIB);
        assert_eq!(data_ms, 8_590);
        let end = 6 * FIXED_STEP_MS + data_ms;
        let halfway = 4 * FIXED_STEP_MS + data_ms / 2;
        assert!(r.advance(halfway, None).len() >= 8);
        let snap = r.snapshot(halfway).expect("running");
        assert_eq!(snap.step, SubtaskName::MigrateLinuxBlock);
        assert_eq!(snap.progress, 50);
        assert_eq!(snap.remain_ms, end - halfway);
        let rest = r.advance(i64::MAX / 2, None);
        assert_eq!(rest.last(), Some(&Event::Finished { at: end }));
        assert!(
            r.advance(i64::MAX / 2, None).is_empty(),
            "never finishes twice"
        );
        assert_eq!(r.finished_states().0, TaskState::MigrateSuccess);
    }

    #[test]
    fn a_stop_keeps_the_copied_bytes_and_resume_continues_from_them() {
        let rate = Rate::new(1000.0, 0, vec![]);
        let (mut r, _) = run(RunKind::Full, rate.clone(), None);
        let in_data = 4 * FIXED_STEP_MS + 1_000;
        r.advance(in_data, None);
        r.stop(in_data);
        assert_eq!(
            r.advance(in_data + STOP_MS, None),
            [Event::Stopped {
                at: in_data + STOP_MS
            }]
        );
        let copied = r.snapshot(in_data + 50_000).expect("paused").bytes_done;
        assert_eq!(copied, rate.bytes_between(0, 1_000));
        let later = in_data + 100_000;
        r.resume(later, None);
        assert_eq!(r.snapshot(later).expect("running").bytes_done, copied);
        assert_eq!(r.next_due_ms, Some(later + 8_590 - 1_000));
    }

    #[test]
    fn an_armed_fault_fails_the_run_when_its_subtask_is_reached() {
        let fault = ArmedFault {
            subtask: SubtaskName::AttachAgentImage,
            error_code: "SMS.0007".into(),
            error_param: vec![],
        };
        let (mut r, _) = run(RunKind::Full, Rate::new(1000.0, 0, vec![]), Some(&fault));
        let events = r.advance(10 * FIXED_STEP_MS, Some(&fault));
        assert_eq!(
            events.last(),
            Some(&Event::Failed {
                name: SubtaskName::AttachAgentImage,
                at: 2 * FIXED_STEP_MS
            })
        );
        assert_eq!(r.phase, Phase::Failed);
        // Started again without the (fired) fault, it goes on from that subtask.
        r.resume(20_000, None);
        assert_eq!(r.current(), Some(SubtaskName::AttachAgentImage));
    }
}
