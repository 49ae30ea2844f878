//! A task's bandwidth schedule, configuration settings, consistency results, log
//! collection and secure-channel secrets.

use sqlx::sqlite::SqliteConnection;

use super::super::domain::{
    CertBundle, ConfigKey, ConfigSetting, ConsistencyResult, SpeedWindow, new_passphrase,
};
use super::super::error::SmsError;
use super::agent::task_missing;

/// The task's type and OS, when the task exists in the project.
pub async fn task_kind(
    conn: &mut SqliteConnection,
    project: &str,
    task_id: &str,
) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as("SELECT type, os_type FROM tasks WHERE project_id = ? AND id = ?")
        .bind(project)
        .bind(task_id)
        .fetch_optional(&mut *conn)
        .await
}

async fn require_task(
    conn: &mut SqliteConnection,
    project: &str,
    id: &str,
) -> Result<(), SmsError> {
    task_kind(conn, project, id)
        .await?
        .map(|_| ())
        .ok_or_else(|| task_missing(id))
}

pub async fn speed_limits(
    conn: &mut SqliteConnection,
    project: &str,
    task_id: &str,
) -> Result<Vec<SpeedWindow>, SmsError> {
    require_task(conn, project, task_id).await?;
    let rows: Vec<(String, String, i64, f64)> = sqlx::query_as(
        "SELECT start, end, speed, over_speed_threshold FROM task_speed_limits
          WHERE task_id = ? ORDER BY position",
    )
    .bind(task_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(start, end, speed, over_speed_threshold)| SpeedWindow {
            start,
            end,
            speed,
            over_speed_threshold,
        })
        .collect())
}

/// Replaces the task's schedule with `windows` (an empty list removes it).
pub async fn set_speed_limits(
    conn: &mut SqliteConnection,
    project: &str,
    task_id: &str,
    windows: &[SpeedWindow],
) -> Result<(), SmsError> {
    require_task(conn, project, task_id).await?;
    sqlx::query("DELETE FROM task_speed_limits WHERE task_id = ?")
        .bind(task_id)
        .execute(&mut *conn)
        .await?;
    for (position, w) in windows.iter().enumerate() {
        sqlx::query(
            "INSERT INTO task_speed_limits (task_id, position, start, end, speed,
                                            over_speed_threshold)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(task_id)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(&w.start)
        .bind(&w.end)
        .bind(w.speed)
        .bind(w.over_speed_threshold)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn config_settings(
    conn: &mut SqliteConnection,
    project: &str,
    task_id: &str,
    key: Option<&str>,
) -> Result<Vec<ConfigSetting>, SmsError> {
    require_task(conn, project, task_id).await?;
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT config_key, config_value, config_status FROM task_config_settings
          WHERE task_id = ?1 AND (?2 IS NULL OR config_key = ?2) ORDER BY config_key",
    )
    .bind(task_id)
    .bind(key)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(config_key, config_value, config_status)| ConfigSetting {
            config_key,
            config_value,
            config_status,
        })
        .collect())
}

