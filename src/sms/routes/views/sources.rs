//! A source server as `GET /v3/sources` and `GET /v3/sources/{id}` render it: the
//! document its agent reported (disks, networks, firmware…) completed with every field
//! the SDK declares, beside what cloudtwin keeps of the server and the brief of its
//! current task.

use std::sync::LazyLock;

use serde::Serialize;
use serde_json::{Map, Value};

use super::super::super::store::SourceRow;
use super::super::shapes;
use super::{complete, object};

static SERVER: LazyLock<Value> = LazyLock::new(shapes::server);

/// The fields a view sets itself; the agent's document cannot override them.
const OWN: [&str; 23] = [
    "id",
    "name",
    "ip",
    "ipv6",
    "hostname",
    "os_type",
    "os_version",
    "state",
    "connected",
    "migration_cycle",
    "cpu_quantity",
    "memory",
    "agent_version",
    "migprojectid",
    "enterprise_project_id",
    "add_date",
    "last_visit_time",
    "replicatesize",
    "totalsize",
    "state_action_time",
    "stage_action_time",
    "is_consistency_result_exist",
    "current_task",
];

/// The shape of what the agent reports: the server's shape without the fields above.
static REPORTED: LazyLock<Value> = LazyLock::new(|| {
    let mut shape = SERVER.clone();
    if let Value::Object(fields) = &mut shape {
        fields.retain(|key, _| !OWN.contains(&key.as_str()));
    }
    shape
});

#[derive(Serialize)]
pub struct ServerView<'a> {
    id: &'a str,
    name: &'a str,
    ip: &'a str,
    ipv6: &'a str,
    hostname: &'a str,
    os_type: Option<&'a str>,
    os_version: &'a str,
    state: &'a str,
    connected: bool,
    migration_cycle: &'a str,
    cpu_quantity: Option<i64>,
    memory: Option<i64>,
    agent_version: &'a str,
    migprojectid: &'a str,
    enterprise_project_id: &'a str,
    add_date: i64,
    last_visit_time: i64,
    replicatesize: i64,
    totalsize: i64,
    state_action_time: Option<i64>,
    stage_action_time: Option<i64>,
    is_consistency_result_exist: bool,
    current_task: Option<CurrentTask<'a>>,
    #[serde(flatten)]
    reported: Map<String, Value>,
}

#[derive(Serialize)]
struct CurrentTask<'a> {
    id: &'a str,
    name: Option<&'a str>,
    #[serde(rename = "type")]
    kind: Option<&'a str>,
    state: Option<&'a str>,
    start_date: Option<i64>,
    speed_limit: Option<i64>,
    start_target_server: Option<bool>,
    region_id: Option<&'a str>,
    project_id: Option<&'a str>,
    project_name: Option<&'a str>,
    estimate_complete_time: Option<i64>,
    migrate_speed: Option<f64>,
    compress_rate: Option<f64>,
    vm_template_id: Option<&'a str>,
    target_server: TargetBrief,
    log_collect_status: Option<&'a str>,
    log_bucket: Option<&'a str>,
    log_upload_time: Option<i64>,
    remain_seconds: Option<i64>,
    subtask_info: Option<&'a str>,
    /// Nothing is cloned, no existing server is reused, no public IP is asked for and
    /// logs are not shared: the real service's empty values.
    clone_server: Option<()>,
    exist_server: bool,
    use_public_ip: bool,
    log_expire: i64,
    log_share_url: &'static str,
}

#[derive(Serialize)]
struct TargetBrief {
    vm_id: Value,
    name: Value,
}

/// `GET /v3/sources`: the project's count and one page.
#[derive(Serialize)]
pub struct ServerList<'a> {
    pub count: i64,
    pub source_servers: Vec<ServerView<'a>>,
}

