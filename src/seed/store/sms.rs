//! Source servers and tasks of a fixture, with pinned ids and states.

use sqlx::SqliteConnection;

use super::super::*;
use super::*;

use crate::db::now_ms;
pub async fn insert_source(
    conn: &mut SqliteConnection,
    project_id: &str,
    p: &PlanSource,
) -> Result<(), FixtureError> {
    let s = &p.source;
    let now = now_ms();
    sqlx::query(
        "INSERT INTO source_servers (id, project_id, name, ip, ipv6, hostname, os_type, os_version,
                                     state, connected, migration_cycle, cpu_quantity, memory,
                                     agent_version, migproject, enterprise_project_id, details,
                                     add_date, last_visit_time)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18)",
    )
    .bind(&p.id)
    .bind(project_id)
    .bind(&s.name)
    .bind(&s.ip)
    .bind(&s.ipv6)
    .bind(&s.hostname)
    .bind(s.os_type.map(|o| o.as_str()))
    .bind(&s.os_version)
    .bind(s.state.as_str())
    .bind(p.connected)
    .bind(&s.migration_cycle)
    .bind(s.cpu_quantity)
    .bind(s.memory)
    .bind(&s.agent_version)
    .bind(&p.migproject)
    .bind(&s.enterprise_project_id)
    .bind(serde_json::Value::Object(s.details.clone()).to_string())
    .bind(now)
    .execute(conn)
    .await
    .map_err(at(&p.ctx))?;
    Ok(())
}

pub async fn insert_task(
    conn: &mut SqliteConnection,
    project_id: &str,
    p: &PlanTask,
) -> Result<(), FixtureError> {
    let t = &p.task;
    sqlx::query(
        "INSERT INTO tasks (id, project_id, source_server_id, name, type, os_type, state, priority,
                            migration_ip, region_id, region_name, target_project_id,
                            target_project_name, enterprise_project_id, start_target_server,
                            syncing, speed_limit, target_server, create_date)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&p.id)
    .bind(project_id)
    .bind(&t.source_server_id)
    .bind(&t.name)
    .bind(t.kind.as_str())
    .bind(t.os_type.as_str())
    .bind(p.state.as_str())
    .bind(t.priority)
    .bind(&t.migration_ip)
    .bind(&t.region_id)
    .bind(&t.region_name)
    .bind(&t.target_project_id)
    .bind(&t.target_project_name)
    .bind(&t.enterprise_project_id)
    .bind(t.start_target_server)
    .bind(t.syncing)
    .bind(t.speed_limit)
    .bind(t.target_server.to_string())
    .bind(now_ms())
    .execute(&mut *conn)
    .await
    .map_err(at(&p.ctx))?;
    sqlx::query("UPDATE source_servers SET current_task_id = ? WHERE id = ?")
        .bind(&p.id)
        .bind(&t.source_server_id)
        .execute(conn)
        .await
        .map_err(at(&p.ctx))?;
    Ok(())
}
