//! Huawei Cloud SMS v3: source servers and migration tasks.

pub mod domain;
pub mod error;
pub mod routes;
pub mod store;

pub use routes::{CONSOLE, admin_routes, public_routes, routes};
