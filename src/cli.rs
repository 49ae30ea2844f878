//! The `cloudtwin` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Overrides, Settings};
use crate::db::{self, Db};
use crate::startup::{self, AppState};
use crate::telemetry;

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
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Run PRAGMA integrity_check on the database and print its schema version.
    Check,
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
        Command::Serve => {
            telemetry::init(&settings.log);
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(serve(settings))
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let db = Db::open(&settings).await?;
    let version = db.schema_version().await?;
    println!("cloudtwin {}", env!("CARGO_PKG_VERSION"));
    println!("  listening on  http://{}", settings.listen);
    println!(
        "  database      {} (schema version {version})",
        settings.database.display()
    );
    startup::serve(AppState { db, settings }).await
}
