//! What the clients of the mixed workload do: register source servers and give them
//! tasks, change states, run task actions, batch-delete tasks and sources, create
//! microservices, register instances, send heartbeats, discover, force-delete.

use std::collections::HashSet;
use std::sync::atomic::Ordering;

use rand::Rng;
use rand::seq::SliceRandom;
use reqwest::Method;
use serde_json::{Value, json};

use super::{Outcome, Shared, Target};
use crate::common::REGISTRY;

impl Shared {
    /// Registers a source server and gives it a task; `None` if either was not a 2xx.
    pub async fn sms_create(&self, target: &Target) -> Option<(String, String)> {
        self.sms_create_op(target).await.0
    }

    /// The pair created (if both requests got a 2xx) and whether the server answered.
    async fn sms_create_op(&self, target: &Target) -> (Option<(String, String)>, bool) {
        let n = self.next();
        let body = json!({"name": format!("load-{n}"), "ip": ip(n), "os_type": "LINUX",
                          "disks": [{"name": "/dev/vda", "size": 42949672960u64}]});
        let reply = self
            .call(target, Method::POST, "/v3/sources", Some(&body), &[])
            .await;
        let Some(source) = reply.json["id"].as_str().filter(|_| reply.ok()) else {
            return (None, reply.status.is_some());
        };
        let source = source.to_owned();
        self.ledger.lock().unwrap().sources.push(source.clone());
        let body = json!({"name": format!("task-{n}"), "type": "MIGRATE_BLOCK", "os_type": "LINUX",
                          "source_server": {"id": source}, "target_server": {"name": "vm"}});
        let reply = self
            .call(target, Method::POST, "/v3/tasks", Some(&body), &[])
            .await;
        let Some(task) = reply.json["id"].as_str().filter(|_| reply.ok()) else {
            return (None, reply.status.is_some());
        };
        let task = task.to_owned();
        self.ledger
            .lock()
            .unwrap()
            .tasks
            .push((task.clone(), source.clone()));
        (Some((source, task)), true)
    }

    /// Creates `n` source/task pairs whose source is connected and replicating: their
    /// tasks must survive every delete.
    pub async fn setup_blocked(&self, target: &Target, n: usize) {
        for _ in 0..n {
            let (source, task) = self
                .sms_create(target)
                .await
                .expect("a blocked pair is created");
            let reply = target
                .admin()
                .set_sms_source(&source, "replicate", true)
                .await;
            assert_eq!(reply.status, 200, "source put into replicate");
            self.ledger.lock().unwrap().blocked.push((source, task));
        }
    }

    /// Runs one client for `iterations` operations, or until the server stops answering
    /// when it may die.
    pub async fn run_client(&self, target: &Target, seed: u64, iterations: usize) {
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
        for _ in 0..iterations {
            let alive = match rng.gen_range(0..20) {
                0..=2 => self.sms_create_op(target).await.1,
                3 | 4 => self.admin_state(target, &mut rng).await,
                5 | 6 => self.task_action(target, &mut rng).await,
                7 | 8 => self.delete_tasks(target, &mut rng).await,
                9 => self.delete_sources(target, &mut rng).await,
                10 | 11 => self.create_service(target, &mut rng).await,
                12 | 13 => self.register_instance(target, &mut rng).await,
                14 | 15 => self.heartbeat(target, &mut rng).await,
                16 | 17 => self.discover(target, &mut rng).await,
                18 => self.force_delete(target, &mut rng).await,
                _ => self.read(target, &mut rng).await,
            };
            if !alive {
                return;
            }
        }
    }

    fn recent_tasks(&self, rng: &mut impl Rng, k: usize) -> Vec<(String, String)> {
        let ledger = self.ledger.lock().unwrap();
        let blocked: HashSet<&str> = ledger.blocked.iter().map(|(_, t)| t.as_str()).collect();
        let pool: Vec<_> = ledger
            .tasks
            .iter()
            .rev()
            .filter(|(t, _)| !blocked.contains(t.as_str()))
            .take(48)
            .cloned()
            .collect();
        pool.choose_multiple(rng, k).cloned().collect()
    }

    fn recent_services(&self, rng: &mut impl Rng, k: usize) -> Vec<(String, String)> {
        let ledger = self.ledger.lock().unwrap();
        let pool: Vec<_> = ledger.services.iter().rev().take(40).cloned().collect();
        pool.choose_multiple(rng, k).cloned().collect()
    }

