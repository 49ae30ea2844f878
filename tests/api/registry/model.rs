//! The registry's read model against the file: random sequences of registry writes
//! over HTTP, and after each one every answer the model gives (a service's instances,
//! discovery, leases, the rules discovery learns) checked against what the database
//! file holds at that moment plus the heartbeats not yet written back.

use std::collections::HashMap;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::Method;
use serde_json::{Value, json};

use super::server_with;
use crate::common::{ClockMode, RegistryClient, TestServer};

const TENANTS: [&str; 2] = ["team-a", "team-b"];
const NAMES: [&str; 3] = ["a", "b", "c"];
const VERSIONS: [&str; 2] = ["1.0.0", "2.0.0"];

#[derive(Debug, Clone)]
enum Op {
    Create {
        tenant: usize,
        name: usize,
        version: usize,
    },
    Delete {
        tenant: usize,
        pick: usize,
        force: bool,
    },
    Register {
        tenant: usize,
        pick: usize,
        instance: usize,
        short: bool,
    },
    Deregister {
        tenant: usize,
        pick: usize,
        instance: usize,
    },
    Status {
        tenant: usize,
        pick: usize,
        instance: usize,
        up: bool,
    },
    Heartbeat {
        tenant: usize,
        pick: usize,
        instance: usize,
    },
    Discover {
        tenant: usize,
        consumer: usize,
        name: usize,
    },
    Depend {
        tenant: usize,
        consumer: usize,
        name: usize,
    },
    Advance {
        secs: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let t = 0..TENANTS.len();
    prop_oneof![
        3 => (t.clone(), 0..NAMES.len(), 0..VERSIONS.len())
            .prop_map(|(tenant, name, version)| Op::Create { tenant, name, version }),
        1 => (t.clone(), 0..8usize, any::<bool>())
            .prop_map(|(tenant, pick, force)| Op::Delete { tenant, pick, force }),
        4 => (t.clone(), 0..8usize, 0..3usize, any::<bool>())
            .prop_map(|(tenant, pick, instance, short)| Op::Register { tenant, pick, instance, short }),
        1 => (t.clone(), 0..8usize, 0..3usize)
            .prop_map(|(tenant, pick, instance)| Op::Deregister { tenant, pick, instance }),
        1 => (t.clone(), 0..8usize, 0..3usize, any::<bool>())
            .prop_map(|(tenant, pick, instance, up)| Op::Status { tenant, pick, instance, up }),
        2 => (t.clone(), 0..8usize, 0..3usize)
            .prop_map(|(tenant, pick, instance)| Op::Heartbeat { tenant, pick, instance }),
        2 => (t.clone(), 0..8usize, 0..NAMES.len())
            .prop_map(|(tenant, consumer, name)| Op::Discover { tenant, consumer, name }),
        1 => (t, 0..8usize, 0..NAMES.len())
            .prop_map(|(tenant, consumer, name)| Op::Depend { tenant, consumer, name }),
        2 => (0..12u64).prop_map(|secs| Op::Advance { secs }),
    ]
}

/// A tenant's services as the file holds them: (id, name, version), by id.
fn services(srv: &TestServer, tenant: &str) -> Vec<(String, String, String)> {
    let db = srv.sqlite();
    let mut stmt = db
        .prepare(
            "SELECT service_id, service_name, version FROM microservices \
             WHERE domain = ? AND project = 'default' ORDER BY service_id",
        )
        .expect("prepare");
    stmt.query_map([tenant], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

fn now(srv: &TestServer) -> i64 {
    srv.sqlite()
        .query_row("SELECT at_ms FROM clock", [], |r| r.get(0))
        .expect("clock")
}

/// Heartbeats sent and possibly not written back yet: (tenant, service, instance) → ms.
type Renewed = HashMap<(String, String, String), i64>;

/// What a client sees of an instance: (service id, instance id, status, host name).
type Seen = (String, String, String, String);

/// The live instances of a service as the file holds them, in creation order.
fn live(srv: &TestServer, tenant: &str, service: &str, renewed: &Renewed) -> Vec<Seen> {
    let now = now(srv);
    let db = srv.sqlite();
    let mut stmt = db
        .prepare(
            "SELECT instance_id, last_heartbeat_ms, \
                    MIN(health_interval * (health_times + 1), 31536000) * 1000, status, host_name \
               FROM instances WHERE domain = ? AND project = 'default' AND service_id = ? \
              ORDER BY created_at, instance_id",
        )
        .expect("prepare");
    let rows: Vec<(String, i64, i64, String, String)> = stmt
        .query_map([tenant, service], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    rows.into_iter()
        .filter(|(id, beat, lease, _, _)| {
            let held = renewed
                .get(&(tenant.to_owned(), service.to_owned(), id.clone()))
                .copied()
                .unwrap_or(i64::MIN);
            (*beat).max(held) + lease >= now
        })
        .map(|(id, _, _, status, host)| (service.to_owned(), id, status, host))
        .collect()
}

fn listed(body: &Value) -> Vec<Seen> {
    body["instances"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|i| {
                    let text = |key: &str| i[key].as_str().unwrap_or("").to_owned();
                    (
                        text("serviceId"),
                        text("instanceId"),
                        text("status"),
                        text("hostName"),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn check(
    srv: &TestServer,
    reg: &RegistryClient,
    renewed: &Renewed,
) -> Result<(), TestCaseError> {
    for tenant in TENANTS {
        let team = reg.with_domain(tenant);
        let all = services(srv, tenant);
        for (id, _, _) in &all {
            let reply = team.get(&format!("/microservices/{id}/instances")).await;
            prop_assert_eq!(reply.status, 200, "{}", reply.text);
            prop_assert_eq!(
                listed(&reply.json),
                live(srv, tenant, id, renewed),
                "{} {}",
                tenant,
                id
            );
        }
        for name in NAMES {
            let reply = team
                .find(&format!("appId=app&serviceName={name}"), None)
                .await;
            let versions: Vec<&(String, String, String)> =
                all.iter().filter(|s| s.1 == name).collect();
            if versions.is_empty() {
                prop_assert_eq!(reply.status, 400, "{}", reply.text);
                continue;
            }
            // Versions in creation order: the file's order (same second: by id).
            let db = srv.sqlite();
            let mut stmt = db
                .prepare(
                    "SELECT service_id FROM microservices WHERE domain = ? AND project = 'default' \
                     AND service_name = ? ORDER BY created_at, service_id",
                )
                .expect("prepare");
            let ordered: Vec<String> = stmt
                .query_map([tenant, name], |r| r.get(0))
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows");
            let expected: Vec<Seen> = ordered
                .iter()
                .flat_map(|id| live(srv, tenant, id, renewed))
                .collect();
            prop_assert_eq!(reply.status, 200, "{}", reply.text);
            prop_assert_eq!(listed(&reply.json), expected, "{} {}", tenant, name);
        }
    }
    Ok(())
}

fn pick(all: &[(String, String, String)], n: usize) -> Option<&(String, String, String)> {
    (!all.is_empty()).then(|| &all[n % all.len()])
}

async fn run(srv: &TestServer, reg: &RegistryClient, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut renewed = Renewed::new();
    for op in ops {
        match op {
            Op::Create {
                tenant,
                name,
                version,
            } => {
                let body = json!({"service": {"appId": "app", "serviceName": NAMES[name],
                                              "version": VERSIONS[version]}});
                let reply = reg
                    .with_domain(TENANTS[tenant])
                    .post("/microservices", body)
                    .await;
                prop_assert_eq!(reply.status, 200, "{}", reply.text);
            }
            Op::Delete {
                tenant,
                pick: n,
                force,
            } => {
                if let Some((id, _, _)) = pick(&services(srv, TENANTS[tenant]), n) {
                    let path = format!("/microservices/{id}?force={force}");
                    reg.with_domain(TENANTS[tenant]).delete(&path).await;
                }
            }
            Op::Register {
                tenant,
                pick: n,
                instance,
                short,
            } => {
                if let Some((id, _, _)) = pick(&services(srv, TENANTS[tenant]), n) {
                    let (interval, times) = if short { (5, 0) } else { (30, 3) };
                    let body = json!({"instance": {"instanceId": format!("i{instance}"),
                        "hostName": "h", "endpoints": ["rest://127.0.0.1:1"],
                        "healthCheck": {"mode": "push", "interval": interval, "times": times}}});
                    let reply = reg
                        .with_domain(TENANTS[tenant])
                        .post(&format!("/microservices/{id}/instances"), body)
                        .await;
                    prop_assert_eq!(reply.status, 200, "{}", reply.text);
                }
            }
            Op::Deregister {
                tenant,
                pick: n,
                instance,
            } => {
                if let Some((id, _, _)) = pick(&services(srv, TENANTS[tenant]), n) {
                    let path = format!("/microservices/{id}/instances/i{instance}");
                    reg.with_domain(TENANTS[tenant]).delete(&path).await;
                }
            }
            Op::Status {
                tenant,
                pick: n,
                instance,
                up,
            } => {
                if let Some((id, _, _)) = pick(&services(srv, TENANTS[tenant]), n) {
                    let value = if up { "UP" } else { "OUTOFSERVICE" };
                    let path =
                        format!("/microservices/{id}/instances/i{instance}/status?value={value}");
                    reg.with_domain(TENANTS[tenant]).put(&path, None).await;
                }
            }
            Op::Heartbeat {
                tenant,
                pick: n,
                instance,
            } => {
                if let Some((id, _, _)) = pick(&services(srv, TENANTS[tenant]), n) {
                    let path = format!("/microservices/{id}/instances/i{instance}/heartbeat");
                    let reply = reg.with_domain(TENANTS[tenant]).put(&path, None).await;
                    if reply.status == 200 {
                        let key = (
                            TENANTS[tenant].to_owned(),
                            id.clone(),
                            format!("i{instance}"),
                        );
                        renewed.insert(key, now(srv));
                    }
                }
            }
            Op::Discover {
                tenant,
                consumer,
                name,
            } => {
                if let Some((id, _, _)) = pick(&services(srv, TENANTS[tenant]), consumer) {
                    let query = format!("appId=app&serviceName={}", NAMES[name]);
                    let reply = reg
                        .with_domain(TENANTS[tenant])
                        .find(&query, Some(id))
                        .await;
                    if reply.status == 200 {
                        // The model decides whether the rule is new; the file must hold it.
                        let held: i64 = srv
                            .sqlite()
                            .query_row(
                                "SELECT COUNT(*) FROM dependencies WHERE domain = ? \
                                 AND consumer_id = ? AND provider_name = ?",
                                [TENANTS[tenant], id.as_str(), NAMES[name]],
                                |r| r.get(0),
                            )
                            .expect("rules");
                        prop_assert_eq!(held, 1, "rule {} → {}", id, NAMES[name]);
                    }
                }
            }
            Op::Depend {
                tenant,
                consumer,
                name,
            } => {
                if let Some((_, cname, cversion)) = pick(&services(srv, TENANTS[tenant]), consumer)
                {
                    let body = json!({"dependencies": [{
                        "consumer": {"appId": "app", "serviceName": cname, "version": cversion},
                        "providers": [{"appId": "app", "serviceName": NAMES[name]}]}]});
                    let reply = reg
                        .with_domain(TENANTS[tenant])
                        .send(Method::PUT, "/dependencies", None, &[], Some(&body))
                        .await;
                    prop_assert_eq!(reply.status, 200, "{}", reply.text);
                }
            }
            Op::Advance { secs } => {
                let reply = srv
                    .admin()
                    .send(
                        Method::POST,
                        "/_cloudtwin/clock",
                        Some(&json!({"advance_secs": secs})),
                    )
                    .await;
                prop_assert_eq!(reply.status, 200, "{}", reply.text);
            }
        }
        check(srv, reg, &renewed).await?;
    }
    Ok(())
}

#[test]
fn the_read_model_answers_what_the_file_holds_after_every_write() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut runner = TestRunner::new(Config {
        cases: 6,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&proptest::collection::vec(op(), 10..40), |ops| {
            runtime.block_on(async {
                let (srv, reg) = server_with(|s| s.clock.mode = ClockMode::Manual).await;
                let outcome = run(&srv, &reg, ops).await;
                srv.stop().await;
                outcome
            })
        })
        .expect("the model and the file agree");
}

/// A write that fails half-way rolls back, and the model never shows what it had done:
/// the service a refused registration created first is not discoverable.
#[tokio::test]
async fn a_rolled_back_write_never_shows() {
    let (_srv, reg) = server_with(|_| {}).await;
    let instance =
        json!({"instanceId": "twice", "hostName": "h", "endpoints": ["rest://1.2.3.4:1"]});
    let reply = reg
        .post(
            "/microservices",
            json!({"service": {"appId": "app", "serviceName": "half", "version": "1.0.0"},
                   "instances": [instance.clone(), instance]}),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    let reply = reg.find("appId=app&serviceName=half", None).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.json["errorCode"], "400012");
}

/// A reset to a fixture and a force delete show in discovery as soon as they answer.
#[tokio::test]
async fn fixtures_and_force_deletes_show_in_discovery_at_once() {
    let (srv, reg) = server_with(|s| {
        s.admin.fixtures_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    })
    .await;
    let demo = reg.with_domain("demo");
    assert_eq!(
        demo.find("appId=shop&serviceName=orders", None)
            .await
            .status,
        400
    );
    let reply = srv
        .admin()
        .send(Method::POST, "/_cloudtwin/reset?fixture=demo", None)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = demo.find("appId=shop&serviceName=orders", None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let orders = reply.json["instances"][0]["serviceId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!listed(&reply.json).is_empty());

    let reply = demo
        .delete(&format!("/microservices/{orders}?force=true"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = demo.find("appId=shop&serviceName=orders", None).await;
    assert_eq!(reply.json["errorCode"], "400012", "{}", reply.text);
}

/// The start's renewal: an instance whose lease in the file ran out while the twin was
/// down is alive after the start (in memory at once, so the reaper leaves it), and the
/// file carries the fresh lease after the first write-back.
#[tokio::test]
async fn a_start_renews_every_lease_in_memory_at_once_and_in_the_file_soon_after() {
    let (srv, reg) = server_with(|s| s.registry.lease_flush_ms = 50).await;
    let service = reg.create_service("renew", "kept", "1.0.0").await;
    let instance = reg.register(&service, super::instance_body(8080)).await;
    let (dir, settings) = srv.stop().await;
    // Down for a day: the file's lease ran out long ago.
    let file = rusqlite::Connection::open(&settings.database).unwrap();
    file.execute(
        "UPDATE instances SET last_heartbeat_ms = last_heartbeat_ms - 86400000",
        [],
    )
    .unwrap();
    drop(file);
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let srv = crate::common::spawn_on(dir, settings).await;
    let reg = srv.registry();
    // Past a few reaper periods: still there.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let reply = reg
        .get(&format!("/microservices/{service}/instances/{instance}"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let in_file: i64 = srv
        .sqlite()
        .query_row(
            "SELECT last_heartbeat_ms FROM instances WHERE instance_id = ?",
            [&instance],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        in_file >= started - 1000,
        "the file's lease was renewed at the start: {in_file} vs {started}"
    );
    srv.stop().await;
}

/// The start reads the instances in two halves on two threads: after a restart every
/// instance of every tenant is served again, in order, with its status, as the file
/// holds it — whichever half its row fell in.
#[tokio::test]
async fn a_restart_serves_every_instance_the_file_holds() {
    let (srv, reg) = server_with(|s| s.clock.mode = ClockMode::Manual).await;
    for tenant in TENANTS {
        let team = reg.with_domain(tenant);
        for name in NAMES {
            for version in VERSIONS {
                let body = json!({"service": {"appId": "app", "serviceName": name,
                                              "version": version}});
                let reply = team.post("/microservices", body).await;
                assert_eq!(reply.status, 200, "{}", reply.text);
                let id = reply.json["serviceId"].as_str().expect("id").to_owned();
                for n in 0..3 {
                    let body = json!({"instance": {"instanceId": format!("i{n}"),
                        "hostName": format!("{name}-{n}"), "endpoints": ["rest://127.0.0.1:1"],
                        "healthCheck": {"mode": "push", "interval": 30, "times": 3}}});
                    let path = format!("/microservices/{id}/instances");
                    let reply = team.post(&path, body).await;
                    assert_eq!(reply.status, 200, "{}", reply.text);
                }
                let path = format!("/microservices/{id}/instances/i1/status?value=DOWN");
                assert_eq!(team.put(&path, None).await.status, 200);
            }
        }
    }
    let (dir, settings) = srv.stop().await;
    let srv = crate::common::spawn_on(dir, settings).await;
    let reg = srv.registry();
    let rows: i64 = srv
        .sqlite()
        .query_row("SELECT COUNT(*) FROM instances", [], |r| r.get(0))
        .expect("count");
    assert_eq!(rows, 36);
    check(&srv, &reg, &Renewed::new())
        .await
        .expect("the restarted model answers what the file holds");
    srv.stop().await;
}
