//! The ServiceComb v4 registry over HTTP, with auth off (tenant from `X-Domain-Name`).

mod batch_delete;
mod clients;
mod dependencies;
mod discovery;
mod flow;
mod govern;
mod instances;
mod model;
mod sc_admin;
mod sc_ported;
mod schemas;
mod services;
mod tags;
mod watch;

use serde_json::{Value, json};

use crate::common::{self, REGISTRY, RegistryClient, Reply, Settings, Switch, TestServer};

const BASE: &str = REGISTRY;

/// A server with registry auth off and a fast lease reaper, and its registry.
async fn server() -> (TestServer, RegistryClient) {
    server_with(|_| {}).await
}

/// As [`server`], with more settings changed.
async fn server_with(adjust: impl FnOnce(&mut Settings)) -> (TestServer, RegistryClient) {
    let srv = common::spawn_with(|s| {
        s.auth.registry = Switch::Off;
        s.registry.reaper_period_ms = 100;
        adjust(s);
    })
    .await;
    let registry = srv.registry();
    (srv, registry)
}

#[track_caller]
fn assert_error(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(reply.json["errorCode"], code, "{}", reply.text);
    assert!(reply.json["errorMessage"].is_string(), "{}", reply.text);
}

fn instance_body(port: u16) -> Value {
    json!({"instance": {
        "hostName": "cse",
        "endpoints": [format!("rest://127.0.0.1:{port}")],
        "status": "UP",
        "properties": {"attr1": "a"},
        "healthCheck": {"mode": "push", "interval": 30, "times": 2}
    }})
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i[key].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn count(srv: &TestServer, sql: &str) -> i64 {
    srv.sqlite()
        .query_row(sql, [], |row| row.get(0))
        .expect("count query")
}

/// Rows left behind that name a service that no longer exists.
fn orphans(srv: &TestServer) -> i64 {
    count(
        srv,
        "SELECT (SELECT COUNT(*) FROM instances t WHERE NOT EXISTS (SELECT 1 FROM microservices m \
             WHERE m.domain = t.domain AND m.project = t.project AND m.service_id = t.service_id)) \
         + (SELECT COUNT(*) FROM service_schemas t WHERE NOT EXISTS (SELECT 1 FROM microservices m \
             WHERE m.domain = t.domain AND m.project = t.project AND m.service_id = t.service_id)) \
         + (SELECT COUNT(*) FROM service_tags t WHERE NOT EXISTS (SELECT 1 FROM microservices m \
             WHERE m.domain = t.domain AND m.project = t.project AND m.service_id = t.service_id)) \
         + (SELECT COUNT(*) FROM dependencies t WHERE NOT EXISTS (SELECT 1 FROM microservices m \
             WHERE m.domain = t.domain AND m.project = t.project AND m.service_id = t.consumer_id))",
    )
}