    fn recent_instances(&self, rng: &mut impl Rng, k: usize) -> Vec<(String, String)> {
        let ledger = self.ledger.lock().unwrap();
        let pool: Vec<_> = ledger.instances.iter().rev().take(60).cloned().collect();
        pool.choose_multiple(rng, k).cloned().collect()
    }

    fn blocked_pair(&self, rng: &mut impl Rng) -> Option<(String, String)> {
        self.ledger.lock().unwrap().blocked.choose(rng).cloned()
    }

    async fn admin_state(&self, target: &Target, rng: &mut impl Rng) -> bool {
        let Some((_, source)) = self.recent_tasks(rng, 1).pop() else {
            return true;
        };
        let state = [
            "waiting",
            "replicate",
            "stopped",
            "syncing",
            "finished",
            "error",
        ]
        .choose(rng)
        .copied();
        let body = json!({"state": state, "connected": rng.gen_bool(0.5)});
        let res = target
            .admin()
            .request(
                Method::PUT,
                &format!("/_cloudtwin/sms/sources/{source}"),
                Some(&body),
            )
            .send()
            .await;
        self.requests.fetch_add(1, Ordering::Relaxed);
        match res {
            Ok(res) => {
                let status = res.status().as_u16();
                let text = res.text().await.unwrap_or_default();
                if status >= 500 || text.contains("database is locked") {
                    self.problem(format!("PUT admin source -> {status} {text}"));
                }
                true
            }
            Err(e) => {
                if !target.may_die {
                    self.problem(format!("PUT admin source -> no answer: {e}"));
                }
                !target.may_die
            }
        }
    }

    async fn task_action(&self, target: &Target, rng: &mut impl Rng) -> bool {
        let Some((task, _)) = self.recent_tasks(rng, 1).pop() else {
            return true;
        };
        let op = [
            "start", "stop", "restart", "skip", "cutover", "test", "clear",
        ]
        .choose(rng)
        .copied();
        let reply = self
            .call(
                target,
                Method::POST,
                &format!("/v3/tasks/{task}/action"),
                Some(&json!({"operation": op})),
                &[],
            )
            .await;
        reply.status.is_some()
    }

    async fn delete_tasks(&self, target: &Target, rng: &mut impl Rng) -> bool {
        let k = rng.gen_range(1..=4);
        let mut ids: Vec<String> = self
            .recent_tasks(rng, k)
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        if rng.gen_bool(0.2)
            && let Some((_, task)) = self.blocked_pair(rng)
        {
            ids.push(task);
        }
        if rng.gen_bool(0.1) {
            ids.push(format!("no-such-task-{}", self.next()));
        }
        if ids.is_empty() {
            return true;
        }
        ids.shuffle(rng);
        let reply = self
            .call(
                target,
                Method::POST,
                "/v3/tasks/delete",
                Some(&json!({ "ids": ids })),
                &[],
            )
            .await;
        self.ledger
            .lock()
            .unwrap()
            .task_deletes
            .push((ids, reply.outcome()));
        reply.status.is_some()
    }

    async fn delete_sources(&self, target: &Target, rng: &mut impl Rng) -> bool {
        let k = rng.gen_range(1..=3);
        let mut ids: Vec<String> = self
            .recent_tasks(rng, k)
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        if rng.gen_bool(0.2)
            && let Some((source, _)) = self.blocked_pair(rng)
        {
            ids.push(source);
        }
        if ids.is_empty() {
            return true;
        }
        let reply = self
            .call(
                target,
                Method::POST,
                "/v3/sources/delete",
                Some(&json!({ "ids": ids })),
                &[],
            )
            .await;
        self.ledger
            .lock()
            .unwrap()
            .source_deletes
            .push((ids, reply.outcome()));
        reply.status.is_some()
    }

    async fn create_service(&self, target: &Target, rng: &mut impl Rng) -> bool {
        let n = self.next();
        let body = json!({"service": {"appId": "load", "serviceName": format!("svc-{n}"),
                                      "version": "1.0.0"},
                          "tags": {"team": format!("t{}", n % 7)}});
        let reply = self
            .call(
                target,
                Method::POST,
                &format!("{REGISTRY}/microservices"),
                Some(&body),
                &[],
            )
            .await;
        let Some(id) = reply.json["serviceId"].as_str().filter(|_| reply.ok()) else {
            return reply.status.is_some();
        };
        let id = id.to_owned();
        self.ledger
            .lock()
            .unwrap()
            .services
            .push((id.clone(), format!("svc-{n}")));
        if rng.gen_bool(0.5) {
            let body = json!({"schemas": [{"schemaId": "s1", "schema": "openapi: 3.0.0",
                                           "summary": format!("v{n}")}]});
            let reply = self
                .call(
                    target,
                    Method::POST,
                    &format!("{REGISTRY}/microservices/{id}/schemas"),
                    Some(&body),
                    &[],
                )
                .await;
            return reply.status.is_some();
        }
        true
    }

