//! `GET`/`POST /_cloudtwin/clock`: read, switch and advance the simulated clock.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::clock::{ClockError, MAX_ADVANCE_SECS, Mode};
use crate::error::TwinError;
use crate::kit::Replies;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/clock").get(show).post(change));
}

#[derive(Serialize, utoipa::ToSchema)]
struct ClockView {
    /// simulated milliseconds since the Unix epoch
    now_ms: i64,
    /// "real" (runs with the wall clock) or "manual" (stands until advanced)
    mode: &'static str,
}

fn view(state: &AppState) -> ClockView {
    ClockView {
        now_ms: state.clock.now_ms(),
        mode: state.clock.mode().as_str(),
    }
}

/// `GET /_cloudtwin/clock`
#[utoipa::path(
    get,
    path = "/_cloudtwin/clock",
    tag = "cloudtwin admin",
    operation_id = "clock_show",
    responses(Replies)
)]
async fn show(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(view(&state))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockChange {
    /// switch to "real" or "manual" first (time does not move)
    pub mode: Option<Mode>,
    /// then move simulated time forward by this many seconds (never backwards)
    pub advance_secs: Option<i64>,
}

/// `POST /_cloudtwin/clock` with `{"mode": …}` and/or `{"advance_secs": N}`.
#[utoipa::path(post, path = "/_cloudtwin/clock", tag = "cloudtwin admin", operation_id = "clock_change", request_body = ClockChange, responses(Replies))]
async fn change(
    state: web::Data<AppState>,
    body: web::Json<ClockChange>,
) -> Result<HttpResponse, TwinError> {
    apply(&state, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view(&state)))
}

/// Switches and advances the clock, then commits what the new time made due; the route
/// and the console's clock form both land here.
pub async fn apply(state: &AppState, change: ClockChange) -> Result<(), TwinError> {
    if change.mode.is_none() && change.advance_secs.is_none() {
        return Err(TwinError::Rejected(
            "give mode (\"real\" or \"manual\") or advance_secs".into(),
            StatusCode::BAD_REQUEST,
        ));
    }
    // Checked before anything changes: a bad advance does not switch the mode either.
    if let Some(secs) = change.advance_secs
        && !(0..=MAX_ADVANCE_SECS).contains(&secs)
    {
        return Err(refused(ClockError::BadAdvance {
            max: MAX_ADVANCE_SECS,
        }));
    }
    if let Some(mode) = change.mode {
        state
            .clock
            .set_mode(&state.db, mode)
            .await
            .map_err(refused)?;
    }
    if let Some(secs) = change.advance_secs {
        state
            .clock
            .advance(&state.db, secs)
            .await
            .map_err(refused)?;
    }
    // Transitions the new time made due are committed before the answer, so that the
    // caller's next read sees the migrations where they now stand.
    crate::sms::engine::catch_up(&state.db, &state.clock)
        .await
        .map_err(|e| match e {
            crate::sms::error::SmsError::Unavailable(_) => {
                TwinError::Unavailable("the database is not available".into())
            }
            other => {
                tracing::error!(error = ?other, "catching the simulation up failed");
                TwinError::Rejected(
                    "internal server error".into(),
                    StatusCode::INTERNAL_SERVER_ERROR,
                )
            }
        })?;
    Ok(())
}

fn refused(e: ClockError) -> TwinError {
    match e {
        ClockError::BadAdvance { .. } => {
            TwinError::Rejected(e.to_string(), StatusCode::BAD_REQUEST)
        }
        ClockError::Db(e) => TwinError::from_db(e),
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(show, change))]
pub struct Api;
