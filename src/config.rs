//! Layered settings: embedded defaults, `config/<profile>.toml`, `--config FILE`,
//! `CLOUDTWIN_*` environment variables, then command-line overrides.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The defaults ship inside the binary so that `cloudtwin` runs from any directory.
const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub listen: SocketAddr,
    pub database: PathBuf,
    pub body_limit: usize,
    pub pool: PoolSettings,
    pub log: LogSettings,
    pub auth: AuthSettings,
    pub demo: DemoSettings,
    pub sms: SmsSettings,
    pub registry: RegistrySettings,
    pub admin: AdminSettings,
    pub server: ServerSettings,
    pub clock: ClockSettings,
    pub faults: FaultSettings,
    pub journal: JournalSettings,
}

/// HTTP fault rules (`/_cloudtwin/faults`).
#[derive(Debug, Clone, Deserialize)]
pub struct FaultSettings {
    /// Seed of the draws of rules with a probability below 1: the same seed, rules and
    /// requests fire the same faults.
    pub seed: u64,
}

/// The request journal.
#[derive(Debug, Clone, Deserialize)]
pub struct JournalSettings {
    pub enabled: bool,
    /// The most of a request body kept (after secrets are replaced by `***`).
    pub max_body_bytes: usize,
    /// How long entries wait in memory for their batch.
    pub flush_ms: u64,
    /// Rows kept; the oldest go first.
    pub max_rows: i64,
}

/// The migration the twin plays for tasks started by an action.
#[derive(Debug, Clone, Deserialize)]
pub struct SimulationSettings {
    pub enabled: bool,
    /// The simulated transfer rate, in Mbit/s (the API's unit).
    pub rate_mbit_per_s: f64,
    /// The size migrated when the agent registered no disk sizes.
    pub default_disk_gib: i64,
    /// How long a silent agent stays `connected`, in simulated seconds.
    pub agent_timeout_secs: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ClockSettings {
    /// The mode at start; `POST /_cloudtwin/clock` switches it after that.
    pub mode: ClockMode,
}

/// How the simulated clock runs (see `clock`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ClockMode {
    Real,
    Manual,
}

