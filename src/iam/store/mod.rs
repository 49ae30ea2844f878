//! All IAM SQL, one file per resource; every function takes the connection of the
//! transaction its caller opened.

mod accounts;
mod keys;
mod logins;
mod tokens;

pub use accounts::*;
pub use keys::*;
pub use logins::*;
pub use tokens::*;
