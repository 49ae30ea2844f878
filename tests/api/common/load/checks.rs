//! The checks that the database file agrees with the ledger and with itself.

use std::collections::{HashMap, HashSet};

use super::{Ledger, Outcome};

/// Rows of the given single-column query.
fn strings(conn: &rusqlite::Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).expect("prepare");
    stmt.query_map([], |row| row.get::<_, String>(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// `PRAGMA integrity_check` is ok, `PRAGMA foreign_key_check` is empty, no instance,
/// schema, tag or dependency row names a service that is gone, and the counts the
/// triggers keep agree with the rows they count.
pub fn storage_problems(conn: &rusqlite::Connection) -> Vec<String> {
    let mut problems = Vec::new();
    let integrity = strings(conn, "PRAGMA integrity_check");
    if integrity != ["ok"] {
        problems.push(format!("integrity_check: {integrity:?}"));
    }
    let mut stmt = conn.prepare("PRAGMA foreign_key_check").expect("prepare");
    let fk: Vec<String> = stmt
        .query_map([], |row| {
            Ok(format!(
                "{} rowid {:?} -> {}",
                row.get::<_, String>(0)?,
                row.get::<_, Option<i64>>(1)?,
                row.get::<_, String>(2)?
            ))
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    if !fk.is_empty() {
        problems.push(format!("foreign_key_check: {fk:?}"));
    }
    for (table, column) in [
        ("instances", "service_id"),
        ("service_schemas", "service_id"),
        ("service_tags", "service_id"),
        ("dependencies", "consumer_id"),
    ] {
        let orphans = strings(
            conn,
            &format!(
                "SELECT {column} FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM microservices m \
                 WHERE m.domain = t.domain AND m.project = t.project AND m.service_id = t.{column})"
            ),
        );
        if !orphans.is_empty() {
            problems.push(format!("{table} rows of deleted services: {orphans:?}"));
        }
    }
    for (table, kept, counted) in [
        (
            "task_counts",
            "SELECT project_id || ' ' || tasks FROM task_counts WHERE tasks > 0 ORDER BY 1",
            "SELECT project_id || ' ' || COUNT(*) FROM tasks GROUP BY project_id ORDER BY 1",
        ),
        (
            "task_state_counts",
            "SELECT project_id || ' ' || state || ' ' || tasks FROM task_state_counts
              WHERE tasks > 0 ORDER BY 1",
            "SELECT project_id || ' ' || state || ' ' || COUNT(*) FROM tasks
              GROUP BY project_id, state ORDER BY 1",
        ),
        (
            "source_state_counts",
            "SELECT project_id || ' ' || state || ' ' || servers || ' ' || connected
               FROM source_state_counts WHERE servers > 0 ORDER BY 1",
            "SELECT project_id || ' ' || state || ' ' || COUNT(*) || ' ' || SUM(connected)
               FROM source_servers GROUP BY project_id, state ORDER BY 1",
        ),
    ] {
        let (kept, counted) = (strings(conn, kept), strings(conn, counted));
        if kept != counted {
            problems.push(format!("{table} says {kept:?}, the rows {counted:?}"));
        }
    }
    problems
}

/// Compares the database with what the clients were told: every 2xx create is there
/// unless a 2xx (or unanswered) delete covered it, every 2xx delete is gone, a refused
/// batch removed nothing, nothing was deleted twice, and the blocked tasks all survive.
pub fn ledger_problems(conn: &rusqlite::Connection, ledger: &Ledger) -> Vec<String> {
    let mut problems = Vec::new();
    let tasks: HashSet<String> = strings(conn, "SELECT id FROM tasks").into_iter().collect();
    let sources: HashSet<String> = strings(conn, "SELECT id FROM source_servers")
        .into_iter()
        .collect();
    let services: HashSet<String> = strings(conn, "SELECT service_id FROM microservices")
        .into_iter()
        .collect();
    let instances: HashSet<String> = strings(
        conn,
        "SELECT service_id || '/' || instance_id FROM instances",
    )
    .into_iter()
    .collect();

    // How often each id was named by a delete, by outcome.
    let tally = |deletes: &[(Vec<String>, Outcome)]| {
        let mut done: HashMap<String, usize> = HashMap::new();
        let mut unknown: HashSet<String> = HashSet::new();
        for (ids, outcome) in deletes {
            for id in ids {
                match outcome {
                    Outcome::Done => *done.entry(id.clone()).or_default() += 1,
                    Outcome::Unknown => {
                        unknown.insert(id.clone());
                    }
                    Outcome::Refused(_) => {}
                }
            }
        }
        (done, unknown)
    };
    let (task_done, task_unknown) = tally(&ledger.task_deletes);
    let (source_done, source_unknown) = tally(&ledger.source_deletes);

    for (id, n) in task_done.iter().chain(source_done.iter()) {
        if *n > 1 {
            problems.push(format!("{id} was deleted by {n} successful batch deletes"));
        }
    }
    for (ids, outcome) in ledger.task_deletes.iter().chain(&ledger.source_deletes) {
        if *outcome == Outcome::Done {
            for id in ids {
                if tasks.contains(id) || sources.contains(id) {
                    problems.push(format!("{id} is still there after a 2xx delete of {ids:?}"));
                }
            }
        }
    }
    for source in &ledger.sources {
        let deleted = source_done.contains_key(source) || source_unknown.contains(source);
        if !sources.contains(source) && !deleted {
            problems.push(format!(
                "source {source} was registered (2xx) but is gone with no delete that succeeded"
            ));
        }
    }
    for (task, source) in &ledger.tasks {
        let deleted = task_done.contains_key(task)
            || task_unknown.contains(task)
            || source_done.contains_key(source)
            || source_unknown.contains(source);
        if !tasks.contains(task) && !deleted {
            problems.push(format!(
                "task {task} was created (2xx) but is gone with no delete that succeeded"
            ));
        }
    }
    for (source, task) in &ledger.blocked {
        if !tasks.contains(task) {
            problems.push(format!("task {task} of a replicating source was deleted"));
        }
        if !sources.contains(source) {
            problems.push(format!("replicating source {source} was deleted"));
        }
    }
    let blocked_state = strings(
        conn,
        "SELECT id || ':' || state || ':' || connected FROM source_servers",
    );
    for (source, _) in &ledger.blocked {
        let want = format!("{source}:replicate:1");
        if !blocked_state.contains(&want) {
            problems.push(format!("{source} is no longer connected and replicating"));
        }
    }
    for (ids, outcome) in &ledger.task_deletes {
        let names_blocked = ids
            .iter()
            .any(|id| ledger.blocked.iter().any(|(_, t)| t == id));
        if names_blocked && *outcome == Outcome::Done {
            problems.push(format!(
                "a batch naming a replicating source's task succeeded: {ids:?}"
            ));
        }
    }

    let mut service_done: HashMap<&str, usize> = HashMap::new();
    let mut service_unknown: HashSet<&str> = HashSet::new();
    for (id, outcome) in &ledger.service_deletes {
        match outcome {
            Outcome::Done => *service_done.entry(id).or_default() += 1,
            Outcome::Unknown => {
                service_unknown.insert(id);
            }
            Outcome::Refused(_) => {}
        }
    }
    for (id, n) in &service_done {
        if *n > 1 {
            problems.push(format!("service {id} was reported deleted {n} times"));
        }
        if services.contains(*id) {
            problems.push(format!(
                "service {id} is still there after a reported delete"
            ));
        }
    }
    for (id, _) in &ledger.services {
        let deleted =
            service_done.contains_key(id.as_str()) || service_unknown.contains(id.as_str());
        if !services.contains(id) && !deleted {
            problems.push(format!(
                "service {id} was created (2xx) but is gone with no delete that succeeded"
            ));
        }
    }
    for (service, instance) in &ledger.instances {
        let there = instances.contains(&format!("{service}/{instance}"));
        if services.contains(service) && !there {
            problems.push(format!(
                "instance {instance} was registered (2xx) and its service is there, but it is gone"
            ));
        }
    }
    problems
}
