//! Building the actix application and running the server until a shutdown signal.
//! This is where the areas meet: each area's routes are mounted here, behind the
//! authentication that renders refusals in that area's format.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{ErrorHandlers, from_fn};
use actix_web::{App, HttpServer, web};

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Db;
use crate::edge::{bad_request, json_error, json_errors_only, not_found};
use crate::http_faults::HttpFaults;
use crate::iam::{self, IamError, KeyPair};
use crate::journal::Journal;
use crate::registry::error::RegistryError;
use crate::sms::error::SmsError;
use crate::state::AppState;
use crate::telemetry::{self, RecentRequests};
use crate::{admin, console, health, registry, sms};

/// Opens (and migrates) the database and makes sure the demo account exists, or, with
/// `demo.enabled = false`, that it does not.
pub async fn open(settings: Settings) -> anyhow::Result<(AppState, Option<KeyPair>)> {
    let db = Db::open(&settings).await?;
    let clock = Clock::open(&db, settings.clock.mode).await?;
    let demo = if settings.demo.enabled {
        Some(iam::ensure_demo(&db, &settings.demo).await?)
    } else {
        iam::remove_demo(&db, &settings.demo).await?;
        None
    };
    let faults = HttpFaults::load(&db, settings.faults.seed).await?;
    let journal = Journal::start(db.clone(), clock.clone(), settings.journal.clone());
    Ok((
        AppState {
            db,
            settings,
            clock,
            faults,
            journal,
        },
        demo,
    ))
}

/// A bound, not yet awaited server: tests keep the address and the handle.
pub struct Running {
    pub server: Server,
    pub addr: SocketAddr,
}

/// Binds `settings.listen` (port 0 picks a free one) and builds the server, with the
/// registry's read model opened once the database holds what it will start with.
pub fn bind(state: AppState, registry: registry::Model) -> std::io::Result<Running> {
    let listener = TcpListener::bind(state.settings.listen)?;
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let per_worker = connection_cap(state.settings.server.max_connections).div_ceil(workers);
    let addr = listener.local_addr()?;
    let limit = state.settings.body_limit;
    // The reaper lives as long as the runtime that binds the server.
    let watchers = registry::Watchers::default();
    registry::start_reaper(
        state.db.clone(),
        state.clock.clone(),
        registry.clone(),
        watchers.clone(),
        Duration::from_millis(state.settings.registry.reaper_period_ms),
    );
    registry::start_lease_writer(
        state.db.clone(),
        registry.clone(),
        Duration::from_millis(state.settings.registry.lease_flush_ms),
    );
    sms::engine::start(state.db.clone(), state.clock.clone());
    let data = web::Data::new(state);
    let recent = web::Data::new(RecentRequests::new(telemetry::RECENT_CAPACITY));
    let slots = match data.settings.auth.login_slots {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    let logins = web::Data::new(iam::LoginGate::new(
        slots,
        Duration::from_millis(data.settings.auth.login_wait_ms),
        data.settings.auth.logins_per_address_per_minute,
    ));
    let watchers = web::Data::new(watchers);
    let registry = web::Data::new(registry);
    let faults = web::Data::new(data.faults.clone());
    let journal = web::Data::new(data.journal.clone());
    let proxies = web::Data::new(crate::kit::TrustedProxies(
        data.settings.server.trusted_proxies.clone(),
    ));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(recent.clone())
            .app_data(logins.clone())
            .app_data(proxies.clone())
            .app_data(faults.clone())
            .app_data(watchers.clone())
            .app_data(registry.clone())
            .app_data(journal.clone())
            .app_data(web::PayloadConfig::new(limit))
            .app_data(
                web::JsonConfig::default()
                    .limit(limit)
                    .content_type_required(false)
                    .error_handler(json_error),
            )
            .app_data(web::QueryConfig::default().error_handler(|err, req| bad_request(&err, req)))
            .app_data(web::PathConfig::default().error_handler(|err, req| bad_request(&err, req)))
            .configure(health::routes)
            // The registry first: discovery and heartbeats are most of a registry's
            // traffic, and actix tries every pattern with a `{param}` ahead of a route by
            // a regex capture (7 % of the workers' time in discovery with five of them).
            .service(
                web::scope("/v4/{project_id}/registry")
                    .configure(registry::probe_routes)
                    .service(
                        web::scope("")
                            .wrap(from_fn(iam::authenticate::<RegistryError>))
                            .configure(registry::routes),
                    ),
            )
            .configure(crate::openapi::routes)
            .configure(iam::routes::public)
            .configure(sms::public_routes)
            .configure(registry::public_routes)
            .service(
                web::scope("/v3/projects")
                    .wrap(from_fn(iam::authenticate::<IamError>))
                    .configure(iam::routes::protected),
            )
            .service(
                web::scope("/v3")
                    .wrap(from_fn(iam::authenticate::<SmsError>))
                    .configure(sms::routes),
            )
            .service(
                web::scope("/v4/{project_id}/govern")
                    .wrap(from_fn(iam::authenticate::<RegistryError>))
                    .configure(registry::govern_routes),
            )
            .service(
                web::scope("/v4/{project_id}/admin")
                    .wrap(from_fn(iam::authenticate::<RegistryError>))
                    .configure(registry::admin_routes),
            )
            .service(
                web::scope("/_cloudtwin")
                    .wrap(from_fn(admin::guard))
                    .service(web::scope("/sms").configure(sms::admin_routes))
                    .configure(admin::routes)
                    .configure(admin::clock::routes)
                    .configure(admin::faults::routes)
                    .configure(admin::journal::routes)
                    .configure(console::routes),
            )
            .default_service(web::to(not_found))
            .wrap(ErrorHandlers::new().default_handler(json_errors_only))
            .wrap(from_fn(crate::edge::faults::inject))
            .wrap(from_fn(crate::journal::middleware::record))
            .wrap(from_fn(telemetry::request_span))
    })
    .workers(workers)
    .max_connections(per_worker)
    // Graceful stop: in-flight requests get this long to finish after SIGINT/SIGTERM.
    .shutdown_timeout(30)
    .listen(listener)?
    .run();
    Ok(Running { server, addr })
}

/// The connections to serve at once: `wanted`, but kept below the open-file limit (raised
/// to its hard limit first) so that slow clients run into the cap, which only delays new
/// connections, and never into the limit, which would fail the database and the logs.
fn connection_cap(wanted: usize) -> usize {
    // Files for the database, its pools, logs and the listener.
    const RESERVED: u64 = 256;
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(files) => {
            let room = usize::try_from(files.saturating_sub(RESERVED)).unwrap_or(usize::MAX);
            if room < wanted {
                tracing::warn!(
                    wanted,
                    open_file_limit = files,
                    "server.max_connections lowered to fit the open-file limit"
                );
            }
            wanted.min(room.max(16))
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not read the open-file limit");
            wanted
        }
    }
}

/// Opens the registry's read model (after any fixture was loaded), runs the server until
/// SIGINT/SIGTERM, then stops accepting, lets in-flight requests finish and closes the
/// database pools.
pub async fn serve(state: AppState) -> anyhow::Result<()> {
    let db = state.db.clone();
    let journal = state.journal.clone();
    let registry =
        registry::Model::open(&db, state.clock.now_ms(), registry::instance_json).await?;
    let running = bind(state, registry.clone())?;
    tracing::info!(addr = %running.addr, "listening");
    running.server.await?;
    // The last batch of the journal and the last lease renewals go in before the file
    // closes.
    journal.flush().await;
    if let Err(e) = registry.flush(&db).await {
        tracing::warn!(error = %e, "lease renewals not written back at stop");
    }
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}
