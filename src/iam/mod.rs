//! Identity: accounts, projects, users, access keys, tokens and permissions, and the
//! two ways a caller proves who it is (an IAM token or an SDK-HMAC-SHA256 signature).
//! Laid out like the API areas: `routes/`, `domain/` and `store/` with one file per
//! resource and the error type in `error.rs`; `caller.rs` is what the other areas see of
//! a request's identity, `accounts.rs` the account commands of the CLI and the demo user.

mod accounts;
mod caller;
pub mod domain;
mod error;
mod logins;
pub mod routes;
pub mod store;

pub use accounts::*;
pub use caller::*;
pub use error::*;
pub use logins::LoginGate;
pub use routes::authenticate;
