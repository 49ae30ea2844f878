//! The edge of the application: where a request that no area's handler answered, or
//! that failed before reaching one (unknown route, bad path or query, unparsable or
//! oversized body), gets its JSON error in the format of the API its path belongs to.
//! The only module that knows every area's error type, so the HTTP fault rules answer
//! here too (`faults.rs`).

pub mod faults;

use actix_web::HttpRequest;
use actix_web::dev::ServiceResponse;
use actix_web::error::JsonPayloadError;
use actix_web::middleware::ErrorHandlerResponse;

use crate::error::{Rejection, TwinError};
use crate::extract::{body_limit, json_rejection};
use crate::iam::IamError;
use crate::registry::error::RegistryError;
use crate::sms::error::SmsError;

/// Which emulated API a path belongs to; it decides the error body format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// `/v3/auth/...` and `/v3/projects`: IAM (Keystone's `{"error":{...}}`).
    Iam,
    /// The rest of `/v3/...`: SMS (`error_code` / `error_msg`).
    Sms,
    /// `/v4/...`: the ServiceComb registry (`errorCode` / `errorMessage` / `detail`).
    Registry,
    /// Everything else: health, admin and unknown top-level paths.
    Service,
}

impl Area {
    pub fn of(path: &str) -> Self {
        if path.starts_with("/v3/auth/")
            || path == "/v3/projects"
            || path.starts_with("/v3/projects/")
        {
            Area::Iam
        } else if path == "/v3" || path.starts_with("/v3/") {
            Area::Sms
        } else if path == "/v4" || path.starts_with("/v4/") {
            Area::Registry
        } else {
            Area::Service
        }
    }
}

/// Renders the rejection in the format of the area that `req`'s path belongs to.
pub fn render(rejection: Rejection, req: &HttpRequest) -> actix_web::Error {
    match Area::of(req.path()) {
        Area::Iam => IamError::from(rejection).into(),
        Area::Sms => SmsError::from(rejection).into(),
        Area::Registry => RegistryError::from(rejection).into(),
        Area::Service => TwinError::from(rejection).into(),
    }
}

/// The answer of an HTTP fault rule that responds: the error body of the path's API
/// (cloudtwin's own for other paths, which rules do not reach).
pub fn injected(
    path: &str,
    status: actix_web::http::StatusCode,
    code: Option<&str>,
    msg: &str,
) -> actix_web::HttpResponse {
    match Area::of(path) {
        Area::Iam => crate::iam::injected(status, msg),
        Area::Sms => crate::sms::error::injected(status, code, msg),
        Area::Registry => crate::registry::error::injected(status, code, msg),
        Area::Service => {
            actix_web::ResponseError::error_response(&TwinError::Rejected(msg.to_owned(), status))
        }
    }
}

pub fn json_error(err: JsonPayloadError, req: &HttpRequest) -> actix_web::Error {
    render(json_rejection(err, body_limit(req)), req)
}

pub fn bad_request(err: &impl std::fmt::Display, req: &HttpRequest) -> actix_web::Error {
    render(Rejection::BadRequest(err.to_string()), req)
}

pub async fn not_found(req: HttpRequest) -> actix_web::HttpResponse {
    let rejection = Rejection::NotFound {
        method: req.method().to_string(),
        path: req.path().to_owned(),
    };
    render(rejection, &req).error_response()
}

/// The safety net behind every handler: an error response that is not already JSON
/// (actix's own 405 for a known path, a plain-text extractor error, a payload error)
/// is re-rendered in the JSON format of the path's API.
pub fn json_errors_only<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        // The console's own pages (a "not found" among them) are HTML on purpose.
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
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
    let rendered = render(rejection, &req).error_response();
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, rendered).map_into_right_body(),
    ))
}
