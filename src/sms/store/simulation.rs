//! The simulated migrations: their runs, and the writes a transition makes to the task,
//! its subtasks and its source server.

use std::collections::HashMap;

use sqlx::sqlite::SqliteConnection;

use super::super::domain::Plan;
use super::super::domain::simulation::{self, ArmedFault, Event, Phase, Run, RunKind};
use super::super::domain::{
    DEFAULT_FAULT_CODE, MigrationCycle, OsType, Rate, SourceState, SubtaskName, TaskState,
    TaskType, minutes,
};
use super::super::error::SmsError;
use crate::config::SimulationSettings;

#[derive(sqlx::FromRow)]
struct RunRow {
    task_id: String,
    kind: String,
    phase: String,
    steps: String,
    step: i64,
    step_started_ms: i64,
    step_done: i64,
    data_bytes: i64,
    rate_mbit: f64,
    windows: String,
    next_due_ms: Option<i64>,
}

fn broken(task_id: &str, what: &str) -> SmsError {
    SmsError::Internal(format!(
        "the simulated run of task {task_id} has a bad {what}"
    ))
}

impl RunRow {
    fn into_run(self) -> Result<(String, Run), SmsError> {
        let id = self.task_id;
        let steps = self
            .steps
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| SubtaskName::from_text(s).ok_or_else(|| broken(&id, "subtask")))
            .collect::<Result<Vec<_>, _>>()?;
        let windows: Vec<(i64, i64, i64)> =
            serde_json::from_str(&self.windows).map_err(|_| broken(&id, "windows"))?;
        let run = Run {
            kind: RunKind::from_text(&self.kind).ok_or_else(|| broken(&id, "kind"))?,
            phase: Phase::from_text(&self.phase).ok_or_else(|| broken(&id, "phase"))?,
            steps,
            step: usize::try_from(self.step).map_err(|_| broken(&id, "step"))?,
            step_started_ms: self.step_started_ms,
            step_done: self.step_done,
            data_bytes: self.data_bytes,
            rate: Rate {
                mbit: self.rate_mbit,
                windows,
            },
            next_due_ms: self.next_due_ms,
        };
        Ok((id, run))
    }
}

/// The run columns from `task_runs` (or from `$from`, a join naming it), then `$tail`
/// (literals, so the SQL stays a static string).
macro_rules! select_run {
    ($tail:literal) => {
        select_run!("task_runs", $tail)
    };
    ($from:literal, $tail:literal) => {
        concat!(
            "SELECT task_id, kind, phase, steps, step, step_started_ms, step_done, data_bytes,
                    rate_mbit, windows, next_due_ms FROM ",
            $from,
            " ",
            $tail
        )
    };
}

pub async fn run_of(conn: &mut SqliteConnection, task_id: &str) -> Result<Option<Run>, SmsError> {
    let row: Option<RunRow> = sqlx::query_as(select_run!("WHERE task_id = ?"))
        .bind(task_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(RunRow::into_run).transpose()?.map(|(_, run)| run))
}

/// The runs of the given tasks (for the views), in one query.
pub async fn runs_of(
    conn: &mut SqliteConnection,
    task_ids: &[&str],
) -> Result<HashMap<String, Run>, SmsError> {
    if task_ids.is_empty() {
        return Ok(HashMap::new());
    }
    // See `id_array` for why the ids are walked, not looked up in a list.
    let rows: Vec<RunRow> = sqlx::query_as(select_run!(
        "json_each(?) AS page CROSS JOIN task_runs",
        "ON task_runs.task_id = page.value"
    ))
    .bind(super::id_array(task_ids)?)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(RunRow::into_run).collect()
}

/// A simulated run with its task's name and state, for the console's overview.
pub struct RunningTask {
    pub task_id: String,
    pub name: String,
    pub state: String,
    pub run: Run,
}

#[derive(sqlx::FromRow)]
struct RunningRow {
    #[sqlx(flatten)]
    run: RunRow,
    task_name: String,
    task_state: String,
}

