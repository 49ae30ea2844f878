//! cloudtwin's integration tests, all in one test binary.
//!
//! Each module was a test binary of its own (`tests/<module>.rs`), and each of them
//! linked the whole crate: most of a cold `cargo test`. `common` holds what they
//! shared: the in-process server, one client per API, the one runner of the built
//! binary, the mixed workload, and the one file that uses the crate's internals.
//!
//! All tests run on parallel threads of this one process, so none may change
//! process-wide state (environment, current directory, rlimits, signal dispositions,
//! the tracing subscriber beyond `common::internals`' one-time setup). What has to
//! happen to a process happens to a child `cloudtwin serve` (see `disk`). Every test
//! has its own server, temporary directory and database file; servers in this process
//! bind port 0 and child servers get theirs from `common::cli::free_port`.

mod common;

mod admin;
mod clock;
mod console;
mod crash;
mod disk;
mod fixtures;
mod foundation;
mod fuzz;
mod http_faults;
mod iam;
mod journal;
mod load_mixed;
mod openapi;
mod registry;
mod registry_auth;
mod sdk;
mod security;
mod sms;
