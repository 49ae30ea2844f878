//! The benchmark tool behind `bench/run.sh` (see docs/performance.md). Not a test: it
//! seeds databases, measures the raw-store ceilings in-process, serves the trivial actix
//! ceiling, drives the bounded registry registration and waits for `/ready`. The HTTP
//! load itself comes from `wrk`.
//!
//! Every subcommand that measures prints one line `RESULT key=value …` for the script.

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cloudtwin::clock::wall_ms;
use cloudtwin::config::{Overrides, Settings};
use cloudtwin::db::Db;
use cloudtwin::registry::domain::{ServiceId, Tenant};
use cloudtwin::sms::domain::{BatchIds, TASK_ID_MAX};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const USAGE: &str = "usage: perf <command> …
  sms-seed DB TASKS IDS_OUT          demo account + TASKS deletable tasks; IDS_OUT: one {\"ids\":[50]} body a line
  sms-raw DB IDS CONC SECS           the batch deletes through sms::store::delete_tasks in Db::write, no HTTP
  sms-sqlite DB IDS SECS             the same deletes in raw SQLite (rusqlite), id-keyed plan, one connection
  trivial ADDR                       a trivial actix-web app (GET / -> ok) until SIGTERM
  reg-register BASE N K CONC         N services with K instances each over HTTP, CONC services in flight
  reg-churn BASE N TOTAL CONC        TOTAL instances registered then deregistered over HTTP, spread
                                     over the N registered services, CONC in flight
  reg-store-load DB OP N K CONC SECS heartbeat|discovery over N services x K instances through
                                     the registry read model (registry::Model), no HTTP, CONC tasks for SECS seconds
  sms-list-store DB CONC SECS        the reads of GET /v3/tasks?limit=50 (count, page, subtasks, settings, runs)
                                     through sms::store in Db::read, no HTTP and no rendering
  sms-list-sqlite DB SECS            the same statements in raw SQLite (rusqlite), every column copied, two threads
  reg-store-register DB N K CONC     K more instances for each of the N registered services through
                                     registry::Model::register (group commit), no HTTP
  reg-raw-register DB N K            the same registrations' INSERTs in raw SQLite (rusqlite), 64 a txn
  reg-seed-extra DB N                dependencies and a tag for services 0..N (consumer and provider side)
  reg-raw-delete DB N                the force delete's row deletes in raw SQLite (rusqlite), one txn per service
  reg-store-delete DB N              the same through registry::store::delete_service, no HTTP
  startup-seed DB TASKS INSTANCES    demo account, TASKS tasks (with sources) and INSTANCES instances (5 per service)
  wait-ready ADDR TIMEOUT_MS         polls GET /ready; prints the unix time in ns when it answered 200";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench`; ignore it so that the binary also runs that way.
    let args: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--bench")
        .collect();
    let outcome = match args.as_slice() {
        ["sms-seed", db, tasks, out] => rt().block_on(sms_seed(db, num(tasks), out)),
        ["sms-raw", db, ids, conc, secs] => rt().block_on(sms_raw(db, ids, num(conc), num(secs))),
        ["sms-sqlite", db, ids, secs] => sms_sqlite(db, ids, num(secs)),
        ["sms-list-store", db, conc, secs] => {
            rt().block_on(sms_list_store(db, num(conc), num(secs)))
        }
        ["sms-list-sqlite", db, secs] => sms_list_sqlite(db, num(secs)),
        ["trivial", addr] => trivial(addr),
        ["reg-register", base, n, k, conc] => {
            rt().block_on(reg_register(base, num(n), num(k), num(conc)))
        }
        ["reg-churn", base, n, total, conc] => {
            rt().block_on(reg_churn(base, num(n), num(total), num(conc)))
        }
        ["reg-store-load", db, op, n, k, conc, secs] => {
            rt().block_on(reg_store_load(db, op, num(n), num(k), num(conc), num(secs)))
        }
        ["reg-store-register", db, n, k, conc] => {
            rt().block_on(reg_store_register(db, num(n), num(k), num(conc)))
        }
        ["reg-raw-register", db, n, k] => reg_raw_register(db, num(n), num(k)),
        ["reg-seed-extra", db, n] => reg_seed_extra(db, num(n)),
        ["reg-raw-delete", db, n] => reg_raw_delete(db, num(n)),
        ["reg-store-delete", db, n] => rt().block_on(reg_store_delete(db, num(n))),
        ["startup-seed", db, tasks, instances] => {
            rt().block_on(startup_seed(db, num(tasks), num(instances)))
        }
        ["wait-ready", addr, timeout] => wait_ready(addr, num(timeout)),
        ["sim-seed", db, n, phase] => rt().block_on(sim_seed(db, num(n), phase)),
        ["sim-wait", db, timeout] => sim_wait(db, num(timeout)),
        ["cpu-ticks", pid] => cpu_ticks(pid),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(e) = outcome {
        eprintln!("perf: {e}");
        std::process::exit(1);
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn num(s: &str) -> usize {
    s.parse().unwrap_or_else(|_| {
        eprintln!("perf: not a number: {s}\n{USAGE}");
        std::process::exit(2);
    })
}

fn settings(db: &str) -> Res<Settings> {
    let mut settings = Settings::load_from(&Overrides::default(), Path::new("config"))?;
    settings.database = PathBuf::from(db);
    settings.log.level = "warn".into();
    Ok(settings)
}

fn now_ms() -> i64 {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    i64::try_from(ms).unwrap_or(i64::MAX)
}

/// Latencies in microseconds → `p50_ms=… p99_ms=…`.
fn percentiles(mut lat: Vec<u64>) -> String {
    lat.sort_unstable();
    let pick = |q: f64| -> f64 {
        if lat.is_empty() {
            return 0.0;
        }
        let last = lat.len() - 1;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let i = ((last as f64) * q).round() as usize;
        lat[i.min(last)] as f64 / 1000.0
    };
    format!("p50_ms={:.2} p99_ms={:.2}", pick(0.50), pick(0.99))
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Opens the file with the server's migrations and demo account, returns the demo project.
async fn prepare(db: &str) -> Res<String> {
    let (state, demo) = cloudtwin::startup::open(settings(db)?).await?;
    let demo = demo.ok_or("the benchmark needs the demo account")?;
    state.db.close().await;
    Ok(demo.project_id)
}

fn bulk_conn(db: &str) -> Res<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(db)?;
    conn.execute_batch("PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF;")?;
    Ok(conn)
}

/// `count` deletable SMS tasks (source `waiting`, connected, the task current) in `project`.
fn insert_tasks(conn: &mut rusqlite::Connection, project: &str, count: usize) -> Res<Vec<String>> {
    let now = now_ms();
    let tx = conn.transaction()?;
    let mut ids = Vec::with_capacity(count);
    {
        let mut source = tx.prepare(
            "INSERT INTO source_servers (id, project_id, name, ip, hostname, os_type, os_version,
                 state, connected, current_task_id, add_date, last_visit_time)
             VALUES (?1, ?2, ?3, ?4, ?3, 'LINUX', 'Ubuntu 22.04', 'waiting', 1, ?5, ?6, ?6)",
        )?;
        let mut task = tx.prepare(
            "INSERT INTO tasks (id, project_id, source_server_id, name, type, os_type,
                 region_id, region_name, target_project_id, target_project_name, create_date)
             VALUES (?1, ?2, ?3, ?4, 'MIGRATE_BLOCK', 'LINUX', 'cn-north-4', 'cn-north-4',
                     ?2, 'cn-north-4', ?5)",
        )?;
        for i in 0..count {
            let sid = uuid::Uuid::new_v4().to_string();
            let tid = uuid::Uuid::new_v4().to_string();
            let ip = format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
            let created = now + i64::try_from(i).unwrap_or(0);
            source.execute(rusqlite::params![
                sid,
                project,
                format!("bench-src-{i}"),
                ip,
                tid,
                created
            ])?;
            task.execute(rusqlite::params![
                tid,
                project,
                sid,
                format!("bench-task-{i}"),
                created
            ])?;
            ids.push(tid);
        }
    }
    tx.commit()?;
    Ok(ids)
}

async fn sms_seed(db: &str, tasks: usize, out: &str) -> Res<()> {
    let started = Instant::now();
    let project = prepare(db).await?;
    let mut conn = bulk_conn(db)?;
    let mut ids = insert_tasks(&mut conn, &project, tasks)?;
    drop(conn);
    // Batches of 50 tasks that were not created next to each other, as a client would pick.
    use rand::seq::SliceRandom;
    ids.shuffle(&mut rand::thread_rng());
    let mut file = std::io::BufWriter::new(std::fs::File::create(out)?);
    for batch in ids
        .chunks(BatchIds::MAX)
        .filter(|b| b.len() == BatchIds::MAX)
    {
        writeln!(file, "{}", serde_json::json!({ "ids": batch }))?;
    }
    file.flush()?;
    println!(
        "RESULT seeded_tasks={tasks} project={project} seconds={:.1}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn sms_raw(db: &str, ids: &str, conc: usize, secs: usize) -> Res<()> {
    let settings = settings(db)?;
    let rule = settings.sms.delete_rule;
    let db = Db::open(&settings).await?;
    let project: String =
        sqlx::query_scalar("SELECT id FROM projects WHERE name = ? ORDER BY created_at LIMIT 1")
            .bind(&settings.demo.project)
            .fetch_one(db.reader())
            .await?;
    let mut batches = Vec::new();
    for line in std::io::BufReader::new(std::fs::File::open(ids)?).lines() {
        let body: serde_json::Value = serde_json::from_str(&line?)?;
        batches.push(BatchIds::parse(Some(body["ids"].clone()), TASK_ID_MAX)?);
    }
    let batches = Arc::new(batches);
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let project = Arc::new(project);
    let deadline = Instant::now() + Duration::from_secs(u64::try_from(secs)?);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..conc.max(1) {
        let (db, batches, next, errors, project) = (
            db.clone(),
            batches.clone(),
            next.clone(),
            errors.clone(),
            project.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(ids) = batches.get(i) else { break };
                let t = Instant::now();
                let done = db
                    .write(async |conn| {
                        cloudtwin::sms::store::delete_tasks(conn, &project, ids, rule).await
                    })
                    .await;
                lat.push(micros(t.elapsed()));
                if done.is_err() {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for w in workers {
        lat.extend(w.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let exhausted = next.load(Ordering::Relaxed) >= batches.len();
    db.close().await;
    println!(
        "RESULT rps={:.1} {} requests={} errors={} exhausted={exhausted}",
        lat.len() as f64 / elapsed,
        percentiles(lat.clone()),
        lat.len(),
        errors.load(Ordering::Relaxed),
    );
    Ok(())
}

/// The reads behind one page of `GET /v3/tasks?limit=50`, as the handler makes them in
/// one read transaction through sqlx, without HTTP and without rendering.
async fn sms_list_store(db: &str, conc: usize, secs: usize) -> Res<()> {
    use cloudtwin::sms::domain::Page;
    use cloudtwin::sms::store;
    let settings = settings(db)?;
    let db = Db::open(&settings).await?;
    let project: String =
        sqlx::query_scalar("SELECT id FROM projects WHERE name = ? ORDER BY created_at LIMIT 1")
            .bind(&settings.demo.project)
            .fetch_one(db.reader())
            .await?;
    let project = Arc::new(project);
    let errors = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(u64::try_from(secs)?);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..conc.max(1) {
        let (db, project, errors) = (db.clone(), project.clone(), errors.clone());
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let page = async {
                    let mut tx = db.read().await?;
                    let filter = store::TaskFilter::default();
                    let page = Page {
                        limit: 50,
                        offset: 0,
                    };
                    let (_, rows) = store::list_tasks(&mut tx, &project, &filter, page).await?;
                    let ids: Vec<&str> = rows.iter().map(|t| t.id.as_str()).collect();
                    store::subtasks_of(&mut tx, &ids).await?;
                    store::settings_of(&mut tx, &ids).await?;
                    store::simulation::runs_of(&mut tx, &ids)
                        .await
                        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
                    Ok::<_, sqlx::Error>(rows.len())
                };
                if !matches!(page.await, Ok(50)) {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                lat.push(micros(t.elapsed()));
            }
            lat
        }));
    }
    let lat = gather(workers).await?;
    let elapsed = started.elapsed().as_secs_f64();
    db.close().await;
    print_rate(&lat, elapsed, errors.load(Ordering::Relaxed), "");
    Ok(())
}

/// The same reads in raw SQLite: a read transaction per page on each of two
/// connections (one a core), every column of every row copied out as the store's
/// rows copy them.
fn sms_list_sqlite(db: &str, secs: usize) -> Res<()> {
    const PAGE: &str = "SELECT t.id, t.name, t.type, t.os_type, t.state, t.priority, \
        t.migration_ip, t.region_id, t.region_name, t.target_project_id, t.target_project_name, \
        t.enterprise_project_id, t.start_target_server, t.syncing, t.speed_limit, t.target_server, \
        t.create_date, t.start_date, t.finish_date, t.vm_template_id, s.id, s.name, s.ip, \
        s.os_type, s.os_version, s.state, s.connected, s.migration_cycle, s.details, \
        t.migrate_speed, t.compress_rate, t.remain_seconds, t.estimate_complete_time, \
        t.total_time, t.error_json, t.subtask_info, t.total_cpu_usage, t.agent_cpu_usage, \
        t.total_mem_usage, t.agent_mem_usage, t.total_disk_io, t.agent_disk_io, \
        t.need_migration_test, t.network_check_info, t.log_collect_status \
        FROM tasks t JOIN source_servers s ON s.id = t.source_server_id \
        WHERE t.project_id = ?1 ORDER BY t.create_date DESC, t.id LIMIT 50 OFFSET 0";
    const DETAILS: [&str; 3] = [
        "SELECT s.* FROM json_each(?1) AS page CROSS JOIN task_subtasks s ON s.task_id = page.value",
        "SELECT c.* FROM json_each(?1) AS page CROSS JOIN task_config_settings c \
         ON c.task_id = page.value",
        "SELECT r.* FROM json_each(?1) AS page CROSS JOIN task_runs r ON r.task_id = page.value",
    ];
    fn copy_all(stmt: &mut rusqlite::Statement<'_>, arg: &str) -> rusqlite::Result<Vec<String>> {
        let width = stmt.column_count();
        let mut rows = stmt.query([arg])?;
        let mut ids = Vec::new();
        while let Some(row) = rows.next()? {
            let values: Vec<rusqlite::types::Value> = (0..width)
                .map(|i| row.get(i))
                .collect::<rusqlite::Result<_>>()?;
            if let Some(rusqlite::types::Value::Text(id)) = values.first() {
                ids.push(id.clone());
            }
        }
        Ok(ids)
    }
    let deadline = Instant::now() + Duration::from_secs(u64::try_from(secs)?);
    let started = Instant::now();
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let db = db.to_owned();
            std::thread::spawn(move || -> Res<Vec<u64>> {
                let mut conn = rusqlite::Connection::open(&db)?;
                let project: String = conn.query_row(
                    "SELECT id FROM projects WHERE name = 'cn-north-4' ORDER BY created_at LIMIT 1",
                    [],
                    |r| r.get(0),
                )?;
                let mut lat = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let tx = conn.transaction()?;
                    let _count: i64 = tx
                        .prepare_cached("SELECT tasks FROM task_counts WHERE project_id = ?1")?
                        .query_row([&project], |r| r.get(0))?;
                    let ids = copy_all(&mut *tx.prepare_cached(PAGE)?, &project)?;
                    let ids = serde_json::to_string(&ids)?;
                    for sql in DETAILS {
                        copy_all(&mut *tx.prepare_cached(sql)?, &ids)?;
                    }
                    tx.commit()?;
                    lat.push(micros(t.elapsed()));
                }
                Ok(lat)
            })
        })
        .collect();
    let mut lat = Vec::new();
    for w in workers {
        lat.extend(w.join().map_err(|_| "a worker panicked")??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    print_rate(&lat, elapsed, 0, "");
    Ok(())
}

/// The physical limit of the batch delete: what `delete_tasks` does (read the 50 tasks
/// joined to their sources, then delete them, in one BEGIN IMMEDIATE transaction with the
/// server's pragmas), in raw SQLite on one connection, with the id-keyed plan (`+` keeps
/// SQLite from scanning the project's tasks through `tasks_by_project`).
fn sms_sqlite(db: &str, ids: &str, secs: usize) -> Res<()> {
    let mut conn = rusqlite::Connection::open(db)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
    )?;
    let project: String = conn.query_row(
        "SELECT id FROM projects WHERE name = 'cn-north-4' ORDER BY created_at LIMIT 1",
        [],
        |r| r.get(0),
    )?;
    let mut batches = Vec::new();
    for line in std::io::BufReader::new(std::fs::File::open(ids)?).lines() {
        let body: serde_json::Value = serde_json::from_str(&line?)?;
        batches.push(body["ids"].to_string());
    }
    let deadline = Instant::now() + Duration::from_secs(u64::try_from(secs)?);
    let started = Instant::now();
    let mut lat = Vec::new();
    let mut errors = 0usize;
    for wanted in &batches {
        if Instant::now() >= deadline {
            break;
        }
        let t = Instant::now();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let found = {
            let mut stmt = tx.prepare_cached(
                "SELECT t.id, s.state, s.connected
                   FROM tasks t JOIN source_servers s ON s.id = t.source_server_id
                  WHERE +t.project_id = ?1 AND t.id IN (SELECT value FROM json_each(?2))",
            )?;
            let rows = stmt.query_map(rusqlite::params![project, wanted], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, bool>(2)?,
                ))
            })?;
            rows.collect::<Result<Vec<_>, _>>()?.len()
        };
        let deleted = tx
            .prepare_cached(
                "DELETE FROM tasks WHERE +project_id = ?1 AND id IN (SELECT value FROM json_each(?2))",
            )?
            .execute(rusqlite::params![project, wanted])?;
        tx.commit()?;
        lat.push(micros(t.elapsed()));
        if found != BatchIds::MAX || deleted != BatchIds::MAX {
            errors += 1;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "RESULT rps={:.1} {} requests={} errors={errors} exhausted={}",
        lat.len() as f64 / elapsed,
        percentiles(lat.clone()),
        lat.len(),
        lat.len() == batches.len(),
    );
    Ok(())
}

