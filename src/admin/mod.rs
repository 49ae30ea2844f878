//! cloudtwin's own control plane under `/_cloudtwin`: the admin token guard, consistent
//! snapshots of the live database and resetting the state to a fixture.

pub mod clock;
pub mod faults;
pub mod journal;
pub mod routes;
pub mod store;

pub use routes::{guard, routes};

use std::path::{Path, PathBuf};
use std::time::Duration;

use actix_web::http::StatusCode;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::{AdminSettings, Settings};
use crate::db::Db;
use crate::error::TwinError;
use crate::iam;
use crate::seed::{self, Fixture, FixtureError, Summary};

pub const TOKEN_HEADER: &str = "x-admin-token";

/// The cookie the console's login sets: the admin token's SHA-256 in hex, so the browser
/// never holds the token itself. HttpOnly, SameSite=Strict, path `/_cloudtwin`.
pub const COOKIE: &str = "cloudtwin_admin";

/// The console's login form, the one `/_cloudtwin` route the token check lets through.
pub const LOGIN_PATH: &str = "/_cloudtwin/console/login";

/// The value [`COOKIE`] carries for the configured token.
pub fn cookie_value(admin: &AdminSettings) -> String {
    hex::encode(Sha256::digest(admin.token.as_bytes()))
}

/// Whether a presented cookie is the configured token's (never with no token set).
pub fn cookie_matches(admin: &AdminSettings, presented: &str) -> bool {
    // Digests of both sides: the comparison takes the same time wherever they differ.
    !admin.token.is_empty()
        && Sha256::digest(presented.as_bytes()) == Sha256::digest(cookie_value(admin).as_bytes())
}

fn rejected(status: StatusCode, msg: impl Into<String>) -> TwinError {
    TwinError::Rejected(msg.into(), status)
}

/// Decides whether a request may use the admin routes: with no token configured only a
/// loopback listener serves them (whoever can reach it is on this machine); with a token
/// the request must carry it.
pub fn authorize(
    admin: &AdminSettings,
    listen: std::net::SocketAddr,
    presented: Option<&[u8]>,
) -> Result<(), TwinError> {
    if admin.token.is_empty() {
        if listen.ip().is_loopback() {
            return Ok(());
        }
        return Err(rejected(
            StatusCode::FORBIDDEN,
            "admin routes are off: the server does not listen on loopback and admin.token is not set",
        ));
    }
    // Comparing digests keeps the comparison time independent of where the bytes differ.
    let matches =
        presented.is_some_and(|p| Sha256::digest(p) == Sha256::digest(admin.token.as_bytes()));
    if matches {
        Ok(())
    } else {
        Err(rejected(
            StatusCode::UNAUTHORIZED,
            "admin routes need the X-Admin-Token header with the configured admin.token",
        ))
    }
}

/// Refuses what a web page in the user's browser could send to the admin routes: a
/// cross-site request (`Sec-Fetch-Site` other than same-origin or none, or an `Origin`
/// that is not this server), and a `Host` that is none of this server's names (DNS
/// rebinding). Command-line tools and SDKs send neither header and a loopback Host.
pub fn same_site(req: &actix_web::HttpRequest, settings: &Settings) -> Result<(), TwinError> {
    let header = |name: &str| {
        req.headers().get(name).map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .trim()
                .to_ascii_lowercase()
        })
    };
    let refuse = |why: String| Err(rejected(StatusCode::FORBIDDEN, why));
    if let Some(site) = header("sec-fetch-site")
        && site != "same-origin"
        && site != "none"
    {
        return refuse(format!("admin routes refuse {site} requests"));
    }
    let host = header("host").unwrap_or_default();
    if let Some(origin) = header("origin") {
        let origin_host = origin.split_once("://").map_or("", |(_, rest)| rest);
        if origin_host != host {
            return refuse(format!("admin routes refuse requests from origin {origin}"));
        }
    }
    let name = host_name(&host);
    let listen = settings.listen.ip().to_string();
    let allowed = ["localhost", "127.0.0.1", "::1"].contains(&name)
        || name == listen
        || settings
            .server
            .allowed_hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name));
    if !allowed {
        return refuse(format!(
            "admin routes answer only their own host names, not {name:?} (server.allowed_hosts)"
        ));
    }
    Ok(())
}

/// The name part of a Host header: `[::1]:8080` → `::1`, `localhost:8080` → `localhost`.
fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

/// Where snapshots taken over HTTP go: `snapshots/` beside the database file.
pub fn snapshot_dir(database: &Path) -> PathBuf {
    database
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("snapshots")
}

