//! The `/_cloudtwin` scope: every route in it passes the admin guard first.

use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::{ResetError, SnapshotError};
use crate::error::{Rejection, TwinError};
use crate::kit::Replies;
use crate::seed::{Fixture, FixtureError};
use crate::state::AppState;
use utoipa::IntoParams;

/// The routes of the `/_cloudtwin` scope, which startup mounts behind [`guard`].
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/snapshot").post(snapshot))
        .service(web::resource("/reset").post(reset))
        .service(web::resource("/demo-token").post(demo_token));
}

/// The admin-token check in front of every `/_cloudtwin` route. Refusals are answered as responses (not Err) so that the outer middleware still
/// logs them and adds X-Request-Id.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        let err = crate::error::internal("application state missing");
        return Ok(req.error_response(err).map_into_right_body());
    };
    if let Err(refusal) = super::same_site(req.request(), &state.settings) {
        return Ok(req.error_response(refusal).map_into_right_body());
    }
    // The console's login form is how a browser, which cannot send the header, gets in.
    if req.path() == super::LOGIN_PATH {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let admin = &state.settings.admin;
    let presented = req.headers().get(super::TOKEN_HEADER).map(|v| v.as_bytes());
    let cookie = req.cookie(super::COOKIE);
    let allowed =
        super::authorize(admin, state.settings.listen, presented).or_else(|refusal| match cookie {
            Some(c) if super::cookie_matches(admin, c.value()) => Ok(()),
            _ => Err(refusal),
        });
    match allowed {
        Ok(()) => Ok(next.call(req).await?.map_into_left_body()),
        // A browser opening a console page is sent to the login form instead.
        Err(_)
            if req.method() == actix_web::http::Method::GET
                && req.path().starts_with("/_cloudtwin/console/")
                && !admin.token.is_empty() =>
        {
            let to_login = HttpResponse::SeeOther()
                .insert_header((actix_web::http::header::LOCATION, super::LOGIN_PATH))
                .finish();
            Ok(req.into_response(to_login).map_into_right_body())
        }
        Err(refusal) => Ok(req.error_response(refusal).map_into_right_body()),
    }
}

fn internal(e: impl std::fmt::Display) -> TwinError {
    Rejection::Internal(e.to_string()).into()
}

fn db_error(e: sqlx::Error) -> TwinError {
    TwinError::from_db(e)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SnapshotQuery {
    /// file name inside snapshots/ beside the database
    name: Option<String>,
}

/// `POST /_cloudtwin/snapshot[?name=FILE]`: a consistent copy in `snapshots/` beside
/// the database file; 201 with its path and size.
#[utoipa::path(
    post,
    path = "/_cloudtwin/snapshot",
    tag = "cloudtwin admin",
    operation_id = "admin_snapshot",
    params(SnapshotQuery),
    responses((status = 201, description = "Created: the snapshot's path and size", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn snapshot(
    state: web::Data<AppState>,
    query: web::Query<SnapshotQuery>,
) -> Result<HttpResponse, TwinError> {
    Ok(HttpResponse::Created().json(take_snapshot(&state, query.name.as_deref()).await?))
}

/// A consistent copy of the live database in `snapshots/`; the route and the console's
/// admin form both land here.
pub async fn take_snapshot(
    state: &AppState,
    name: Option<&str>,
) -> Result<super::SnapshotInfo, TwinError> {
    let name = super::snapshot_name(name)?;
    let out = super::snapshot_dir(state.db.path()).join(name);
    let busy = Duration::from_millis(state.settings.pool.busy_timeout_ms);
    let info = super::snapshot(state.db.path(), &out, busy)
        .await
        .map_err(|e| match e {
            SnapshotError::Exists(_) => TwinError::Rejected(e.to_string(), StatusCode::CONFLICT),
            SnapshotError::Sqlite { source, .. } => db_error(source),
            other => internal(other),
        })?;
    Ok(info)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ResetQuery {
    /// fixture NAME, read from admin.fixtures_dir/NAME.yaml
    fixture: Option<String>,
}

/// `POST /_cloudtwin/reset[?fixture=NAME]`: empty state, demo account, then the fixture.
#[utoipa::path(
    post,
    path = "/_cloudtwin/reset",
    tag = "cloudtwin admin",
    operation_id = "admin_reset",
    params(ResetQuery),
    responses(Replies)
)]
async fn reset(
    state: web::Data<AppState>,
    registry: web::Data<crate::registry::Model>,
    query: web::Query<ResetQuery>,
) -> Result<HttpResponse, TwinError> {
    let loaded = reset_to(&state, &registry, query.fixture.as_deref()).await?;
    Ok(HttpResponse::Ok().json(json!({
        "status": "reset",
        "fixture": query.fixture,
        "loaded": loaded,
    })))
}

/// Empties the state and loads the named fixture, then brings the copies in memory in
/// step; the route and the console's admin form both land here.
pub async fn reset_to(
    state: &AppState,
    registry: &crate::registry::Model,
    fixture: Option<&str>,
) -> Result<crate::seed::Summary, TwinError> {
    let fixture = match fixture {
        Some(name) => {
            let path = super::fixture_path(&state.settings.admin, name)?;
            let fixture = web::block(move || Fixture::read(&path))
                .await
                .map_err(internal)?
                .map_err(|e| TwinError::Rejected(e.to_string(), StatusCode::BAD_REQUEST))?;
            Some(fixture)
        }
        None => None,
    };
    let loaded = super::reset(&state.db, &state.settings, fixture)
        .await
        .map_err(|e| match e {
            ResetError::Fixture(FixtureError::Db { source, .. }) => db_error(source),
            ResetError::Fixture(e) => TwinError::Rejected(e.to_string(), StatusCode::BAD_REQUEST),
            ResetError::Demo(e) => internal(e),
        })?;
    // The fault rules and the registry went with the rest; their copies in memory
    // follow the committed state before the answer.
    state.faults.reload().await.map_err(db_error)?;
    registry.reload(&state.db).await.map_err(internal)?;
    Ok(loaded)
}

/// `POST /_cloudtwin/demo-token`: a token of the demo user for its project, for the API
/// explorer's one-click button (a browser page cannot run the password flow without
/// the password in its source). 404 when the demo account is off.
#[utoipa::path(
    post,
    path = "/_cloudtwin/demo-token",
    tag = "cloudtwin admin",
    operation_id = "admin_demo_token",
    responses(Replies)
)]
async fn demo_token(state: web::Data<AppState>) -> Result<HttpResponse, TwinError> {
    let demo = &state.settings.demo;
    if !demo.enabled {
        return Err(TwinError::Rejected(
            "the demo account is off (demo.enabled)".into(),
            StatusCode::NOT_FOUND,
        ));
    }
    let issued = state.clock.now_ms().div_euclid(1000);
    let made = crate::iam::demo_token(&state.db, demo, issued, state.settings.auth.token_ttl_secs)
        .await
        .map_err(|e| match e {
            crate::iam::AccountError::Db(e) => db_error(e),
            crate::iam::AccountError::Missing(why) => {
                TwinError::Rejected(why, StatusCode::NOT_FOUND)
            }
            other => internal(other),
        })?;
    Ok(HttpResponse::Created().json(json!({
        "token": made.token,
        "domain": demo.domain,
        "user": demo.user,
        "project": demo.project,
        "project_id": made.project_id,
        "expires_at_ms": made.expires_at * 1000,
    })))
}

/// The admin routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(snapshot, reset, demo_token))]
pub struct Api;
