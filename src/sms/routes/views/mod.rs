//! How tasks and source servers render: what cloudtwin stores, with every field the
//! SDK's response models declare (the zero value of its type where nothing was reported
//! yet), so that a client reading any declared field finds it. One file per resource;
//! the shapes the SDK's models declare are `shapes.rs`, generated.

mod sources;
mod tasks;

pub use sources::{ServerList, server};
pub use tasks::{TaskList, tasks};

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::super::domain::simulation::{Phase, Run, RunKind, Snapshot};
use super::super::store::{SourceRow, SubtaskRow, TaskRow};

/// The zero value of a shape: lists empty, objects with their fields' zero values.
fn zero(shape: &Value) -> Value {
    match shape {
        Value::Array(_) => Value::Array(Vec::new()),
        Value::Object(fields) => {
            Value::Object(fields.iter().map(|(k, v)| (k.clone(), zero(v))).collect())
        }
        other => other.clone(),
    }
}

/// Adds what `value` lacks of `shape`, at every depth (a list's elements against the
/// shape's one element). Present values, `null` included, are kept as they are.
pub fn complete(value: &mut Value, shape: &Value) {
    match (value, shape) {
        (Value::Object(fields), Value::Object(wanted)) => {
            for (key, sub) in wanted {
                match fields.get_mut(key) {
                    Some(present) => complete(present, sub),
                    None => {
                        fields.insert(key.clone(), zero(sub));
                    }
                }
            }
        }
        (Value::Array(items), Value::Array(element)) => {
            if let Some(element) = element.first() {
                for item in items {
                    complete(item, element);
                }
            }
        }
        _ => {}
    }
}

pub(super) fn object(text: &str) -> Map<String, Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

pub(super) fn parsed(text: Option<&str>) -> Value {
    text.and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(Value::Null)
}

/// Where a simulated run stands at `now`, when a subtask of it is current.
fn snapshot<'a>(
    runs: &'a HashMap<String, Run>,
    task_id: &str,
    now: i64,
) -> Option<(&'a Run, Snapshot)> {
    let run = runs.get(task_id)?;
    Some((run, run.snapshot(now)?))
}

fn remain_secs(s: &Snapshot) -> i64 {
    (s.remain_ms + 999) / 1000
}

/// Completes stored tasks with the progress of their simulated runs at `now`: the
/// database holds each run's last transition, the rest is computed from the clock.
pub fn simulate_tasks(
    rows: &mut [TaskRow],
    subtasks: &mut [SubtaskRow],
    runs: &HashMap<String, Run>,
    now: i64,
) {
    for t in rows {
        let Some((run, s)) = snapshot(runs, &t.id, now) else {
            continue;
        };
        if let Some(step) = subtasks
            .iter_mut()
            .find(|st| st.task_id == t.id && st.name == s.step.as_str())
        {
            step.progress = s.progress;
            step.migrate_speed = s.mbit;
        }
        t.migrate_speed = s.mbit;
        t.remain_seconds = remain_secs(&s);
        t.estimate_complete_time = (s.remain_ms > 0).then_some(now + s.remain_ms);
        t.subtask_info = format!("{}:{}%", s.step.as_str(), s.progress);
        if run.phase == Phase::Running
            && let Some(start) = t.start_date
        {
            t.total_time = now - start;
        }
    }
}

/// Completes stored source servers with the progress of their current task's run.
pub fn simulate_sources(rows: &mut [SourceRow], runs: &HashMap<String, Run>, now: i64) {
    for src in rows {
        let Some((run, s)) = src
            .task_id
            .as_deref()
            .and_then(|id| snapshot(runs, id, now))
        else {
            continue;
        };
        if run.kind == RunKind::Full {
            src.replicatesize = s.bytes_done;
        }
        src.task_migrate_speed = Some(s.mbit);
        src.task_remain_seconds = Some(remain_secs(&s));
        src.task_estimate_complete_time = (s.remain_ms > 0).then_some(now + s.remain_ms);
        src.task_subtask_info = Some(format!("{}:{}%", s.step.as_str(), s.progress));
    }
}

/// Every key of `shape` missing from `value`, at every depth (lists against their
/// element), as paths: what the views' tests check against the SDK's shapes.
#[cfg(test)]
pub(super) fn missing(value: &Value, shape: &Value, at: &str, out: &mut Vec<String>) {
    match (value, shape) {
        (Value::Object(fields), Value::Object(wanted)) => {
            for (key, sub) in wanted {
                match fields.get(key) {
                    Some(v) => missing(v, sub, &format!("{at}.{key}"), out),
                    None => out.push(format!("{at}.{key}")),
                }
            }
        }
        (Value::Array(items), Value::Array(element)) => {
            for item in items {
                missing(item, &element[0], &format!("{at}[]"), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn completion_fills_every_depth_and_keeps_what_is_there() {
        let shape = json!({"a": "", "b": {"c": 0, "d": [{"e": false}]}, "f": [{"g": ""}]});
        let mut value = json!({"a": "kept", "b": {"d": [{}, {"e": true}]}, "f": null});
        complete(&mut value, &shape);
        assert_eq!(
            value,
            json!({"a": "kept", "b": {"c": 0, "d": [{"e": false}, {"e": true}]}, "f": null})
        );
        let mut empty = json!({});
        complete(&mut empty, &shape);
        assert_eq!(empty, json!({"a": "", "b": {"c": 0, "d": []}, "f": []}));
    }
}