    async fn register_instance(&self, target: &Target, rng: &mut impl Rng) -> bool {
        let Some((service, _)) = self.recent_services(rng, 1).pop() else {
            return true;
        };
        let n = self.next();
        let body = json!({"instance": {
            "hostName": format!("host-{n}"),
            "endpoints": [format!("rest://127.0.0.1:{}", 10000 + n % 50000)],
            "status": "UP",
            "healthCheck": {"mode": "push", "interval": 30, "times": 3}
        }});
        let reply = self
            .call(
                target,
                Method::POST,
                &format!("{REGISTRY}/microservices/{service}/instances"),
                Some(&body),
                &[],
            )
            .await;
        if let Some(id) = reply.json["instanceId"].as_str().filter(|_| reply.ok()) {
            self.ledger
                .lock()
                .unwrap()
                .instances
                .push((service, id.to_owned()));
        }
        reply.status.is_some()
    }

    async fn heartbeat(&self, target: &Target, rng: &mut impl Rng) -> bool {
        let k = rng.gen_range(1..=3);
        let picked = self.recent_instances(rng, k);
        let reply = if picked.len() == 1 || rng.gen_bool(0.5) {
            let Some((service, instance)) = picked.first() else {
                return true;
            };
            self.call(
                target,
                Method::PUT,
                &format!("{REGISTRY}/microservices/{service}/instances/{instance}/heartbeat"),
                None,
                &[],
            )
            .await
        } else {
            let items: Vec<Value> = picked
                .iter()
                .map(|(s, i)| json!({"serviceId": s, "instanceId": i}))
                .collect();
            self.call(
                target,
                Method::PUT,
                &format!("{REGISTRY}/heartbeats"),
                Some(&json!({ "instances": items })),
                &[],
            )
            .await
        };
        reply.status.is_some()
    }

    async fn discover(&self, target: &Target, rng: &mut impl Rng) -> bool {
        // A consumer looks its provider up by name, which records the dependency.
        let picked = self.recent_services(rng, 2);
        let (Some((consumer, _)), Some((_, provider))) = (picked.first(), picked.last()) else {
            return true;
        };
        let reply = self
            .call(
                target,
                Method::GET,
                &format!("{REGISTRY}/instances?appId=load&serviceName={provider}"),
                None,
                &[("X-ConsumerId", consumer)],
            )
            .await;
        reply.status.is_some()
    }

    async fn force_delete(&self, target: &Target, rng: &mut impl Rng) -> bool {
        let k = rng.gen_range(1..=4);
        let ids: Vec<String> = self
            .recent_services(rng, k)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        if ids.is_empty() {
            return true;
        }
        let reply = self
            .call(
                target,
                Method::DELETE,
                &format!("{REGISTRY}/microservices"),
                Some(&json!({"serviceIds": ids, "force": true})),
                &[],
            )
            .await;
        let mut ledger = self.ledger.lock().unwrap();
        match reply.outcome() {
            Outcome::Done => {
                let results = reply.json["services"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                for id in &ids {
                    let item = results.iter().find(|r| r["serviceId"] == id.as_str());
                    let outcome = match item {
                        Some(r) if r.get("errMessage").is_none() => Outcome::Done,
                        Some(_) => Outcome::Refused(400),
                        None => {
                            drop(ledger);
                            self.problem(format!("batch delete reply lacks {id}: {}", reply.text));
                            return true;
                        }
                    };
                    ledger.service_deletes.push((id.clone(), outcome));
                }
            }
            other => {
                for id in &ids {
                    ledger.service_deletes.push((id.clone(), other));
                }
            }
        }
        reply.status.is_some()
    }

    async fn read(&self, target: &Target, rng: &mut impl Rng) -> bool {
        let path = if rng.gen_bool(0.5) {
            "/v3/tasks?limit=20".to_owned()
        } else {
            format!("{REGISTRY}/microservices?appId=load")
        };
        let reply = self.call(target, Method::GET, &path, None, &[]).await;
        if reply.status.is_some_and(|s| s != 200) {
            self.problem(format!("GET {path} -> {:?} {}", reply.status, reply.text));
        }
        reply.status.is_some()
    }
}

fn ip(n: u64) -> String {
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}
