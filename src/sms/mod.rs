//! Huawei Cloud SMS v3: source servers and migration tasks.

pub mod domain;
pub mod error;
pub mod routes;
pub mod store;

pub use routes::{admin_routes, routes};
