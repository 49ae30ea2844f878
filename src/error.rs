//! The refusals every area words in its own format ([`Rejection`]), and the errors of
//! cloudtwin's own routes. Choosing the format by path happens once, in `edge`; this
//! module knows no area.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// A refusal that is the same in every area, only worded in that area's format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    NotFound {
        method: String,
        path: String,
    },
    MethodNotAllowed {
        method: String,
        path: String,
    },
    BadRequest(String),
    TooLarge {
        limit: usize,
    },
    /// A body sent as one of the content types a browser may send cross-site without
    /// asking first (`text/plain`, a form): refused so that no web page can write.
    UnsupportedMediaType {
        content_type: String,
    },
    Internal(String),
}

/// Errors of cloudtwin's own endpoints (`/health`, `/ready`, `/_cloudtwin/...`).
#[derive(Debug, thiserror::Error)]
pub enum TwinError {
    #[error("{0}")]
    Rejected(String, StatusCode),
    #[error("database unavailable: {0}")]
    Unavailable(String),
}

impl TwinError {
    /// A database failure on cloudtwin's own routes: 503 when the file is unwritable or
    /// locked (it passes), 500 otherwise; the detail goes to the log, not the client.
    pub fn from_db(err: sqlx::Error) -> Self {
        tracing::error!(error = %err, "database failure");
        if crate::db::is_unavailable(&err) {
            TwinError::Unavailable("the database is not available".into())
        } else {
            TwinError::Rejected(
                "internal server error".into(),
                StatusCode::INTERNAL_SERVER_ERROR,
            )
        }
    }
}

impl From<Rejection> for TwinError {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::NotFound { method, path } => TwinError::Rejected(
                format!("no route for {method} {path}"),
                StatusCode::NOT_FOUND,
            ),
            Rejection::MethodNotAllowed { method, path } => TwinError::Rejected(
                format!("{method} is not allowed on {path}"),
                StatusCode::METHOD_NOT_ALLOWED,
            ),
            Rejection::BadRequest(why) => TwinError::Rejected(why, StatusCode::BAD_REQUEST),
            Rejection::UnsupportedMediaType { content_type } => TwinError::Rejected(
                format!("a JSON body must not be sent as {content_type}"),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            Rejection::TooLarge { limit } => TwinError::Rejected(
                format!("request body is larger than {limit} bytes"),
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
            Rejection::Internal(why) => {
                tracing::error!(error = %why, "request failed");
                TwinError::Rejected(
                    "internal server error".into(),
                    StatusCode::INTERNAL_SERVER_ERROR,
                )
            }
        }
    }
}

#[derive(Serialize)]
struct TwinErrorBody<'a> {
    error: &'a str,
    message: String,
}

impl ResponseError for TwinError {
    fn status_code(&self) -> StatusCode {
        match self {
            TwinError::Rejected(_, status) => *status,
            TwinError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let error = match self {
            TwinError::Rejected(..) => self.status_code().canonical_reason().unwrap_or("error"),
            TwinError::Unavailable(_) => "unavailable",
        };
        HttpResponse::build(self.status_code()).json(TwinErrorBody {
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