/// Up to `limit` simulated runs, the ones due soonest first (waiting ones last).
pub async fn running(
    conn: &mut SqliteConnection,
    limit: i64,
) -> Result<Vec<RunningTask>, SmsError> {
    let rows: Vec<RunningRow> = sqlx::query_as(
        "SELECT r.task_id, r.kind, r.phase, r.steps, r.step, r.step_started_ms, r.step_done,
                r.data_bytes, r.rate_mbit, r.windows, r.next_due_ms,
                t.name AS task_name, t.state AS task_state
           FROM task_runs r JOIN tasks t ON t.id = r.task_id
          ORDER BY r.next_due_ms IS NULL, r.next_due_ms, r.task_id LIMIT ?",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            let (task_id, run) = row.run.into_run()?;
            Ok(RunningTask {
                task_id,
                name: row.task_name,
                state: row.task_state,
                run,
            })
        })
        .collect()
}

/// Up to `limit` runs with a transition due by `now`, the earliest first.
pub(super) async fn due_runs(
    conn: &mut SqliteConnection,
    now: i64,
    limit: i64,
) -> Result<Vec<(String, Run)>, SmsError> {
    let rows: Vec<RunRow> = sqlx::query_as(select_run!(
        "WHERE next_due_ms <= ? ORDER BY next_due_ms LIMIT ?"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(RunRow::into_run).collect()
}

async fn save_run(conn: &mut SqliteConnection, task_id: &str, run: &Run) -> Result<(), SmsError> {
    let steps: Vec<&str> = run.steps.iter().map(|s| s.as_str()).collect();
    sqlx::query(
        "INSERT INTO task_runs (task_id, kind, phase, steps, step, step_started_ms, step_done,
                                data_bytes, rate_mbit, windows, next_due_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (task_id) DO UPDATE SET kind = ?2, phase = ?3, steps = ?4, step = ?5,
             step_started_ms = ?6, step_done = ?7, data_bytes = ?8, rate_mbit = ?9,
             windows = ?10, next_due_ms = ?11",
    )
    .bind(task_id)
    .bind(run.kind.as_str())
    .bind(run.phase.as_str())
    .bind(steps.join(","))
    .bind(i64::try_from(run.step).unwrap_or(i64::MAX))
    .bind(run.step_started_ms)
    .bind(run.step_done)
    .bind(run.data_bytes)
    .bind(run.rate.mbit)
    .bind(serde_json::to_string(&run.rate.windows).map_err(|e| SmsError::Internal(e.to_string()))?)
    .bind(run.next_due_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends the simulation of a task the admin state route put somewhere: it stays there.
pub async fn stop_simulating(conn: &mut SqliteConnection, task_id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM task_runs WHERE task_id = ?")
        .bind(task_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// What a transition needs to know of the task beyond its run.
#[derive(sqlx::FromRow)]
pub(super) struct TaskContext {
    #[sqlx(rename = "type")]
    kind: String,
    os_type: String,
    syncing: bool,
    speed_limit: i64,
    pub(super) source_server_id: String,
    details: String,
    totalsize: i64,
}

pub(super) async fn context(
    conn: &mut SqliteConnection,
    task_id: &str,
) -> Result<TaskContext, SmsError> {
    sqlx::query_as(
        "SELECT t.type, t.os_type, t.syncing, t.speed_limit, t.source_server_id,
                s.details, s.totalsize
           FROM tasks t JOIN source_servers s ON s.id = t.source_server_id WHERE t.id = ?",
    )
    .bind(task_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| SmsError::Internal(format!("task {task_id} vanished")))
}

/// The rate of a task now: the simulated one, its `speed_limit` and its windows.
async fn rate(
    conn: &mut SqliteConnection,
    task_id: &str,
    speed_limit: i64,
    settings: &SimulationSettings,
) -> sqlx::Result<Rate> {
    let rows: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT start, end, speed FROM task_speed_limits WHERE task_id = ?")
            .bind(task_id)
            .fetch_all(&mut *conn)
            .await?;
    let windows = rows
        .into_iter()
        .filter_map(|(start, end, speed)| {
            Some((
                i64::from(minutes(&start)?),
                i64::from(minutes(&end)?),
                speed,
            ))
        })
        .collect();
    Ok(Rate::new(settings.rate_mbit_per_s, speed_limit, windows))
}

/// The armed fault of a task that has not fired yet.
pub(super) async fn armed(
    conn: &mut SqliteConnection,
    task_id: &str,
) -> Result<Option<ArmedFault>, SmsError> {
    let row: Option<(String, String, String)> = sqlx::query_as(
        "SELECT subtask, error_code, error_param FROM task_faults
          WHERE task_id = ? AND subtask IS NOT NULL AND fired_ms IS NULL",
    )
    .bind(task_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|(subtask, error_code, params)| {
        Ok(ArmedFault {
            subtask: SubtaskName::from_text(&subtask)
                .ok_or_else(|| SmsError::Internal(format!("task {task_id} has a bad fault")))?,
            error_code,
            error_param: serde_json::from_str(&params)
                .map_err(|_| SmsError::Internal(format!("task {task_id} has a bad fault")))?,
        })
    })
    .transpose()
}

/// Carries out an action the simulation takes over (see [`super::super::domain::plan`]).
pub async fn carry_out(
    conn: &mut SqliteConnection,
    task_id: &str,
    plan: Plan,
    run: Option<Run>,
    now: i64,
    settings: &SimulationSettings,
) -> Result<(), SmsError> {
    let ctx = context(conn, task_id).await?;
    let fault = armed(conn, task_id).await?;
    let task_type = TaskType::parse(&ctx.kind).ok_or_else(|| broken(task_id, "task type"))?;
    let os = OsType::parse(&ctx.os_type).ok_or_else(|| broken(task_id, "os type"))?;
    let new_run = async |conn: &mut SqliteConnection, kind: RunKind| {
        let details: serde_json::Value = serde_json::from_str(&ctx.details).unwrap_or_default();
        let total = match kind {
            RunKind::Full => {
                simulation::total_bytes(&details, task_type, settings.default_disk_gib)
            }
            _ => ctx.totalsize.max(1),
        };
        let steps = simulation::chain(kind, task_type, os, ctx.syncing);
        let rate = rate(conn, task_id, ctx.speed_limit, settings).await?;
        let (run, events) = Run::start(
            kind,
            steps,
            simulation::data_bytes(kind, total),
            rate,
            now,
            fault.as_ref(),
        );
        reset_subtasks(conn, task_id, &run, kind == RunKind::Full).await?;
        if kind == RunKind::Full {
            sqlx::query("UPDATE source_servers SET totalsize = ?, replicatesize = 0 WHERE id = ?")
                .bind(total)
                .bind(&ctx.source_server_id)
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "UPDATE tasks SET start_date = ?2, finish_date = NULL, total_time = 0 WHERE id = ?1",
            )
            .bind(task_id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        }
        Ok::<_, SmsError>((run, events))
    };
    let (mut run, events) = match (plan, run) {
        (Plan::Full, _) => new_run(conn, RunKind::Full).await?,
        (Plan::Sync, _) => new_run(conn, RunKind::Sync).await?,
        (Plan::Cutover, _) => new_run(conn, RunKind::Cutover).await?,
        (Plan::Resume, Some(mut run)) => {
            let events = run.resume(now, fault.as_ref());
            (run, events)
        }
        (Plan::BackToSync, Some(run)) => (run, Vec::new()),
        (Plan::Stop, Some(mut run)) => {
            run.stop(now);
            (run, Vec::new())
        }
        (_, None) => return Err(SmsError::Internal(format!("task {task_id} has no run"))),
    };
    // A resumed or restarted task carries no old error.
    sqlx::query("UPDATE tasks SET error_json = '' WHERE id = ?")
        .bind(task_id)
        .execute(&mut *conn)
        .await?;
    record(conn, task_id, &ctx, &mut run, &events, fault.as_ref(), now).await
}

/// Times a task's run anew after its speed limits changed (nothing when it has none).
pub async fn replan(
    conn: &mut SqliteConnection,
    task_id: &str,
    now: i64,
    settings: &SimulationSettings,
) -> Result<(), SmsError> {
    let Some(mut run) = run_of(conn, task_id).await? else {
        return Ok(());
    };
    let ctx = context(conn, task_id).await?;
    let rate = rate(conn, task_id, ctx.speed_limit, settings).await?;
    run.replan(now, rate);
    save_run(conn, task_id, &run).await
}

/// Makes the subtask rows of a new run: a full replication starts the list afresh; a
/// sync or cutover adds its subtasks (or restarts the ones a previous cycle left).
async fn reset_subtasks(
    conn: &mut SqliteConnection,
    task_id: &str,
    run: &Run,
    afresh: bool,
) -> sqlx::Result<()> {
    if afresh {
        sqlx::query("DELETE FROM task_subtasks WHERE task_id = ?")
            .bind(task_id)
            .execute(&mut *conn)
            .await?;
    }
    for name in &run.steps {
        sqlx::query(
            "INSERT INTO task_subtasks (task_id, id, name, progress)
             SELECT ?1, COALESCE(MAX(id), 0) + 1, ?2, 0 FROM task_subtasks WHERE task_id = ?1
             ON CONFLICT (task_id, name) DO UPDATE
                SET progress = 0, start_date = NULL, end_date = NULL, migrate_speed = 0,
                    process_trace = ''",
        )
        .bind(task_id)
        .bind(name.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Writes what the events did to the subtasks, then the task's and source's state for
/// where the run now stands, then the run itself (removed once the target is launched).
pub(super) async fn record(
    conn: &mut SqliteConnection,
    task_id: &str,
    ctx: &TaskContext,
    run: &mut Run,
    events: &[Event],
    fault: Option<&ArmedFault>,
    now: i64,
) -> Result<(), SmsError> {
    let mut last = now;
    for event in events {
        match *event {
            Event::StepStarted { name, at } => {
                sqlx::query(
                    "UPDATE task_subtasks SET start_date = COALESCE(start_date, ?3), end_date = NULL
                      WHERE task_id = ?1 AND name = ?2",
                )
                .bind(task_id)
                .bind(name.as_str())
                .bind(at)
                .execute(&mut *conn)
                .await?;
                last = at;
            }
            Event::StepDone { name, at, mbit } => {
                sqlx::query(
                    "UPDATE task_subtasks SET progress = 100, end_date = ?3, migrate_speed = ?4,
                            start_date = COALESCE(start_date, ?3)
                      WHERE task_id = ?1 AND name = ?2",
                )
                .bind(task_id)
                .bind(name.as_str())
                .bind(at)
                .bind(mbit)
                .execute(&mut *conn)
                .await?;
                if run.kind == RunKind::Full && simulation::moves_data(name) {
                    sqlx::query("UPDATE source_servers SET replicatesize = totalsize WHERE id = ?")
                        .bind(&ctx.source_server_id)
                        .execute(&mut *conn)
                        .await?;
                }
                last = at;
            }
            Event::Failed { name, at } => {
                let code = fault.map_or(DEFAULT_FAULT_CODE, |f| f.error_code.as_str());
                let params = fault.map_or_else(Vec::new, |f| f.error_param.clone());
                fail(conn, task_id, name, at, code, &params).await?;
                sqlx::query("UPDATE task_faults SET fired_ms = ? WHERE task_id = ?")
                    .bind(at)
                    .bind(task_id)
                    .execute(&mut *conn)
                    .await?;
                last = at;
            }
            Event::Finished { at } | Event::Stopped { at } => last = at,
        }
    }
    let (task, source, cycle) = match run.phase {
        Phase::Running => {
            let (t, s, c) = run.running_states();
            (t, s, Some(c))
        }
        Phase::Stopping => (TaskState::Aborting, SourceState::Stopping, None),
        Phase::Paused => (TaskState::Abort, SourceState::Stopped, None),
        Phase::Failed => (run.failed_state(), SourceState::Error, None),
        Phase::Waiting => {
            let (t, s, c) = run.finished_states();
            (t, s, Some(c))
        }
    };
    set_states(
        conn,
        task_id,
        &ctx.source_server_id,
        task,
        source,
        cycle,
        last,
    )
    .await?;
    let snapshot = run.snapshot(last);
    sqlx::query(
        "UPDATE tasks SET migrate_speed = ?2, remain_seconds = ?3, estimate_complete_time = ?4,
                subtask_info = COALESCE(?5, subtask_info),
                total_time = CASE WHEN start_date IS NULL THEN 0 ELSE ?6 - start_date END,
                finish_date = CASE WHEN ?7 THEN ?6 ELSE finish_date END
          WHERE id = ?1",
    )
    .bind(task_id)
    .bind(snapshot.as_ref().map_or(0.0, |s| s.mbit))
    .bind(snapshot.as_ref().map_or(0, |s| (s.remain_ms + 999) / 1000))
    .bind(
        snapshot
            .as_ref()
            .filter(|s| s.remain_ms > 0)
            .map(|s| last + s.remain_ms),
    )
    .bind(
        snapshot
            .as_ref()
            .map(|s| format!("{}:{}%", s.step.as_str(), s.progress))
            // Finished: the last subtask, done.
            .or_else(|| run.steps.last().map(|s| format!("{}:100%", s.as_str()))),
    )
    .bind(last)
    .bind(task == TaskState::MigrateSuccess)
    .execute(&mut *conn)
    .await?;
    if task == TaskState::MigrateSuccess {
        stop_simulating(conn, task_id).await?;
    } else {
        if run.phase == Phase::Waiting {
            // The sync stage: no subtask is running, the next `start` syncs.
            run.steps.clear();
            run.step = 0;
            run.step_done = 0;
        }
        save_run(conn, task_id, run).await?;
    }
    Ok(())
}

/// Sets the task's and its source's state; the source's action times move only when
/// its values do.
async fn set_states(
    conn: &mut SqliteConnection,
    task_id: &str,
    source_id: &str,
    task: TaskState,
    source: SourceState,
    cycle: Option<MigrationCycle>,
    at: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE tasks SET state = ? WHERE id = ?")
        .bind(task.as_str())
        .bind(task_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE source_servers
            SET state_action_time = CASE WHEN state <> ?1 THEN ?3 ELSE state_action_time END,
                stage_action_time = CASE WHEN migration_cycle <> COALESCE(?2, migration_cycle)
                                         THEN ?3 ELSE stage_action_time END,
                state = ?1, migration_cycle = COALESCE(?2, migration_cycle)
          WHERE id = ?4",
    )
    .bind(source.as_str())
    .bind(cycle.map(|c| c.as_str()))
    .bind(at)
    .bind(source_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Fills `error_json` as the real service does: a JSON string whose `error_param` is
/// itself a JSON array in a string (sms-surface.md §2.3); the subtask's trace names it.
pub(super) async fn fail(
    conn: &mut SqliteConnection,
    task_id: &str,
    name: SubtaskName,
    at: i64,
    code: &str,
    params: &[String],
) -> Result<(), SmsError> {
    let params = serde_json::to_string(params).map_err(|e| SmsError::Internal(e.to_string()))?;
    let error_json = serde_json::json!({"error_code": code, "error_param": params}).to_string();
    sqlx::query("UPDATE tasks SET error_json = ? WHERE id = ?")
        .bind(&error_json)
        .bind(task_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE task_subtasks SET start_date = COALESCE(start_date, ?3), process_trace = ?4
          WHERE task_id = ?1 AND name = ?2",
    )
    .bind(task_id)
    .bind(name.as_str())
    .bind(at)
    .bind(format!("{code}: failed by a fault armed on the task"))
    .execute(&mut *conn)
    .await?;
    Ok(())
}
