//! A migration task as `GET /v3/tasks` and `GET /v3/tasks/{id}` render it.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::super::super::store::{SubtaskRow, TaskRow};
use super::super::shapes;
use super::{complete, object, parsed, zero};

static TASK: LazyLock<Value> = LazyLock::new(shapes::task);

/// A task as show_task and list_tasks render it (one shape for both: the list's extra
/// fields cost nothing to a client of the show). Every field the SDK's task models
/// declare is a field here (a unit test checks them against the generated shape), so
/// nothing is completed at run time but the two objects stored as JSON.
#[derive(Serialize)]
pub struct TaskView<'a> {
    id: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    os_type: &'a str,
    state: &'a str,
    priority: i64,
    migration_ip: &'a str,
    region_id: &'a str,
    region_name: &'a str,
    project_id: &'a str,
    project_name: &'a str,
    enterprise_project_id: &'a str,
    vm_template_id: Option<&'a str>,
    start_target_server: bool,
    syncing: bool,
    speed_limit: i64,
    create_date: i64,
    start_date: Option<i64>,
    finish_date: Option<i64>,
    connected: bool,
    estimate_complete_time: Option<i64>,
    migrate_speed: f64,
    compress_rate: f64,
    remain_seconds: i64,
    total_time: i64,
    error_json: &'a str,
    subtask_info: &'a str,
    total_cpu_usage: f64,
    agent_cpu_usage: f64,
    total_mem_usage: f64,
    agent_mem_usage: f64,
    total_disk_io: f64,
    agent_disk_io: f64,
    need_migration_test: bool,
    log_collect_status: &'a str,
    /// Nothing is cloned and no floating IP or snapshot is kept: the real service sends
    /// no object and empty strings.
    clone_server: Option<()>,
    float_ip: &'static str,
    target_snapshot_id: &'static str,
    network_check_info: Value,
    sub_tasks: Vec<SubtaskView<'a>>,
    special_config: Vec<ConfigView<'a>>,
    source_server: SourceBrief<'a>,
    target_server: Completed,
}

#[derive(Serialize)]
struct SubtaskView<'a> {
    id: i64,
    name: &'a str,
    progress: i64,
    start_date: Option<i64>,
    end_date: Option<i64>,
    migrate_speed: f64,
    user_op: &'a str,
    process_trace: &'a str,
}

#[derive(Serialize)]
struct ConfigView<'a> {
    config_key: &'a str,
    config_value: &'a str,
    config_status: &'a str,
}

#[derive(Serialize)]
struct SourceBrief<'a> {
    id: &'a str,
    name: &'a str,
    ip: &'a str,
    os_type: Option<&'a str>,
    os_version: &'a str,
    oem_system: Value,
    state: &'a str,
    migration_cycle: &'a str,
}

/// An object stored as JSON text, completed with its shape; the shape's zero value,
/// rendered once, when nothing is stored (most tasks' target server).
pub enum Completed {
    Zero(&'static RawValue),
    Own(Value),
}

impl Serialize for Completed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Completed::Zero(raw) => raw.serialize(s),
            Completed::Own(value) => value.serialize(s),
        }
    }
}

static TARGET_ZERO: LazyLock<Box<RawValue>> = LazyLock::new(|| {
    serde_json::value::to_raw_value(&zero(&TASK["target_server"]))
        .unwrap_or_else(|_| RawValue::from_string("{}".into()).unwrap_or_default())
});

fn target_server(text: &str) -> Completed {
    let stored = object(text);
    if stored.is_empty() {
        return Completed::Zero(&TARGET_ZERO);
    }
    let mut value = Value::Object(stored);
    complete(&mut value, &TASK["target_server"]);
    Completed::Own(value)
}

