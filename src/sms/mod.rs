//! Huawei Cloud SMS v3: source servers and migration tasks, and the migrations the twin
//! simulates for them (`engine`).

pub mod domain;
pub mod engine;
pub mod error;
pub mod routes;
pub mod store;

pub use routes::{CONSOLE, admin_routes, public_routes, routes};