/// A snapshot file name from a request: one plain file name, so it cannot leave the
/// snapshot directory.
pub fn snapshot_name(raw: Option<&str>) -> Result<String, TwinError> {
    let Some(raw) = raw else {
        let now = time::OffsetDateTime::now_utc();
        let stamp = now
            .format(time::macros::format_description!(
                "[year][month][day]T[hour][minute][second].[subsecond digits:3]Z"
            ))
            .map_err(|e| rejected(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        return Ok(format!("cloudtwin-{stamp}.db"));
    };
    let ok = (1..=128).contains(&raw.len())
        && raw
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && !raw.contains("..")
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(rejected(
            StatusCode::BAD_REQUEST,
            format!(
                "snapshot name {raw:?} must be a plain file name: 1 to 128 letters, digits, '.', '_', '-', starting with a letter or digit, without '..'"
            ),
        ))
    }
}

#[derive(Debug, Serialize)]
pub struct SnapshotInfo {
    pub path: String,
    pub size: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{0} already exists")]
    Exists(PathBuf),
    #[error("database {0} does not exist")]
    NoDatabase(PathBuf),
    #[error("cannot create {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("VACUUM INTO {path} failed: {source}")]
    Sqlite { path: PathBuf, source: sqlx::Error },
}

/// Copies the live database at `database` to `out` with `VACUUM INTO`: a consistent
/// file even while the server writes, never a torn copy.
pub async fn snapshot(
    database: &Path,
    out: &Path,
    busy_timeout: Duration,
) -> Result<SnapshotInfo, SnapshotError> {
    if !database.is_file() {
        return Err(SnapshotError::NoDatabase(database.to_owned()));
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::kit::private::create_dir(dir).map_err(|source| SnapshotError::Io {
            path: dir.to_owned(),
            source,
        })?;
    }
    // Claim the name atomically: two snapshots racing for one name get a 409, not a
    // failure inside VACUUM INTO (which accepts an empty existing file).
    crate::kit::private::create_new(out).map_err(|source| match source.kind() {
        std::io::ErrorKind::AlreadyExists => SnapshotError::Exists(out.to_owned()),
        _ => SnapshotError::Io {
            path: out.to_owned(),
            source,
        },
    })?;
    store::vacuum_into(database, out, busy_timeout)
        .await
        .map_err(|source| SnapshotError::Sqlite {
            path: out.to_owned(),
            source,
        })?;
    let size = std::fs::metadata(out)
        .map_err(|source| SnapshotError::Io {
            path: out.to_owned(),
            source,
        })?
        .len();
    Ok(SnapshotInfo {
        path: out.display().to_string(),
        size,
    })
}

/// The file `?fixture=NAME` names: `NAME.yaml` in `admin.fixtures_dir`, NAME being a
/// plain word so that it cannot reach outside that directory.
pub fn fixture_path(admin: &AdminSettings, name: &str) -> Result<PathBuf, TwinError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    if !ok {
        return Err(rejected(
            StatusCode::BAD_REQUEST,
            format!("fixture name {name:?} must be 1 to 64 letters, digits, '_' or '-'"),
        ));
    }
    let path = admin.fixtures_dir.join(format!("{name}.yaml"));
    if !path.is_file() {
        return Err(rejected(
            StatusCode::NOT_FOUND,
            format!("no fixture {}", path.display()),
        ));
    }
    Ok(path)
}

/// The fixtures `?fixture=NAME` can name, sorted: what the console's reset form offers.
pub fn fixture_names(admin: &AdminSettings) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(&admin.fixtures_dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|f| f.strip_suffix(".yaml").map(str::to_owned))
        .filter(|name| fixture_path(admin, name).is_ok())
        .collect();
    names.sort();
    names
}

#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    #[error("{0}")]
    Fixture(#[from] FixtureError),
    #[error("demo account: {0}")]
    Demo(#[from] iam::AccountError),
}

impl From<sqlx::Error> for ResetError {
    fn from(e: sqlx::Error) -> Self {
        ResetError::Fixture(e.into())
    }
}

/// Empties all state, re-creates the demo account and loads the fixture, in one
/// transaction: a fixture that fails to load leaves the old state in place.
pub async fn reset(
    db: &Db,
    settings: &Settings,
    fixture: Option<Fixture>,
) -> Result<Summary, ResetError> {
    let plan = match fixture {
        Some(f) => Some(seed::prepare_blocking(f).await?),
        None => None,
    };
    let password = settings.demo.password.clone();
    let hash = tokio::task::spawn_blocking(move || iam::domain::hash_password(&password))
        .await
        .map_err(|e| iam::AccountError::Invalid(e.to_string()))?
        .map_err(iam::AccountError::Invalid)?;
    db.write(async |conn| {
        store::clear_all(&mut *conn).await?;
        if settings.demo.enabled {
            iam::ensure_demo_in(&mut *conn, &settings.demo, &hash).await?;
        }
        match &plan {
            Some(plan) => Ok(seed::apply(conn, plan).await?),
            None => Ok(Summary::default()),
        }
    })
    .await
}