pub fn task<'a>(
    t: &'a TaskRow,
    subtasks: &[&'a SubtaskRow],
    settings: &[&'a (String, String, String, String)],
) -> TaskView<'a> {
    let mut network_check_info = parsed(t.network_check_info.as_deref());
    complete(&mut network_check_info, &TASK["network_check_info"]);
    let oem_system = object(&t.source_details)
        .remove("oem_system")
        .unwrap_or(Value::Bool(false));
    TaskView {
        id: &t.id,
        name: &t.name,
        kind: &t.kind,
        os_type: &t.os_type,
        state: &t.state,
        priority: t.priority,
        migration_ip: &t.migration_ip,
        region_id: &t.region_id,
        region_name: &t.region_name,
        project_id: &t.target_project_id,
        project_name: &t.target_project_name,
        enterprise_project_id: &t.enterprise_project_id,
        vm_template_id: t.vm_template_id.as_deref(),
        start_target_server: t.start_target_server,
        syncing: t.syncing,
        speed_limit: t.speed_limit,
        create_date: t.create_date,
        start_date: t.start_date,
        finish_date: t.finish_date,
        connected: t.source_connected,
        estimate_complete_time: t.estimate_complete_time,
        migrate_speed: t.migrate_speed,
        compress_rate: t.compress_rate,
        remain_seconds: t.remain_seconds,
        total_time: t.total_time,
        error_json: &t.error_json,
        subtask_info: &t.subtask_info,
        total_cpu_usage: t.total_cpu_usage,
        agent_cpu_usage: t.agent_cpu_usage,
        total_mem_usage: t.total_mem_usage,
        agent_mem_usage: t.agent_mem_usage,
        total_disk_io: t.total_disk_io,
        agent_disk_io: t.agent_disk_io,
        need_migration_test: t.need_migration_test,
        log_collect_status: &t.log_collect_status,
        clone_server: None,
        float_ip: "",
        target_snapshot_id: "",
        network_check_info,
        sub_tasks: subtasks
            .iter()
            .map(|s| SubtaskView {
                id: s.id,
                name: &s.name,
                progress: s.progress,
                start_date: s.start_date,
                end_date: s.end_date,
                migrate_speed: s.migrate_speed,
                user_op: &s.user_op,
                process_trace: &s.process_trace,
            })
            .collect(),
        special_config: settings
            .iter()
            .map(|(_, key, value, status)| ConfigView {
                config_key: key,
                config_value: value,
                config_status: status,
            })
            .collect(),
        source_server: SourceBrief {
            id: &t.source_id,
            name: &t.source_name,
            ip: &t.source_ip,
            os_type: t.source_os_type.as_deref(),
            os_version: &t.source_os_version,
            oem_system,
            state: &t.source_state,
            migration_cycle: &t.source_migration_cycle,
        },
        target_server: target_server(&t.target_server),
    }
}

/// `GET /v3/tasks`: the project's count and one page.
#[derive(Serialize)]
pub struct TaskList<'a> {
    pub count: i64,
    pub tasks: Vec<TaskView<'a>>,
}

/// Renders a page of tasks with their subtasks and settings.
pub fn tasks<'a>(
    rows: &'a [TaskRow],
    subtasks: &'a [SubtaskRow],
    settings: &'a [(String, String, String, String)],
) -> Vec<TaskView<'a>> {
    let mut steps: HashMap<&str, Vec<&SubtaskRow>> = HashMap::new();
    for s in subtasks {
        steps.entry(s.task_id.as_str()).or_default().push(s);
    }
    let mut configs: HashMap<&str, Vec<&(String, String, String, String)>> = HashMap::new();
    for c in settings {
        configs.entry(c.0.as_str()).or_default().push(c);
    }
    rows.iter()
        .map(|t| {
            task(
                t,
                steps.get(t.id.as_str()).map_or(&[], Vec::as_slice),
                configs.get(t.id.as_str()).map_or(&[], Vec::as_slice),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::missing;
    use super::*;

    #[test]
    fn a_task_carries_every_field_the_sdk_declares() {
        let text = |s: &str| s.to_owned();
        let row = TaskRow {
            id: text("t"),
            name: text("n"),
            kind: text("MIGRATE_BLOCK"),
            os_type: text("LINUX"),
            state: text("READY"),
            priority: 1,
            migration_ip: text(""),
            region_id: text(""),
            region_name: text(""),
            target_project_id: text(""),
            target_project_name: text(""),
            enterprise_project_id: text("0"),
            start_target_server: false,
            syncing: false,
            speed_limit: 0,
            target_server: text("{}"),
            create_date: 1,
            start_date: None,
            finish_date: None,
            source_id: text("s"),
            source_name: text("sn"),
            source_ip: text("1.2.3.4"),
            source_os_type: Some(text("LINUX")),
            source_os_version: text(""),
            source_state: text("waiting"),
            source_connected: true,
            source_migration_cycle: text("cutovering"),
            source_details: text("{}"),
            vm_template_id: None,
            migrate_speed: 0.0,
            compress_rate: 0.0,
            remain_seconds: 0,
            estimate_complete_time: None,
            total_time: 0,
            error_json: text(""),
            subtask_info: text(""),
            total_cpu_usage: 0.0,
            agent_cpu_usage: 0.0,
            total_mem_usage: 0.0,
            agent_mem_usage: 0.0,
            total_disk_io: 0.0,
            agent_disk_io: 0.0,
            need_migration_test: false,
            network_check_info: Some(text("{}")),
            log_collect_status: text(""),
        };
        let step = SubtaskRow {
            task_id: text("t"),
            id: 1,
            name: text("CREATE_CLOUD_SERVER"),
            progress: 0,
            start_date: None,
            end_date: None,
            migrate_speed: 0.0,
            user_op: text(""),
            process_trace: text(""),
        };
        let setting = (
            "t".to_owned(),
            "k".to_owned(),
            "v".to_owned(),
            "s".to_owned(),
        );
        for target in [r#"{"vm_id": "v"}"#, "{}"] {
            let row = TaskRow {
                target_server: target.into(),
                ..row.clone()
            };
            let view = serde_json::to_value(task(&row, &[&step], &[&setting])).unwrap();
            let mut gaps = Vec::new();
            missing(&view, &TASK, "task", &mut gaps);
            assert!(
                gaps.is_empty(),
                "fields the SDK declares but the view lacks: {gaps:?}"
            );
        }
    }
}
