//! SMS v3 black-box: source servers, tasks, actions and the all-or-nothing batch delete.

mod access;
mod agent;
mod batch_delete;
mod migprojects;
mod simulation;
mod sources;
mod surface;
mod task_settings;
mod tasks;
mod templates;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{self, Settings, SmsClient, TestServer};

/// A server and the demo user's SMS client, with the steps the tests repeat.
struct Sms {
    srv: TestServer,
    api: SmsClient,
}

impl Sms {
    async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    async fn start_with(adjust: impl FnOnce(&mut Settings)) -> Self {
        let srv = common::spawn_with(adjust).await;
        let token = srv.demo_token().await;
        let api = srv.sms(&token);
        Self { srv, api }
    }

    async fn call_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.api.as_token(token).call(method, path, body).await
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.api.call(method, path, body).await
    }

    async fn register(&self, name: &str, ip: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/v3/sources",
                Some(
                    json!({"name": name, "ip": ip, "os_type": "LINUX", "os_version": "CentOS 7",
                            "disks": [{"name": "/dev/vda", "size": 42949672960u64}]}),
                ),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    async fn create_task(&self, source: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/v3/tasks",
                Some(
                    json!({"name": format!("task-{source}"), "type": "MIGRATE_BLOCK",
                            "os_type": "LINUX", "source_server": {"id": source},
                            "region_id": "cn-north-4", "project_id": "target-project",
                            "target_server": {"name": "target-vm"}}),
                ),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// A source server with one task; returns (source id, task id).
    async fn server_with_task(&self, n: usize) -> (String, String) {
        let source = self
            .register(
                &format!("host-{n}"),
                &format!("10.0.{}.{}", n / 250, n % 250 + 1),
            )
            .await;
        let task = self.create_task(&source).await;
        (source, task)
    }

    async fn set_source(&self, id: &str, state: &str, connected: bool) {
        let reply = self.srv.admin().set_sms_source(id, state, connected).await;
        assert_eq!(reply.status, 200);
    }

    async fn delete(&self, ids: &[&str]) -> (u16, Value) {
        self.api.delete_tasks(ids).await
    }

    fn task_count(&self) -> i64 {
        self.srv
            .sqlite()
            .query_row("SELECT COUNT(*) FROM tasks", [], |r| r.get(0))
            .unwrap()
    }
}
