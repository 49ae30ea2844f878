//! Errors that arise before a request reaches an area's handler (unknown routes,
//! unparsable bodies, oversized bodies) or outside any area, rendered in the JSON
//! format of the API the path belongs to.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;

use crate::iam::{AuthError, IamError};
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

/// A refusal that is the same in every area, only worded in that area's format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    NotFound { method: String, path: String },
    MethodNotAllowed { method: String, path: String },
    BadRequest(String),
    TooLarge { limit: usize },
    Internal(String),
}

impl Rejection {
    /// Renders the rejection in the format of the area that `req`'s path belongs to.
    pub fn render(self, req: &HttpRequest) -> actix_web::Error {
        match Area::of(req.path()) {
            Area::Iam => IamError::from(self).into(),
            Area::Sms => SmsError::from(self).into(),
            Area::Registry => RegistryError::from(self).into(),
            Area::Service => ServiceError::from(self).into(),
        }
    }
}

/// Renders a database failure met outside a handler (while authenticating) in the
/// format of the area `req`'s path belongs to: 503 when the file is unavailable.
pub fn render_db(req: &HttpRequest, err: sqlx::Error) -> actix_web::Error {
    match Area::of(req.path()) {
        Area::Iam => IamError::from(err).into(),
        Area::Sms => SmsError::from(err).into(),
        Area::Registry => RegistryError::from(err).into(),
        Area::Service => ServiceError::from_db(err).into(),
    }
}

/// Renders an authentication failure in the format of the area `req`'s path belongs to.
pub fn render_auth(req: &HttpRequest, err: AuthError) -> actix_web::Error {
    match Area::of(req.path()) {
        Area::Iam => IamError::from(err).into(),
        Area::Sms => SmsError::from(err).into(),
        Area::Registry => RegistryError::from(err).into(),
        Area::Service => err.gateway_response_error(),
    }
}

/// Errors of cloudtwin's own endpoints (`/health`, `/ready`, `/_cloudtwin/...`).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Rejected(String, StatusCode),
    #[error("database unavailable: {0}")]
    Unavailable(String),
}

impl ServiceError {
    /// A database failure on cloudtwin's own routes: 503 when the file is unwritable or
    /// locked (it passes), 500 otherwise; the detail goes to the log, not the client.
    pub fn from_db(err: sqlx::Error) -> Self {
        tracing::error!(error = %err, "database failure");
        if crate::db::is_unavailable(&err) {
            ServiceError::Unavailable("the database is not available".into())
        } else {
            ServiceError::Rejected(
                "internal server error".into(),
                StatusCode::INTERNAL_SERVER_ERROR,
            )
        }
    }
}

impl From<Rejection> for ServiceError {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::NotFound { method, path } => ServiceError::Rejected(
                format!("no route for {method} {path}"),
                StatusCode::NOT_FOUND,
            ),
            Rejection::MethodNotAllowed { method, path } => ServiceError::Rejected(
                format!("{method} is not allowed on {path}"),
                StatusCode::METHOD_NOT_ALLOWED,
            ),
            Rejection::BadRequest(why) => ServiceError::Rejected(why, StatusCode::BAD_REQUEST),
            Rejection::TooLarge { limit } => ServiceError::Rejected(
                format!("request body is larger than {limit} bytes"),
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
            Rejection::Internal(why) => {
                tracing::error!(error = %why, "request failed");
                ServiceError::Rejected(
                    "internal server error".into(),
                    StatusCode::INTERNAL_SERVER_ERROR,
                )
            }
        }
    }
}

#[derive(Serialize)]
struct ServiceErrorBody<'a> {
    error: &'a str,
    message: String,
}

impl ResponseError for ServiceError {
    fn status_code(&self) -> StatusCode {
        match self {
            ServiceError::Rejected(_, status) => *status,
            ServiceError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let error = match self {
            ServiceError::Rejected(..) => self.status_code().canonical_reason().unwrap_or("error"),
            ServiceError::Unavailable(_) => "unavailable",
        };
        HttpResponse::build(self.status_code()).json(ServiceErrorBody {
            error,
            message: self.to_string(),
        })
    }
}

/// An unexpected failure outside any handler: logged, then a 500 in the path's format
/// (through the JSON safety net in `startup`).
pub fn internal(err: impl std::fmt::Display) -> actix_web::Error {
    actix_web::error::ErrorInternalServerError(err.to_string())
}
