//! Shared by every test module:
//!
//! - [`server`]: the real server in-process, one per test, on port 0 and a fresh file;
//! - [`client`] and one client per API on top of it: [`sms`], [`registry`], [`iam`]
//!   (tokens), [`admin`] (`/_cloudtwin/*`);
//! - [`browser`]: headless Chromium, for pages as a browser draws them;
//! - [`cli`]: the one runner of the built binary, and `serve` as a child process;
//! - [`load`]: the mixed workload, its ledger and the database checks;
//! - [`internals`]: the only file that uses cloudtwin's crate internals.

pub mod admin;
pub mod browser;
pub mod cli;
pub mod client;
pub mod iam;
pub mod internals;
pub mod load;
pub mod registry;
pub mod server;
pub mod sms;

pub use admin::AdminClient;
pub use client::{Client, Reply, http_client};
pub use iam::{Iam, password_body};
pub use internals::{ClockMode, DeleteRule, Settings, Switch, expected_schema_version};
pub use registry::{REGISTRY, RegistryClient};
pub use server::{TestServer, spawn, spawn_on, spawn_with, test_settings};
pub use sms::SmsClient;

/// fixtures/demo.yaml: 4 source servers, 3 tasks, 5 microservices, 6 instances.
pub const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo.yaml");