pub fn server(s: &SourceRow) -> ServerView<'_> {
    let current_task = s.task_id.as_deref().map(|id| {
        let mut target = object(s.task_target_server.as_deref().unwrap_or("{}"));
        let mut take = |key: &str| target.remove(key).unwrap_or_else(|| Value::from(""));
        CurrentTask {
            id,
            name: s.task_name.as_deref(),
            kind: s.task_type.as_deref(),
            state: s.task_state.as_deref(),
            start_date: s.task_start_date,
            speed_limit: s.task_speed_limit,
            start_target_server: s.task_start_target_server,
            region_id: s.task_region_id.as_deref(),
            project_id: s.task_project_id.as_deref(),
            project_name: s.task_project_name.as_deref(),
            estimate_complete_time: s.task_estimate_complete_time,
            migrate_speed: s.task_migrate_speed,
            compress_rate: s.task_compress_rate,
            vm_template_id: s.task_vm_template_id.as_deref(),
            target_server: TargetBrief {
                vm_id: take("vm_id"),
                name: take("name"),
            },
            log_collect_status: s.task_log_collect_status.as_deref(),
            log_bucket: s.task_log_bucket.as_deref(),
            log_upload_time: s.task_log_upload_time,
            remain_seconds: s.task_remain_seconds,
            subtask_info: s.task_subtask_info.as_deref(),
            clone_server: None,
            exist_server: false,
            use_public_ip: false,
            log_expire: 0,
            log_share_url: "",
        }
    });
    let mut reported = object(&s.details);
    reported.retain(|key, _| !OWN.contains(&key.as_str()));
    // The agent registers without a start type: the console's default.
    reported
        .entry("start_type")
        .or_insert_with(|| Value::from("MANUAL"));
    let mut reported = Value::Object(reported);
    complete(&mut reported, &REPORTED);
    ServerView {
        id: &s.id,
        name: &s.name,
        ip: &s.ip,
        ipv6: &s.ipv6,
        hostname: &s.hostname,
        os_type: s.os_type.as_deref(),
        os_version: &s.os_version,
        state: &s.state,
        connected: s.connected,
        migration_cycle: &s.migration_cycle,
        cpu_quantity: s.cpu_quantity,
        memory: s.memory,
        agent_version: &s.agent_version,
        migprojectid: &s.migproject,
        enterprise_project_id: &s.enterprise_project_id,
        add_date: s.add_date,
        last_visit_time: s.last_visit_time,
        replicatesize: s.replicatesize,
        totalsize: s.totalsize,
        state_action_time: s.state_action_time,
        stage_action_time: s.stage_action_time,
        is_consistency_result_exist: s.is_consistency_result_exist,
        current_task,
        reported: match reported {
            Value::Object(map) => map,
            _ => Map::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::missing;
    use super::*;

    #[test]
    fn a_server_carries_every_field_the_sdk_declares() {
        let text = |s: &str| Some(s.to_owned());
        let row = SourceRow {
            id: "s".into(),
            name: "web".into(),
            ip: "10.0.0.1".into(),
            ipv6: String::new(),
            hostname: "web".into(),
            os_type: text("LINUX"),
            os_version: String::new(),
            state: "waiting".into(),
            connected: true,
            migration_cycle: "none".into(),
            cpu_quantity: Some(2),
            memory: None,
            agent_version: "1".into(),
            migproject: "m".into(),
            enterprise_project_id: "0".into(),
            details: r#"{"firmware": "BIOS", "disks": [{"name": "sda"}], "id": "forged"}"#.into(),
            add_date: 1,
            last_visit_time: 2,
            task_id: text("t"),
            task_name: text("web-migrate"),
            task_type: text("MIGRATE_BLOCK"),
            task_state: text("RUNNING"),
            task_start_date: Some(3),
            task_speed_limit: Some(0),
            task_start_target_server: Some(false),
            task_region_id: text(""),
            task_project_id: text(""),
            task_project_name: text(""),
            replicatesize: 0,
            totalsize: 0,
            state_action_time: None,
            stage_action_time: None,
            is_consistency_result_exist: false,
            task_estimate_complete_time: None,
            task_migrate_speed: Some(0.0),
            task_compress_rate: Some(0.0),
            task_vm_template_id: None,
            task_target_server: text(r#"{"vm_id": "v"}"#),
            task_log_collect_status: text(""),
            task_log_bucket: text(""),
            task_log_upload_time: None,
            task_remain_seconds: Some(0),
            task_subtask_info: text(""),
        };
        let idle = SourceRow {
            task_id: None,
            details: "{}".into(),
            ..row.clone()
        };
        for (which, row) in [("with a task", &row), ("idle", &idle)] {
            let view = serde_json::to_value(server(row)).unwrap();
            let mut gaps = Vec::new();
            missing(&view, &SERVER, "server", &mut gaps);
            // An idle server has no current task: the real service sends null there.
            gaps.retain(|g| !(row.task_id.is_none() && g.starts_with("server.current_task.")));
            assert!(gaps.is_empty(), "{which}: declared but missing: {gaps:?}");
            assert_eq!(
                view["id"], "s",
                "the agent's document cannot override the id"
            );
            assert_eq!(view["start_type"], "MANUAL");
        }
        let view = serde_json::to_value(server(&row)).unwrap();
        assert_eq!(view["firmware"], "BIOS", "the agent's document is kept");
        assert_eq!(view["disks"][0]["name"], "sda");
        assert_eq!(view["current_task"]["target_server"]["vm_id"], "v");
    }
}