/// Sets each given key; keys not in the request keep their value.
pub async fn upsert_config_settings(
    conn: &mut SqliteConnection,
    project: &str,
    task_id: &str,
    settings: &[(ConfigKey, ConfigSetting)],
) -> Result<(), SmsError> {
    require_task(conn, project, task_id).await?;
    for (key, s) in settings {
        sqlx::query(
            "INSERT INTO task_config_settings (task_id, config_key, config_value, config_status)
             VALUES (?, ?, ?, ?)
             ON CONFLICT (task_id, config_key) DO UPDATE SET
                 config_value = excluded.config_value, config_status = excluded.config_status",
        )
        .bind(task_id)
        .bind(key.as_str())
        .bind(&s.config_value)
        .bind(&s.config_status)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The task's last consistency check, and when it was reported.
pub async fn consistency_results(
    conn: &mut SqliteConnection,
    project: &str,
    task_id: &str,
) -> Result<Vec<(ConsistencyResult, i64)>, SmsError> {
    require_task(conn, project, task_id).await?;
    let rows: Vec<(String, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT dir_check, num_total_files, num_different_files, num_target_miss_files,
                num_target_more_files, finished_time
           FROM task_consistency_results WHERE task_id = ? ORDER BY position",
    )
    .bind(task_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(dir_check, total, different, miss, more, finished)| {
            (
                ConsistencyResult {
                    dir_check,
                    num_total_files: total,
                    num_different_files: different,
                    num_target_miss_files: miss,
                    num_target_more_files: more,
                },
                finished,
            )
        })
        .collect())
}

/// Replaces the task's consistency results with a new check.
pub async fn set_consistency_results(
    conn: &mut SqliteConnection,
    project: &str,
    task_id: &str,
    results: &[ConsistencyResult],
    now: i64,
) -> Result<(), SmsError> {
    require_task(conn, project, task_id).await?;
    sqlx::query("DELETE FROM task_consistency_results WHERE task_id = ?")
        .bind(task_id)
        .execute(&mut *conn)
        .await?;
    for (position, r) in results.iter().enumerate() {
        sqlx::query(
            "INSERT INTO task_consistency_results (task_id, position, dir_check,
                 num_total_files, num_different_files, num_target_miss_files,
                 num_target_more_files, finished_time)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(task_id)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(&r.dir_check)
        .bind(r.num_total_files)
        .bind(r.num_different_files)
        .bind(r.num_target_miss_files)
        .bind(r.num_target_more_files)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Starts a log collection: the agent is told to upload (see `next_command`) and its
/// command result settles the status. A task never started has no logs (SMS.7717); one
/// collection at a time (SMS.7716).
pub async fn start_log_collection(
    conn: &mut SqliteConnection,
    project: &str,
    task_id: &str,
    bucket: &str,
) -> Result<(), SmsError> {
    let row: Option<(Option<i64>, String)> = sqlx::query_as(
        "SELECT start_date, log_collect_status FROM tasks WHERE project_id = ? AND id = ?",
    )
    .bind(project)
    .bind(task_id)
    .fetch_optional(&mut *conn)
    .await?;
    let (start_date, status) = row.ok_or_else(|| task_missing(task_id))?;
    if start_date.is_none() {
        return Err(SmsError::bad(
            "SMS.7717",
            "task_id",
            "logs cannot be collected before the task was started",
        ));
    }
    if status == "UPLOADING" {
        return Err(SmsError::bad(
            "SMS.7716",
            "task_id",
            "a log collection is still in progress",
        ));
    }
    sqlx::query("UPDATE tasks SET log_collect_status = 'UPLOADING', log_bucket = ? WHERE id = ?")
        .bind(bucket)
        .bind(task_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The task's passphrase and certificates, made the first time they are asked for and
/// kept from then on (in the database, so restarts keep them too).
pub async fn task_secrets(
    conn: &mut SqliteConnection,
    project: &str,
    task_id: &str,
) -> Result<(String, CertBundle), SmsError> {
    let (passphrase, stored) = secrets_row(conn, project, task_id).await?;
    if let (Some(passphrase), Some(bundle)) = (&passphrase, &stored) {
        return Ok((passphrase.clone(), bundle.clone()));
    }
    let passphrase = passphrase.unwrap_or_else(new_passphrase);
    let bundle = stored.unwrap_or_else(CertBundle::generate);
    let json = serde_json::to_string(&bundle).map_err(|e| SmsError::Internal(e.to_string()))?;
    sqlx::query("UPDATE tasks SET passphrase = ?, certificates = ? WHERE id = ?")
        .bind(&passphrase)
        .bind(json)
        .bind(task_id)
        .execute(&mut *conn)
        .await?;
    Ok((passphrase, bundle))
}

/// The stored passphrase and certificates, each `None` until made.
async fn secrets_row(
    conn: &mut SqliteConnection,
    project: &str,
    task_id: &str,
) -> Result<(Option<String>, Option<CertBundle>), SmsError> {
    let row: Option<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT passphrase, certificates FROM tasks WHERE project_id = ? AND id = ?",
    )
    .bind(project)
    .bind(task_id)
    .fetch_optional(&mut *conn)
    .await?;
    let (passphrase, certificates) = row.ok_or_else(|| task_missing(task_id))?;
    Ok((
        passphrase,
        certificates.and_then(|c| serde_json::from_str(&c).ok()),
    ))
}

/// The stored secrets, if they were made already (a read that needs no writer).
pub async fn stored_secrets(
    conn: &mut SqliteConnection,
    project: &str,
    task_id: &str,
) -> Result<Option<(String, CertBundle)>, SmsError> {
    let (passphrase, bundle) = secrets_row(conn, project, task_id).await?;
    Ok(passphrase.zip(bundle))
}
