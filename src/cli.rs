//! The `cloudtwin` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Overrides, Settings};
use crate::db::{self, Db};
use crate::startup;
use crate::telemetry;
use crate::{admin, iam, seed};

#[derive(Debug, Parser)]
#[command(
    name = "cloudtwin",
    version,
    about = "A local twin of Huawei Cloud SMS v3 and the ServiceComb v4 registry"
)]
pub struct Cli {
    /// Extra configuration file, layered over config/default.toml and config/<profile>.toml.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Profile whose config/<profile>.toml is layered over the defaults.
    #[arg(long, global = true, value_name = "NAME", env = "CLOUDTWIN_PROFILE")]
    profile: Option<String>,
    /// SQLite database file (same as CLOUDTWIN_DATABASE).
    #[arg(long, global = true, value_name = "PATH")]
    database: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:8080 (same as CLOUDTWIN_LISTEN).
    #[arg(long, global = true, value_name = "ADDR")]
    listen: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate the database and serve both APIs until SIGINT/SIGTERM.
    Serve {
        /// Fixture to load at start, only into a database without fixture data yet
        /// (no source servers, no microservices, no domain but the demo one).
        #[arg(long, value_name = "FILE")]
        fixture: Option<PathBuf>,
        /// HTTP fault rules (a YAML or JSON list of what POST /_cloudtwin/faults takes)
        /// that replace the rules the database holds.
        #[arg(long, value_name = "FILE")]
        faults: Option<PathBuf>,
    },
    /// Print the request journal, newest first, one JSON object a line (also while the
    /// server runs; entries of its last batch interval may not be written yet).
    Journal {
        /// How many entries (1 to 100000).
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Only this method.
        #[arg(long)]
        method: Option<String>,
        /// Only paths containing this.
        #[arg(long)]
        path: Option<String>,
        /// Only this status (0: connections a fault reset).
        #[arg(long)]
        status: Option<i64>,
        /// Only this request id.
        #[arg(long)]
        request_id: Option<String>,
        /// Only entries at or after this simulated time (unix ms).
        #[arg(long)]
        since_ms: Option<i64>,
    },
    /// Load a fixture (YAML or JSON) into the database in one transaction: all or nothing.
    Seed {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Write the database's state as a fixture (ids included) that `seed` loads back.
    Export {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Write a consistent copy of the database (VACUUM INTO), also while it is served.
    Snapshot {
        #[arg(value_name = "OUT")]
        out: PathBuf,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Run PRAGMA integrity_check on the database and print its schema version.
    Check,
    /// Manage IAM users, keys and permissions in the database (also while serving).
    #[command(subcommand)]
    Iam(IamCommand),
}

#[derive(Debug, Subcommand)]
enum IamCommand {
    /// Create a user holding no actions (and its domain and project if missing);
    /// an existing user gets the new password.
    CreateUser {
        #[arg(long)]
        domain: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        password: String,
        /// Project (region) name created with the domain.
        #[arg(long, default_value = "cn-north-4")]
        project: String,
    },
    /// Issue an AK/SK pair; prints {"access","secret","project_id","domain_id"} as JSON.
    CreateKey {
        #[arg(long)]
        domain: String,
        #[arg(long)]
        user: String,
    },
    /// Allow an action, e.g. sms:server:batchDeleteTask, cse:microservice:* or *.
    Grant {
        #[arg(long)]
        domain: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        action: String,
    },
    /// Take an action back.
    Revoke {
        #[arg(long)]
        domain: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        action: String,
    },
    /// Delete a user with its access keys, tokens and grants.
    DeleteUser {
        #[arg(long)]
        domain: String,
        #[arg(long)]
        user: String,
    },
    /// Delete an access key; requests signed with it are refused from then on.
    DeleteKey {
        #[arg(long)]
        access: String,
    },
}

/// Parses the command line, runs the command and maps failures to exit codes:
/// 2 for bad configuration, 1 for anything that failed while running.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = Overrides {
        config_file: cli.config.clone(),
        profile: cli.profile.clone(),
        database: cli.database.clone(),
        listen: cli.listen.clone(),
    };
    let settings = match Settings::load(&overrides) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cloudtwin: {e}");
            return ExitCode::from(2);
        }
    };
    match run(cli.command, settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cloudtwin: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Migrate => {
            let version = db::migrate(&settings.database)?;
            println!(
                "migrated {} to schema version {version}",
                settings.database.display()
            );
            Ok(())
        }
        Command::Check => {
            let version = db::check(&settings.database)?;
            println!(
                "{}: integrity ok, schema version {version}",
                settings.database.display()
            );
            Ok(())
        }
        Command::Serve { fixture, faults } => {
            telemetry::init(&settings.log);
            runtime()?.block_on(serve(settings, fixture, faults))
        }
        Command::Journal {
            limit,
            method,
            path,
            status,
            request_id,
            since_ms,
        } => {
            if !(1..=100_000).contains(&limit) {
                anyhow::bail!("--limit must be 1 to 100000");
            }
            let filter = crate::journal::store::Filter {
                method,
                path,
                status,
                since_ms,
                request_id,
                before_id: None,
                limit,
            };
            runtime()?.block_on(journal(settings, filter))
        }
        Command::Seed { file } => runtime()?.block_on(seed(settings, file)),
        Command::Export { file } => runtime()?.block_on(export(settings, file)),
        Command::Snapshot { out } => runtime()?.block_on(snapshot(settings, out)),
        Command::Iam(cmd) => runtime()?.block_on(iam_command(cmd, settings)),
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

async fn iam_command(cmd: IamCommand, settings: Settings) -> anyhow::Result<()> {
    let db = Db::open(&settings).await?;
    let outcome = match cmd {
        IamCommand::CreateUser {
            domain,
            name,
            password,
            project,
        } => {
            iam::create_user(&db, &domain, &name, &password, &project).await?;
            eprintln!(
                "user {name:?} in domain {domain:?} is ready (it holds no actions until granted)"
            );
            Ok(())
        }
        IamCommand::CreateKey { domain, user } => {
            let key = iam::create_key(&db, &domain, &user).await?;
            println!("{}", serde_json::to_string(&key)?);
            Ok(())
        }
        IamCommand::Grant {
            domain,
            user,
            action,
        } => iam::grant(&db, &domain, &user, &action).await,
        IamCommand::Revoke {
            domain,
            user,
            action,
        } => match iam::revoke(&db, &domain, &user, &action).await {
            Ok(false) => {
                eprintln!("{user:?} did not hold {action:?}");
                Ok(())
            }
            other => other.map(|_| ()),
        },
        IamCommand::DeleteUser { domain, user } => {
            iam::delete_user(&db, &domain, &user).await?;
            eprintln!("user {user:?} of domain {domain:?} is deleted, with its keys and tokens");
            Ok(())
        }
        IamCommand::DeleteKey { access } => iam::delete_key(&db, &access).await,
    };
    db.close().await;
    Ok(outcome?)
}

/// Like `serve`, first makes sure the demo account exists, so that the fixture adds to it.
async fn seed(settings: Settings, file: PathBuf) -> anyhow::Result<()> {
    let (state, _) = startup::open(settings).await?;
    let outcome = seed::load_file(&state.db, &file).await;
    state.db.close().await;
    let settings = state.settings;
    let summary = outcome?;
    println!(
        "seeded {} from {}: {summary}",
        settings.database.display(),
        file.display()
    );
    Ok(())
}

async fn export(settings: Settings, file: PathBuf) -> anyhow::Result<()> {
    let db = Db::open(&settings).await?;
    let outcome = seed::export(&db).await;
    db.close().await;
    outcome?.write(&file)?;
    println!(
        "exported {} to {}",
        settings.database.display(),
        file.display()
    );
    Ok(())
}

async fn snapshot(settings: Settings, out: PathBuf) -> anyhow::Result<()> {
    let busy = std::time::Duration::from_millis(settings.pool.busy_timeout_ms);
    let info = admin::snapshot(&settings.database, &out, busy).await?;
    println!(
        "snapshot of {} written to {} ({} bytes)",
        settings.database.display(),
        info.path,
        info.size
    );
    Ok(())
}

async fn journal(settings: Settings, filter: crate::journal::store::Filter) -> anyhow::Result<()> {
    let db = Db::open(&settings).await?;
    let entries = crate::journal::store::entries(&mut *db.read().await?, &filter).await;
    db.close().await;
    for entry in entries? {
        println!("{}", serde_json::to_string(&entry)?);
    }
    Ok(())
}

async fn serve(
    settings: Settings,
    fixture: Option<PathBuf>,
    faults: Option<PathBuf>,
) -> anyhow::Result<()> {
    let (state, demo) = startup::open(settings).await?;
    let faults_note = match faults {
        Some(file) => {
            let n = crate::http_faults::replace_from_file(
                &state.faults,
                &state.db,
                &file,
                state.clock.now_ms(),
            )
            .await?;
            Some(format!("{n} rules from {}", file.display()))
        }
        None => None,
    };
    let fixture_note = match fixture {
        Some(file) => Some(
            match seed::load_at_start(&state.db, &file, &state.settings.demo.domain).await? {
                Some(summary) => {
                    // The fixture may have brought fault rules: the cache follows.
                    state.faults.reload().await?;
                    format!("{} loaded: {summary}", file.display())
                }
                None => format!(
                    "{} skipped: the database already holds fixture data \
                     (use `cloudtwin seed` or POST /_cloudtwin/reset?fixture=NAME)",
                    file.display()
                ),
            },
        ),
        None => None,
    };
    let version = state.db.schema_version().await?;
    let s = &state.settings;
    println!("cloudtwin {}", env!("CARGO_PKG_VERSION"));
    println!("  listening on  http://{}", s.listen);
    println!(
        "  database      {} (schema version {version})",
        s.database.display()
    );
    match &demo {
        Some(demo) => {
            // The built-in values are public anyway; values set in the configuration are
            // secrets and stay out of the terminal and its logs.
            let defaults = Settings::defaults()?.demo;
            let shown = |value: &str, default: &str| {
                if value == default {
                    value.to_owned()
                } else {
                    "(as configured)".to_owned()
                }
            };
            println!(
                "  demo account  domain {:?}, user {:?}, password {}, project {:?} ({})",
                s.demo.domain,
                s.demo.user,
                shown(&s.demo.password, &defaults.password),
                s.demo.project,
                demo.project_id
            );
            println!(
                "  demo AK/SK    {} / {}",
                demo.access,
                shown(&demo.secret, &defaults.secret_key)
            );
        }
        None => println!("  demo account  off (demo.enabled = false)"),
    }
    if let Some(note) = fixture_note {
        println!("  fixture       {note}");
    }
    if let Some(note) = faults_note {
        println!("  fault rules   {note}");
    }
    println!("  console       http://{}{}", s.listen, crate::sms::CONSOLE);
    println!(
        "  registry auth {}",
        match s.auth.registry {
            crate::config::Switch::On => "on (token or AK/SK required on /v4)",
            crate::config::Switch::Off => "off (tenant from X-Domain-Name)",
        }
    );
    startup::serve(state).await
}
