//! Small helpers every area uses.

use std::collections::BTreeMap;

use utoipa::openapi::response::Response;
use utoipa::openapi::{ContentBuilder, RefOr, ResponseBuilder, ResponsesBuilder};
use utoipa::{IntoResponses, PartialSchema};

/// An enum that is stored in SQLite and sent on the wire as fixed strings: one list of
/// `Variant = "text"` pairs gives the serde names, `as_str`, `Display`, `ALL` and the
/// exact-match `from_text`, so the three can never disagree. Each area adds its own
/// `parse` on top (case rules and error wording differ between the APIs).
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The variant spelled exactly `text`.
            pub fn from_text(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use string_enum;

/// How every API area takes a database error: `Unavailable` (503: the file is locked,
/// read-only or full, and the request may succeed later) or `Internal` (500). The area's
/// error enum must have both variants, holding the detail for the log.
macro_rules! from_sqlx_error {
    ($error:ident) => {
        impl From<sqlx::Error> for $error {
            fn from(e: sqlx::Error) -> Self {
                if $crate::db::is_unavailable(&e) {
                    $error::Unavailable(e.to_string())
                } else {
                    $error::Internal(e.to_string())
                }
            }
        }
    };
}

pub(crate) use from_sqlx_error;

/// What every operation answers: its JSON on success, or a refusal in the JSON error
/// format of the API it belongs to (`responses(Replies)` on each handler).
pub struct Replies;

impl IntoResponses for Replies {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let json = || {
            ContentBuilder::new()
                .schema(Some(serde_json::Value::schema()))
                .build()
        };
        ResponsesBuilder::new()
            .response(
                "200",
                ResponseBuilder::new()
                    .description("Success")
                    .content("application/json", json()),
            )
            .response(
                "4XX",
                ResponseBuilder::new()
                    .description("Refused, in the API's JSON error format")
                    .content("application/json", json()),
            )
            .build()
            .into()
    }
}

/// Files that hold what a shared machine's other users must not read: the database (with
/// the access-key secrets HMAC verification needs in clear), its WAL, snapshots and
/// exports. Directories cloudtwin creates are 0700, such files 0600.
pub mod private {
    use std::fs::{DirBuilder, File, OpenOptions};
    use std::io;
    use std::path::Path;

    #[cfg(unix)]
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

    /// Creates `dir` and its missing parents, readable by this user only; an existing
    /// directory is left as it is (it may be the user's own).
    pub fn create_dir(dir: &Path) -> io::Result<()> {
        let mut builder = DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        builder.mode(0o700);
        builder.create(dir)
    }

    fn options() -> OpenOptions {
        let mut options = OpenOptions::new();
        #[cfg(unix)]
        options.mode(0o600);
        options
    }

    /// Opens `path` for a fresh write (`create_new`: an existing file is an error).
    pub fn create_new(path: &Path) -> io::Result<File> {
        options().write(true).create_new(true).open(path)
    }

    /// Opens `path` for writing from scratch, creating it 0600 when missing.
    pub fn create(path: &Path) -> io::Result<File> {
        let file = options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        restrict(path)?;
        Ok(file)
    }

    /// Makes an existing file readable by this user only.
    pub fn restrict(path: &Path) -> io::Result<()> {
        #[cfg(unix)]
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        Ok(())
    }

    /// The database file and, when present, its WAL and shared-memory files (SQLite gives
    /// new ones the database file's mode), created 0600 when missing.
    pub fn database(path: &Path) -> io::Result<()> {
        if !path.exists() {
            options()
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)?;
        }
        restrict(path)?;
        for suffix in ["-wal", "-shm"] {
            let mut side = path.as_os_str().to_owned();
            side.push(suffix);
            let side = Path::new(&side);
            if side.exists() {
                restrict(side)?;
            }
        }
        Ok(())
    }
}

/// The reverse proxies named in `server.trusted_proxies`, kept as app data.
#[derive(Debug, Default)]
pub struct TrustedProxies(pub Vec<std::net::IpAddr>);

/// Whether the request came through a proxy whose forwarded headers are believed. Anyone
/// else's are ignored: any client could send them and make the links in a reply point
/// elsewhere, or pose as another address to the login limit.
fn via_trusted_proxy(req: &actix_web::HttpRequest) -> bool {
    let trusted = req.app_data::<actix_web::web::Data<TrustedProxies>>();
    match (req.peer_addr(), trusted) {
        (Some(peer), Some(trusted)) => trusted.0.contains(&peer.ip()),
        _ => false,
    }
}

/// The client's address: the peer, or what a trusted proxy forwarded for it.
pub fn client_ip(req: &actix_web::HttpRequest) -> Option<std::net::IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !via_trusted_proxy(req) {
        return Some(peer);
    }
    let info = req.connection_info();
    let forwarded = info.realip_remote_addr().and_then(|a| {
        a.parse::<std::net::IpAddr>()
            .ok()
            .or_else(|| a.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
    });
    Some(forwarded.unwrap_or(peer))
}

/// This server's base URL as the client addressed it: `http://` and the Host header (or
/// the local address without one), or the scheme and host a trusted proxy forwarded.
pub fn base_url(req: &actix_web::HttpRequest) -> String {
    if via_trusted_proxy(req) {
        let info = req.connection_info();
        return format!("{}://{}", info.scheme(), info.host());
    }
    let host = req
        .headers()
        .get(actix_web::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| req.app_config().host().to_owned());
    format!("http://{host}")
}
