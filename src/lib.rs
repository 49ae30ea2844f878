//! cloudtwin: a persistent, SQLite-backed local twin of Huawei Cloud SMS v3 and the
//! ServiceComb v4 service registry.
// The generated response shapes (src/sms/routes/shapes.rs) are json! literals deeper
// than the default macro recursion allows.
#![recursion_limit = "512"]

pub mod admin;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod db;
pub mod edge;
pub mod error;
pub mod extract;
pub mod health;
pub mod http_faults;
pub mod iam;
pub mod journal;
pub mod kit;
pub mod openapi;
pub mod registry;
pub mod seed;
pub mod sms;
pub mod startup;
pub mod state;
pub mod telemetry;