impl ClockMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockMode::Real => "real",
            ClockMode::Manual => "manual",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    /// Host names the admin routes answer besides the loopback names and the listen
    /// address (a name a DNS-rebinding page would use is not among them).
    pub allowed_hosts: Vec<String>,
    /// How long a request body may take to arrive.
    pub body_timeout_ms: u64,
    /// Connections served at once, over all workers.
    pub max_connections: usize,
    /// Peers whose `Forwarded` / `X-Forwarded-*` headers are believed (client address,
    /// scheme and host); everyone else's are ignored.
    pub trusted_proxies: Vec<IpAddr>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PoolSettings {
    pub readers: u32,
    pub busy_timeout_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Switch {
    On,
    Off,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    pub registry: Switch,
    pub token_ttl_secs: i64,
    pub signature_max_skew_secs: i64,
    /// Password checks that run at once; 0 = one per core.
    pub login_slots: usize,
    /// How long a login waits for a free slot before 429.
    pub login_wait_ms: u64,
    /// Wrong passwords a user may get within `login_failures_window_secs`; then 429
    /// until the window ends.
    pub login_failures_max: i64,
    pub login_failures_window_secs: i64,
    /// Login attempts one client address may make per minute; 0 = no limit.
    pub logins_per_address_per_minute: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DemoSettings {
    /// Off: no demo account (an existing one is deleted at start).
    pub enabled: bool,
    pub domain: String,
    pub project: String,
    pub user: String,
    pub password: String,
    pub access_key: String,
    pub secret_key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeleteRule {
    DenyList,
    AllowList,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SmsSettings {
    pub delete_rule: DeleteRule,
    pub simulation: SimulationSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RegistrySettings {
    pub reaper_period_ms: u64,
    /// How often heartbeats renewed in memory are written to the file: what a crash can
    /// lose of them (nothing expires because of it: a start renews every lease).
    pub lease_flush_ms: u64,
    /// How often the WebSocket heartbeat pings (each Pong renews the lease).
    pub websocket_ping_ms: u64,
    /// Service Center 1.x's `version` rules in discovery (latest, 1.0+, ranges); off:
    /// every version, as Service Center 2.1 and later answer.
    pub version_rules: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AdminSettings {
    /// Empty: `/_cloudtwin/*` only when listening on loopback; else the `X-Admin-Token`.
    pub token: String,
    /// Where `POST /_cloudtwin/reset?fixture=NAME` finds `NAME.yaml`.
    pub fixtures_dir: PathBuf,
}

/// What the command line may override; `None` leaves the layered value alone.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub profile: Option<String>,
    pub database: Option<PathBuf>,
    pub listen: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl Settings {
    /// The embedded defaults alone, without any other layer.
    pub fn defaults() -> Result<Self, ConfigError> {
        use config::{Config, File, FileFormat};
        Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| ConfigError(e.to_string()))
    }

    /// Loads settings from every layer, reading the environment of this process.
    pub fn load(overrides: &Overrides) -> Result<Self, ConfigError> {
        Self::load_from(overrides, Path::new("config"))
    }

    pub fn load_from(overrides: &Overrides, config_dir: &Path) -> Result<Self, ConfigError> {
        use config::{Config, Environment, File, FileFormat};
        let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        if let Some(profile) = &overrides.profile {
            let path = config_dir.join(format!("{profile}.toml"));
            builder = builder.add_source(File::from(path).required(false));
        }
        if let Some(file) = &overrides.config_file {
            if !file.is_file() {
                return Err(ConfigError(format!(
                    "config file {} does not exist",
                    file.display()
                )));
            }
            builder = builder.add_source(File::from(file.clone()).required(true));
        }
        builder = builder.add_source(
            Environment::with_prefix("CLOUDTWIN")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true),
        );
        let set = |b: config::ConfigBuilder<_>, key: &str, v: Option<String>| match v {
            Some(v) => b.set_override(key, v),
            None => Ok(b),
        };
        let builder = set(
            builder,
            "database",
            overrides
                .database
                .as_ref()
                .map(|p| p.to_string_lossy().into_owned()),
        )
        .and_then(|b| set(b, "listen", overrides.listen.clone()))
        .map_err(|e| ConfigError(e.to_string()))?;
        let settings: Settings = builder
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| ConfigError(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, why: &str| Err(ConfigError(format!("{why} for key `{key}`")));
        let journal = &self.journal;
        if !(10..=60_000).contains(&journal.flush_ms) {
            return bad("journal.flush_ms", "must be 10 to 60000 milliseconds");
        }
        if !(1..=100_000_000).contains(&journal.max_rows) {
            return bad("journal.max_rows", "must be 1 to 100000000");
        }
        if journal.max_body_bytes > 16 * 1024 * 1024 {
            return bad("journal.max_body_bytes", "must be at most 16 MiB");
        }
        let sim = &self.sms.simulation;
        if !(1.0..=1_000_000.0).contains(&sim.rate_mbit_per_s) {
            return bad(
                "sms.simulation.rate_mbit_per_s",
                "must be 1 to 1000000 Mbit/s",
            );
        }
        if !(1..=1_048_576).contains(&sim.default_disk_gib) {
            return bad(
                "sms.simulation.default_disk_gib",
                "must be 1 to 1048576 GiB",
            );
        }
        if !(1..=86_400).contains(&sim.agent_timeout_secs) {
            return bad(
                "sms.simulation.agent_timeout_secs",
                "must be 1 to 86400 seconds",
            );
        }
        if self.pool.readers == 0 {
            return bad("pool.readers", "must be at least 1");
        }
        if self.body_limit < 1024 {
            return bad("body_limit", "must be at least 1024 bytes");
        }
        // Up to ten years: far enough for any test estate, and expiry arithmetic in
        // milliseconds and RFC 3339 dates stays in range.
        if !(1..=10 * 365 * 86_400).contains(&self.auth.token_ttl_secs) {
            return bad(
                "auth.token_ttl_secs",
                "must be 1 to 315360000 seconds (ten years)",
            );
        }
        if self.auth.login_slots > 64 {
            return bad("auth.login_slots", "must be 0 (one per core) to 64");
        }
        if !(1..=600_000).contains(&self.auth.login_wait_ms) {
            return bad("auth.login_wait_ms", "must be 1 to 600000 milliseconds");
        }
        if self.auth.logins_per_address_per_minute > 1_000_000 {
            return bad(
                "auth.logins_per_address_per_minute",
                "must be 0 (no limit) to 1000000",
            );
        }
        if !(1..=1_000_000).contains(&self.auth.login_failures_max) {
            return bad("auth.login_failures_max", "must be 1 to 1000000");
        }
        if !(1..=86_400).contains(&self.auth.login_failures_window_secs) {
            return bad(
                "auth.login_failures_window_secs",
                "must be 1 to 86400 seconds",
            );
        }
        if self.auth.signature_max_skew_secs < 0 {
            return bad("auth.signature_max_skew_secs", "must not be negative");
        }
        if !(100..=600_000).contains(&self.server.body_timeout_ms) {
            return bad(
                "server.body_timeout_ms",
                "must be 100 to 600000 milliseconds",
            );
        }
        if !(16..=1_000_000).contains(&self.server.max_connections) {
            return bad("server.max_connections", "must be 16 to 1000000");
        }
        if !(100..=3_600_000).contains(&self.registry.websocket_ping_ms) {
            return bad(
                "registry.websocket_ping_ms",
                "must be 100 to 3600000 milliseconds",
            );
        }
        if !(10..=60_000).contains(&self.registry.lease_flush_ms) {
            return bad(
                "registry.lease_flush_ms",
                "must be 10 to 60000 milliseconds",
            );
        }
        if self.registry.reaper_period_ms == 0 {
            return bad("registry.reaper_period_ms", "must be positive");
        }
        if self.database.as_os_str().is_empty() {
            return bad("database", "must not be empty");
        }
        Ok(())
    }
}
