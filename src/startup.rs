//! Building the actix application and running the server until a shutdown signal.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_web::dev::{Server, ServiceResponse};
use actix_web::error::JsonPayloadError;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers, from_fn};
use actix_web::{App, HttpRequest, HttpServer, web};

use crate::config::Settings;
use crate::db::Db;
use crate::error::Rejection;
use crate::extract::{body_limit, json_rejection};
use crate::iam::{self, KeyPair};
use crate::status::{self, RecentRequests};
use crate::{admin, health, registry, sms, telemetry};

/// Everything a handler may need, shared by all workers.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Settings,
}

impl AppState {
    /// Opens (and migrates) the database and makes sure the demo account exists.
    pub async fn open(settings: Settings) -> anyhow::Result<(Self, KeyPair)> {
        let db = Db::open(&settings).await?;
        let demo = iam::ensure_demo(&db, &settings.demo).await?;
        Ok((Self { db, settings }, demo))
    }
}

/// A bound, not yet awaited server: tests keep the address and the handle.
pub struct Running {
    pub server: Server,
    pub addr: SocketAddr,
}

/// Binds `settings.listen` (port 0 picks a free one) and builds the server.
pub fn bind(state: AppState) -> std::io::Result<Running> {
    let listener = TcpListener::bind(state.settings.listen)?;
    let addr = listener.local_addr()?;
    let limit = state.settings.body_limit;
    // The reaper lives as long as the runtime that binds the server.
    registry::start_reaper(
        state.db.clone(),
        Duration::from_millis(state.settings.registry.reaper_period_ms),
    );
    let data = web::Data::new(state);
    let recent = web::Data::new(RecentRequests::new(status::RECENT_CAPACITY));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(recent.clone())
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
            .configure(crate::openapi::routes)
            .configure(iam::routes::public)
            .service(
                web::scope("/v3")
                    .wrap(from_fn(iam::routes::authenticate))
                    .configure(iam::routes::protected)
                    .configure(sms::routes::routes),
            )
            .service(
                web::scope("/v4/{project_id}/registry")
                    .wrap(from_fn(iam::routes::authenticate))
                    .configure(registry::routes::routes),
            )
            .configure(admin::routes::routes)
            .configure(status::routes)
            .default_service(web::to(not_found))
            .wrap(ErrorHandlers::new().default_handler(json_errors_only))
            .wrap(from_fn(telemetry::request_span))
    })
    // Graceful stop: in-flight requests get this long to finish after SIGINT/SIGTERM.
    .shutdown_timeout(30)
    .listen(listener)?
    .run();
    Ok(Running { server, addr })
}

fn json_error(err: JsonPayloadError, req: &HttpRequest) -> actix_web::Error {
    json_rejection(err, body_limit(req)).render(req)
}

fn bad_request(err: &impl std::fmt::Display, req: &HttpRequest) -> actix_web::Error {
    Rejection::BadRequest(err.to_string()).render(req)
}

async fn not_found(req: HttpRequest) -> actix_web::HttpResponse {
    Rejection::NotFound {
        method: req.method().to_string(),
        path: req.path().to_owned(),
    }
    .render(&req)
    .error_response()
}

/// The safety net behind every handler: an error response that is not already JSON
/// (actix's own 405 for a known path, a plain-text extractor error, a payload error)
/// is re-rendered in the JSON format of the path's API.
fn json_errors_only<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (req, res) = res.into_parts();
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let rejection = match status.as_u16() {
        404 => Rejection::NotFound { method, path },
        405 => Rejection::MethodNotAllowed { method, path },
        413 => Rejection::TooLarge {
            limit: body_limit(&req),
        },
        500.. => Rejection::Internal(
            res.error()
                .map_or_else(|| status.to_string(), ToString::to_string),
        ),
        _ => Rejection::BadRequest(
            res.error()
                .map_or_else(|| status.to_string(), ToString::to_string),
        ),
    };
    let rendered = rejection.render(&req).error_response();
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, rendered).map_into_right_body(),
    ))
}

/// Runs the server until SIGINT/SIGTERM, then stops accepting, lets in-flight requests
/// finish and closes the database pools.
pub async fn serve(state: AppState) -> anyhow::Result<()> {
    let db = state.db.clone();
    let running = bind(state)?;
    tracing::info!(addr = %running.addr, "listening");
    running.server.await?;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}
