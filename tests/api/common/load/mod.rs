//! A mixed SMS + registry workload driven over HTTP by many concurrent clients, the
//! ledger of what each request was answered, and the checks that the database file
//! agrees with that ledger. Shared by the in-process load test and the kill -9 test.
//!
//! - here: the ledger, the shared state and the one way a client sends a request;
//! - [`workload`]: what the clients do;
//! - [`checks`]: what the database must agree with afterwards.

mod checks;
mod workload;

pub use checks::{ledger_problems, storage_problems};

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::Method;
use serde_json::Value;

use super::{AdminClient, Client};

/// What a request that changes state was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx: the change must be durable.
    Done,
    /// A 4xx: nothing may have changed.
    Refused(u16),
    /// No answer (the server died mid-request): it may or may not have happened.
    Unknown,
}

/// Everything the clients were told, to compare with the database afterwards.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Source servers registered with a 2xx.
    pub sources: Vec<String>,
    /// (task, its source) created with a 2xx.
    pub tasks: Vec<(String, String)>,
    /// (source, task) pairs whose source is connected and replicating for the whole run.
    pub blocked: Vec<(String, String)>,
    pub task_deletes: Vec<(Vec<String>, Outcome)>,
    pub source_deletes: Vec<(Vec<String>, Outcome)>,
    /// (id, name) of microservices created with a 2xx.
    pub services: Vec<(String, String)>,
    /// (service, instance) registered with a 2xx.
    pub instances: Vec<(String, String)>,
    /// One entry per service named in a force batch delete.
    pub service_deletes: Vec<(String, Outcome)>,
}

/// Where the clients send their requests.
pub struct Target {
    /// The server, with the token every client uses.
    pub api: Client,
    /// In the crash test the server dies under the clients: a request without an answer
    /// is then expected, and ends that client's run.
    pub may_die: bool,
}

impl Target {
    /// The admin routes of the same server.
    pub fn admin(&self) -> AdminClient {
        AdminClient::new(self.api.clone())
    }
}

/// The state all clients share.
#[derive(Default)]
pub struct Shared {
    pub ledger: Mutex<Ledger>,
    /// Answers no user should ever see: 5xx, "database is locked", transport errors.
    pub problems: Mutex<Vec<String>>,
    /// Requests sent, by every client.
    pub requests: AtomicU64,
    /// Makes every name unique, across restarts too.
    pub serial: AtomicU64,
}

/// What one request of the workload was answered.
pub struct Answer {
    /// `None` when no answer came back.
    pub status: Option<u16>,
    pub text: String,
    pub json: Value,
}

impl Answer {
    pub fn outcome(&self) -> Outcome {
        match self.status {
            Some(s) if (200..300).contains(&s) => Outcome::Done,
            Some(s) => Outcome::Refused(s),
            None => Outcome::Unknown,
        }
    }

    pub fn ok(&self) -> bool {
        self.outcome() == Outcome::Done
    }
}

impl Shared {
    pub(super) fn next(&self) -> u64 {
        self.serial.fetch_add(1, Ordering::Relaxed)
    }

    pub(super) fn problem(&self, what: String) {
        self.problems.lock().unwrap().push(what);
    }

    pub async fn call(
        &self,
        target: &Target,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut req = target.api.request(method.clone(), path, body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let answered = match req.send().await {
            Ok(res) => {
                let status = res.status().as_u16();
                res.text().await.map(|text| (status, text))
            }
            Err(e) => Err(e),
        };
        match answered {
            Ok((status, text)) => {
                if status >= 500 || text.contains("database is locked") {
                    self.problem(format!("{method} {path} -> {status} {text}"));
                }
                let json = serde_json::from_str(&text).unwrap_or(Value::Null);
                Answer {
                    status: Some(status),
                    text,
                    json,
                }
            }
            Err(e) => {
                if !target.may_die {
                    self.problem(format!("{method} {path} -> no answer: {e}"));
                }
                Answer {
                    status: None,
                    text: String::new(),
                    json: Value::Null,
                }
            }
        }
    }
}