fn trivial(addr: &str) -> Res<()> {
    use actix_web::{App, HttpServer, web};
    let addr = addr.to_owned();
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(|| App::new().route("/", web::get().to(ok)))
            .bind(addr)?
            .run()
            .await
    })?;
    Ok(())
}

async fn ok() -> &'static str {
    "ok"
}

fn service_id(i: usize) -> String {
    format!("bench-svc-{i:05}")
}

/// Registers and deregisters `total` instances (one at a time per client), to see that
/// memory comes back: the model and the journal must not keep what is gone.
async fn reg_churn(base: &str, n: usize, total: usize, conc: usize) -> Res<()> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(conc)
        .build()?;
    let base = Arc::new(format!(
        "{}/v4/default/registry/microservices",
        base.trim_end_matches('/')
    ));
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..conc.max(1) {
        let (client, base, next, errors) =
            (client.clone(), base.clone(), next.clone(), errors.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let sid = service_id(i % n.max(1));
                let body = serde_json::json!({"instance": {
                    "instanceId": format!("churn-{i}"), "hostName": format!("churn-{i}"),
                    "endpoints": [format!("rest://10.9.{}.{}:8080", i / 256 % 256, i % 256)],
                    "healthCheck": {"mode": "push", "interval": 60, "times": 3}}});
                let created = client
                    .post(format!("{base}/{sid}/instances"))
                    .json(&body)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                let deleted = client
                    .delete(format!("{base}/{sid}/instances/churn-{i}"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if !(created && deleted) {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for w in workers {
        w.await?;
    }
    println!(
        "RESULT cycles={total} seconds={:.2} errors={}",
        started.elapsed().as_secs_f64(),
        errors.load(Ordering::Relaxed)
    );
    Ok(())
}

async fn reg_register(base: &str, n: usize, k: usize, conc: usize) -> Res<()> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(conc)
        .build()?;
    let base = Arc::new(format!(
        "{}/v4/default/registry/microservices",
        base.trim_end_matches('/')
    ));
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..conc.max(1) {
        let (client, base, next, errors) =
            (client.clone(), base.clone(), next.clone(), errors.clone());
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let sid = service_id(i);
                let mut calls = vec![(
                    base.to_string(),
                    serde_json::json!({"service": {
                        "serviceId": sid, "appId": "bench", "serviceName": format!("svc-{i:05}"),
                        "version": "1.0.0", "level": "BACK", "status": "UP"}}),
                )];
                for j in 0..k {
                    calls.push((
                        format!("{base}/{sid}/instances"),
                        serde_json::json!({"instance": {
                            "instanceId": format!("bench-ins-{i:05}-{j}"),
                            "hostName": format!("host-{i}-{j}"),
                            "endpoints": [format!("rest://10.{}.{}.{j}:8080", i / 256, i % 256)],
                            "status": "UP",
                            "healthCheck": {"mode": "push", "interval": 60, "times": 3}}}),
                    ));
                }
                for (url, body) in calls {
                    let t = Instant::now();
                    let ok = match client.post(&url).json(&body).send().await {
                        Ok(res) => {
                            let ok = res.status().is_success();
                            let _ = res.bytes().await;
                            ok
                        }
                        Err(_) => false,
                    };
                    lat.push(micros(t.elapsed()));
                    if !ok {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for w in workers {
        lat.extend(w.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "RESULT rps={:.1} services_per_s={:.1} {} requests={} errors={} seconds={elapsed:.2}",
        lat.len() as f64 / elapsed,
        n as f64 / elapsed,
        percentiles(lat.clone()),
        lat.len(),
        errors.load(Ordering::Relaxed),
    );
    Ok(())
}

/// The registry heartbeat or discovery through the store functions the handlers call,
/// without HTTP, with CONC tasks for SECS seconds (auth off: tenant default/default).
async fn reg_store_load(
    db: &str,
    op: &str,
    n: usize,
    k: usize,
    conc: usize,
    secs: usize,
) -> Res<()> {
    use cloudtwin::registry::Model;
    use cloudtwin::registry::domain::FindQuery;
    if op != "heartbeat" && op != "discovery" {
        return Err(format!("unknown operation {op}").into());
    }
    let heartbeat = op == "heartbeat";
    let db = Db::open(&settings(db)?).await?;
    let model = Model::open(&db, wall_ms(), cloudtwin::registry::instance_json).await?;
    let tenant = Arc::new(Tenant {
        domain: "default".into(),
        project: "default".into(),
    });
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(u64::try_from(secs)?);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..conc.max(1) {
        let (model, tenant, next, errors) =
            (model.clone(), tenant.clone(), next.clone(), errors.clone());
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                let ok = if heartbeat {
                    let (s, j) = ((i / k.max(1)) % n.max(1), i % k.max(1));
                    let iid = format!("bench-ins-{s:05}-{j}");
                    model.renew(&tenant, &service_id(s), &iid, wall_ms())
                } else {
                    let name = format!("svc-{:05}", i % n.max(1));
                    let Ok(query) = FindQuery::parse(Some("bench"), Some(&name), None, None, false)
                    else {
                        break;
                    };
                    model
                        .find(&tenant, &query, None, wall_ms())
                        .is_ok_and(|(live, _)| !live.is_empty())
                };
                lat.push(micros(t.elapsed()));
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            lat
        }));
    }
    let lat = gather(workers).await?;
    let elapsed = started.elapsed().as_secs_f64();
    db.close().await;
    print_rate(&lat, elapsed, errors.load(Ordering::Relaxed), "");
    Ok(())
}

/// For each service i < n: a rule "i consumes svc-(i+n)" and a rule "(i+n) consumes
/// svc-i" (so the delete removes rules on both sides), and one tag.
/// Waits for the load tasks and gathers their latencies.
async fn gather(workers: Vec<tokio::task::JoinHandle<Vec<u64>>>) -> Res<Vec<u64>> {
    let mut lat = Vec::new();
    for w in workers {
        lat.extend(w.await?);
    }
    Ok(lat)
}

/// The `RESULT` line of a load measured as latencies over `elapsed` seconds; `extra`
/// goes at its end.
fn print_rate(lat: &[u64], elapsed: f64, errors: usize, extra: &str) {
    println!(
        "RESULT rps={:.1} {} requests={} errors={errors}{extra}",
        lat.len() as f64 / elapsed,
        percentiles(lat.to_vec()),
        lat.len(),
    );
}

/// Context switches of every live thread of this process so far: what a thread
/// hand-off per statement costs shows here, not in the CPU profile's SQLite share.
fn context_switches() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("status")).ok())
        .flat_map(|status| {
            status
                .lines()
                .filter(|l| l.contains("ctxt_switches:"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .sum()
}

/// Registration as its handler runs it (`registry::Model::register`: group commit, one
/// INSERT each), without HTTP: the ceiling of the writer path through sqlx.
async fn reg_store_register(db: &str, n: usize, k: usize, conc: usize) -> Res<()> {
    use cloudtwin::registry::Model;
    use cloudtwin::registry::domain::{InstanceBody, NewInstance};
    let db = Db::open(&settings(db)?).await?;
    let model = Model::open(&db, wall_ms(), cloudtwin::registry::instance_json).await?;
    let tenant = Arc::new(Tenant {
        domain: "default".into(),
        project: "default".into(),
    });
    let total = n * k;
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let switches = context_switches();
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..conc.max(1) {
        let (db, model, tenant, next, errors) = (
            db.clone(),
            model.clone(),
            tenant.clone(),
            next.clone(),
            errors.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let s = i / k.max(1);
                let body: Result<InstanceBody, _> = serde_json::from_value(serde_json::json!({
                    "instanceId": format!("store-ins-{s:05}-{}", i % k.max(1)),
                    "hostName": format!("store-{i}"),
                    "endpoints": [format!("rest://10.{}.{}.1:8080", s / 256, s % 256)],
                    "status": "UP",
                    "healthCheck": {"mode": "push", "interval": 60, "times": 3}}));
                let (Ok(body), Ok(sid)) = (body, ServiceId::parse(&service_id(s))) else {
                    errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let Ok(instance) = NewInstance::parse(body) else {
                    errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let t = Instant::now();
                let done = model
                    .register(&db, Tenant::clone(&tenant), sid, instance, wall_ms())
                    .await;
                lat.push(micros(t.elapsed()));
                if done.is_err() {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            lat
        }));
    }
    let lat = gather(workers).await?;
    let elapsed = started.elapsed().as_secs_f64();
    let switches = context_switches().saturating_sub(switches);
    db.close().await;
    let per_op = switches as f64 / lat.len().max(1) as f64;
    print_rate(
        &lat,
        elapsed,
        errors.load(Ordering::Relaxed),
        &format!(" switches_per_op={per_op:.1}"),
    );
    Ok(())
}

/// The statements of registration in raw SQLite (rusqlite) with the server's pragmas:
/// one INSERT each, in `BEGIN IMMEDIATE` transactions of up to 64 (the group commit of
/// 64 registrations in flight): what SQLite itself allows.
fn reg_raw_register(db: &str, n: usize, k: usize) -> Res<()> {
    const GROUP: usize = 64;
    let conn = rusqlite::Connection::open(db)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
    )?;
    let switches = context_switches();
    let started = Instant::now();
    let mut lat = Vec::with_capacity(n * k);
    for i in 0..n * k {
        let s = i / k.max(1);
        let t = Instant::now();
        if i % GROUP == 0 {
            conn.execute_batch("BEGIN IMMEDIATE")?;
        }
        conn.prepare_cached(
            "INSERT INTO instances (domain, project, service_id, instance_id, host_name, \
             endpoints, status, properties, health_mode, health_interval, health_times, \
             health_port, health_url, data_center, version, created_at, modified_at, \
             last_heartbeat_ms) VALUES ('default', 'default', ?1, ?2, ?3, ?4, 'UP', '{}', \
             'push', 60, 3, 0, '', NULL, ?5, ?6, ?6, ?7) RETURNING instance_id, host_name",
        )?
        .query_row(
            rusqlite::params![
                service_id(s),
                format!("raw-ins-{s:05}-{}", i % k.max(1)),
                format!("raw-{i}"),
                format!("[\"rest://10.{}.{}.1:8080\"]", s / 256, s % 256),
                "1.0.0",
                now_ms() / 1000,
                now_ms(),
            ],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        )?;
        if i % GROUP == GROUP - 1 || i + 1 == n * k {
            conn.execute_batch("COMMIT")?;
        }
        lat.push(micros(t.elapsed()));
    }
    let elapsed = started.elapsed().as_secs_f64();
    let switches = context_switches().saturating_sub(switches);
    let per_op = switches as f64 / lat.len().max(1) as f64;
    print_rate(&lat, elapsed, 0, &format!(" switches_per_op={per_op:.2}"));
    Ok(())
}

fn reg_seed_extra(db: &str, n: usize) -> Res<()> {
    let mut conn = bulk_conn(db)?;
    let tx = conn.transaction()?;
    {
        let mut dep = tx.prepare(
            "INSERT OR IGNORE INTO dependencies (domain, project, consumer_id, provider_env,
                 provider_app, provider_name)
             VALUES ('default', 'default', ?1, '', 'bench', ?2)",
        )?;
        let mut tag = tx.prepare(
            "INSERT OR IGNORE INTO service_tags (domain, project, service_id, key, value)
             VALUES ('default', 'default', ?1, 'team', 'bench')",
        )?;
        for i in 0..n {
            dep.execute(rusqlite::params![
                service_id(i),
                format!("svc-{:05}", i + n)
            ])?;
            dep.execute(rusqlite::params![service_id(i + n), format!("svc-{i:05}")])?;
            tag.execute(rusqlite::params![service_id(i)])?;
        }
    }
    tx.commit()?;
    println!("RESULT seeded_services={n}");
    Ok(())
}

/// The row deletes of a force delete (registry::store::delete_service), in raw SQLite
/// with the server's pragmas: one BEGIN IMMEDIATE transaction per service.
fn reg_raw_delete(db: &str, n: usize) -> Res<()> {
    let mut conn = rusqlite::Connection::open(db)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
    )?;
    let started = Instant::now();
    let mut rows = 0usize;
    for i in 0..n {
        let id = service_id(i);
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let (env, app, name): (String, String, String) = tx.query_row(
            "SELECT environment, app_id, service_name FROM microservices
              WHERE service_id = ? AND domain = 'default' AND project = 'default'",
            [&id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        rows += tx.execute(
            "DELETE FROM dependencies WHERE provider_env = ?1 AND provider_app = ?2
                AND provider_name = ?3
                AND domain = ?4 AND project = ?5
                AND NOT EXISTS (SELECT 1 FROM microservices WHERE domain = ?4 AND project = ?5
                                AND environment = ?1 AND app_id = ?2 AND service_name = ?3
                                AND service_id <> ?6)",
            rusqlite::params![env, app, name, "default", "default", id],
        )?;
        for sql in [
            "DELETE FROM dependencies WHERE domain = 'default' AND project = 'default' AND consumer_id = ?",
            "DELETE FROM instances WHERE domain = 'default' AND project = 'default' AND service_id = ?",
            "DELETE FROM service_schemas WHERE domain = 'default' AND project = 'default' AND service_id = ?",
            "DELETE FROM service_tags WHERE domain = 'default' AND project = 'default' AND service_id = ?",
            "DELETE FROM microservices WHERE domain = 'default' AND project = 'default' AND service_id = ?",
        ] {
            rows += tx.execute(sql, [&id])?;
        }
        tx.commit()?;
    }
    println!(
        "RESULT seconds={:.3} rows={rows}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn reg_store_delete(db: &str, n: usize) -> Res<()> {
    let db = Db::open(&settings(db)?).await?;
    let tenant = Tenant {
        domain: "default".into(),
        project: "default".into(),
    };
    let started = Instant::now();
    let mut errors = 0usize;
    for i in 0..n {
        let id = ServiceId::parse(&service_id(i))?;
        let deleted = db
            .write(async |conn| {
                cloudtwin::registry::store::delete_service(conn, &tenant, &id, true, wall_ms())
                    .await
            })
            .await;
        if deleted.is_err() {
            errors += 1;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    db.close().await;
    println!("RESULT seconds={seconds:.3} errors={errors}");
    Ok(())
}

async fn startup_seed(db: &str, tasks: usize, instances: usize) -> Res<()> {
    let started = Instant::now();
    let project = prepare(db).await?;
    let mut conn = bulk_conn(db)?;
    insert_tasks(&mut conn, &project, tasks)?;
    let now = now_ms();
    let tx = conn.transaction()?;
    {
        let mut service = tx.prepare(
            "INSERT INTO microservices (service_id, domain, project, environment, app_id,
                 service_name, version, level, status, created_at, modified_at)
             VALUES (?1, 'default', 'default', '', 'bench', ?2, '1.0.0', 'BACK', 'UP', ?3, ?3)",
        )?;
        // Leases far in the future: the reaper must not empty the table during the run.
        let mut instance = tx.prepare(
            "INSERT INTO instances (domain, project, service_id, instance_id, host_name, endpoints,
                 status, health_mode, health_interval, health_times, version, created_at,
                 modified_at, last_heartbeat_ms)
             VALUES ('default', 'default', ?1, ?2, ?3, ?4, 'UP', 'push', 86400, 3, '1.0.0', ?5,
                     ?5, ?6)",
        )?;
        for i in 0..instances.div_ceil(5) {
            let sid = service_id(i);
            service.execute(rusqlite::params![sid, format!("svc-{i:05}"), now / 1000])?;
            for j in 0..5.min(instances - i * 5) {
                instance.execute(rusqlite::params![
                    sid,
                    format!("bench-ins-{i:05}-{j}"),
                    format!("host-{i}-{j}"),
                    format!("[\"rest://10.{}.{}.{j}:8080\"]", i / 256, i % 256),
                    now / 1000,
                    now
                ])?;
            }
        }
    }
    tx.commit()?;
    drop(conn);
    println!(
        "RESULT seeded_tasks={tasks} seeded_instances={instances} seconds={:.1}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn ready_once(addr: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET /ready HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

fn wait_ready(addr: &str, timeout_ms: usize) -> Res<()> {
    let deadline = Instant::now() + Duration::from_millis(u64::try_from(timeout_ms)?);
    while Instant::now() < deadline {
        if ready_once(addr) {
            let ns = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
            println!("{ns}");
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Err(format!("{addr} not ready within {timeout_ms} ms").into())
}

/// `n` tasks with a simulated run each, as `start` leaves them: `copying` puts every run
/// in its data subtask with a copy that outlasts the measurement (nothing falls due);
/// `due` starts every run at the epoch, so each of its seven subtasks is overdue.
async fn sim_seed(db: &str, n: usize, phase: &str) -> Res<()> {
    let started = Instant::now();
    let project = prepare(db).await?;
    let mut conn = bulk_conn(db)?;
    insert_tasks(&mut conn, &project, n)?;
    let now = now_ms();
    let (step, step_started, due) = match phase {
        "copying" => (4, now, now + 86_400_000),
        "due" => (0, 0, 1_000),
        other => return Err(format!("phase {other:?}: copying or due").into()),
    };
    let tx = conn.transaction()?;
    tx.execute(
        "UPDATE tasks SET state = 'RUNNING', start_date = ?1",
        [step_started],
    )?;
    tx.execute(
        "UPDATE source_servers SET state = 'replicate', migration_cycle = 'replicating'",
        [],
    )?;
    tx.execute(
        "INSERT INTO task_subtasks (task_id, id, name)
         SELECT t.id, c.key + 1, c.value FROM tasks t, json_each(?1) c",
        [SIM_CHAIN_JSON],
    )?;
    tx.execute(
        "INSERT INTO task_runs (task_id, kind, phase, steps, step, step_started_ms, step_done,
                                data_bytes, rate_mbit, windows, next_due_ms)
         SELECT id, 'full', 'running', ?1, ?2, ?3, 0, 1073741824000, 10000, '[]', ?4 FROM tasks",
        rusqlite::params![SIM_CHAIN.join(","), step, step_started, due],
    )?;
    tx.commit()?;
    println!(
        "RESULT seeded_runs={n} phase={phase} seconds={:.1}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

const SIM_CHAIN: [&str; 7] = [
    "CREATE_CLOUD_SERVER",
    "SSL_CONFIG",
    "ATTACH_AGENT_IMAGE",
    "FORMAT_DISK_LINUX_BLOCK",
    "MIGRATE_LINUX_BLOCK",
    "CONFIGURE_LINUX_BLOCK",
    "DETTACH_AGENT_IMAGE",
];
const SIM_CHAIN_JSON: &str = r#"["CREATE_CLOUD_SERVER","SSL_CONFIG","ATTACH_AGENT_IMAGE","FORMAT_DISK_LINUX_BLOCK","MIGRATE_LINUX_BLOCK","CONFIGURE_LINUX_BLOCK","DETTACH_AGENT_IMAGE"]"#;

/// Waits until every simulated run has finished (the `due` seed's runs go through all
/// seven subtasks), and prints how long it took from the call.
fn sim_wait(db: &str, timeout_ms: usize) -> Res<()> {
    let started = Instant::now();
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    loop {
        let left: i64 = conn.query_row("SELECT COUNT(*) FROM task_runs", [], |r| r.get(0))?;
        if left == 0 {
            println!("RESULT seconds={:.3}", started.elapsed().as_secs_f64());
            return Ok(());
        }
        if started.elapsed() > Duration::from_millis(u64::try_from(timeout_ms)?) {
            return Err(format!("{left} runs still unfinished").into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// User + system CPU time of a process so far, in clock ticks.
fn cpu_ticks(pid: &str) -> Res<()> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').ok_or("bad /proc stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11).ok_or("no utime")?.parse()?;
    let stime: u64 = fields.get(12).ok_or("no stime")?.parse()?;
    println!("{}", utime + stime);
    Ok(())
}
