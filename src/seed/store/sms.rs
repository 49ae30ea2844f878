//! Source servers and tasks of a fixture, written through the SMS store with their
//! pinned ids, states and flags.

use sqlx::SqliteConnection;

use super::super::*;
use super::*;
use crate::sms::store;

pub async fn insert_source(
    conn: &mut SqliteConnection,
    project_id: &str,
    p: &PlanSource,
    now_ms: i64,
) -> Result<(), FixtureError> {
    store::insert_source(
        conn,
        project_id,
        &p.id,
        &p.source,
        p.connected,
        &p.migproject,
        now_ms,
    )
    .await
    .map_err(at(&p.ctx))
}

pub async fn insert_task(
    conn: &mut SqliteConnection,
    project_id: &str,
    p: &PlanTask,
    now_ms: i64,
) -> Result<(), FixtureError> {
    store::insert_task(conn, project_id, &p.id, &p.task, p.state, now_ms)
        .await
        .map_err(at(&p.ctx))
}

pub async fn insert_migproject(
    conn: &mut SqliteConnection,
    project_id: &str,
    p: &PlanMigProject,
    now_ms: i64,
) -> Result<(), FixtureError> {
    store::insert_migproject(conn, project_id, &p.id, &p.fields, p.isdefault, now_ms)
        .await
        .map_err(at(&p.ctx))
}

pub async fn insert_template(
    conn: &mut SqliteConnection,
    project_id: &str,
    p: &PlanTemplate,
    now_ms: i64,
) -> Result<(), FixtureError> {
    store::insert_template(conn, project_id, &p.id, &p.fields, now_ms)
        .await
        .map_err(at(&p.ctx))
}
