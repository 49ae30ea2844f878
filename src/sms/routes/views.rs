//! How tasks and source servers render: what cloudtwin stores, completed with every field
//! the SDK's response models declare (the zero value of its type where nothing was
//! reported yet), so that a client reading any declared field finds it.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::{Map, Value, json};

use super::super::domain::simulation::{Phase, Run, RunKind, Snapshot};
use super::super::store::{SourceRow, SubtaskRow, TaskRow};
use super::shapes;

static TASK: LazyLock<Value> = LazyLock::new(shapes::task);
static SERVER: LazyLock<Value> = LazyLock::new(shapes::server);

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

fn object(text: &str) -> Map<String, Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

fn parsed(text: Option<&str>) -> Value {
    text.and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(Value::Null)
}

/// A task as show_task and list_tasks render it (one shape for both: the list's extra
/// fields cost nothing to a client of the show).
pub fn task(
    t: &TaskRow,
    subtasks: &[&SubtaskRow],
    settings: &[(String, String, String, String)],
) -> Value {
    let source_details = object(&t.source_details);
    let mut out = json!({
        "id": t.id, "name": t.name, "type": t.kind, "os_type": t.os_type, "state": t.state,
        "priority": t.priority, "migration_ip": t.migration_ip, "region_id": t.region_id,
        "region_name": t.region_name, "project_id": t.target_project_id,
        "project_name": t.target_project_name, "enterprise_project_id": t.enterprise_project_id,
        "vm_template_id": t.vm_template_id,
        "start_target_server": t.start_target_server, "syncing": t.syncing,
        "speed_limit": t.speed_limit, "create_date": t.create_date, "start_date": t.start_date,
        "finish_date": t.finish_date, "connected": t.source_connected,
        "estimate_complete_time": t.estimate_complete_time,
        "migrate_speed": t.migrate_speed, "compress_rate": t.compress_rate,
        "remain_seconds": t.remain_seconds, "total_time": t.total_time,
        "error_json": t.error_json, "subtask_info": t.subtask_info,
        "total_cpu_usage": t.total_cpu_usage, "agent_cpu_usage": t.agent_cpu_usage,
        "total_mem_usage": t.total_mem_usage, "agent_mem_usage": t.agent_mem_usage,
        "total_disk_io": t.total_disk_io, "agent_disk_io": t.agent_disk_io,
        "need_migration_test": t.need_migration_test,
        "log_collect_status": t.log_collect_status,
        // Nothing cloned and no network check yet: the real service sends no object.
        "clone_server": Value::Null,
        "network_check_info": parsed(t.network_check_info.as_deref()),
        "sub_tasks": subtasks.iter().map(|s| json!({
            "id": s.id, "name": s.name, "progress": s.progress, "start_date": s.start_date,
            "end_date": s.end_date, "migrate_speed": s.migrate_speed, "user_op": s.user_op,
            "process_trace": s.process_trace,
        })).collect::<Vec<_>>(),
        "special_config": settings.iter().map(|(_, key, value, status)| json!({
            "config_key": key, "config_value": value, "config_status": status,
        })).collect::<Vec<_>>(),
        "source_server": {
            "id": t.source_id, "name": t.source_name, "ip": t.source_ip,
            "os_type": t.source_os_type, "os_version": t.source_os_version,
            "oem_system": source_details.get("oem_system").cloned().unwrap_or(Value::Bool(false)),
            "state": t.source_state, "migration_cycle": t.source_migration_cycle,
        },
        "target_server": Value::Object(object(&t.target_server)),
    });
    complete(&mut out, &TASK);
    out
}

/// Renders a page of tasks with their subtasks and settings.
pub fn tasks(
    rows: &[TaskRow],
    subtasks: &[SubtaskRow],
    settings: &[(String, String, String, String)],
) -> Vec<Value> {
    let mut steps: HashMap<&str, Vec<&SubtaskRow>> = HashMap::new();
    for s in subtasks {
        steps.entry(s.task_id.as_str()).or_default().push(s);
    }
    rows.iter()
        .map(|t| {
            let mine: Vec<(String, String, String, String)> =
                settings.iter().filter(|s| s.0 == t.id).cloned().collect();
            task(
                t,
                steps.get(t.id.as_str()).map_or(&[], Vec::as_slice),
                &mine,
            )
        })
        .collect()
}

/// A source server as show_server and list_servers render it: what the agent
/// registered, the brief of its current task, and every declared field.
pub fn server(s: &SourceRow) -> Value {
    let current_task = s.task_id.as_ref().map(|id| {
        let target = object(s.task_target_server.as_deref().unwrap_or("{}"));
        json!({
            "id": id, "name": s.task_name, "type": s.task_type, "state": s.task_state,
            "start_date": s.task_start_date, "speed_limit": s.task_speed_limit,
            "start_target_server": s.task_start_target_server, "region_id": s.task_region_id,
            "project_id": s.task_project_id, "project_name": s.task_project_name,
            "estimate_complete_time": s.task_estimate_complete_time,
            "migrate_speed": s.task_migrate_speed, "compress_rate": s.task_compress_rate,
            "vm_template_id": s.task_vm_template_id,
            "target_server": {
                "vm_id": target.get("vm_id").cloned().unwrap_or(json!("")),
                "name": target.get("name").cloned().unwrap_or(json!("")),
            },
            "log_collect_status": s.task_log_collect_status, "log_bucket": s.task_log_bucket,
            "log_upload_time": s.task_log_upload_time, "remain_seconds": s.task_remain_seconds,
            "subtask_info": s.task_subtask_info,
            "clone_server": Value::Null,
        })
    });
    let mut out = object(&s.details);
    let own = json!({
        "id": s.id, "name": s.name, "ip": s.ip, "ipv6": s.ipv6, "hostname": s.hostname,
        "os_type": s.os_type, "os_version": s.os_version, "state": s.state,
        "connected": s.connected, "migration_cycle": s.migration_cycle,
        "cpu_quantity": s.cpu_quantity, "memory": s.memory, "agent_version": s.agent_version,
        "migprojectid": s.migproject, "enterprise_project_id": s.enterprise_project_id,
        "add_date": s.add_date, "last_visit_time": s.last_visit_time,
        "replicatesize": s.replicatesize, "totalsize": s.totalsize,
        "state_action_time": s.state_action_time, "stage_action_time": s.stage_action_time,
        "is_consistency_result_exist": s.is_consistency_result_exist,
        "current_task": current_task,
    });
    if let Value::Object(own) = own {
        out.extend(own);
    }
    let mut out = Value::Object(out);
    // The agent registers without a start type: the console's default.
    if out.get("start_type").is_none() {
        out["start_type"] = json!("MANUAL");
    }
    complete(&mut out, &SERVER);
    out
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

#[cfg(test)]
mod tests {
    use super::*;

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
