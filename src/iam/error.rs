//! IAM errors: the gateway's 401 body, and Keystone's shape for the IAM endpoints.

use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError};
use base64::Engine;
use serde::Serialize;

use crate::error::Rejection;
use crate::telemetry::RequestId;

/// Why a request was refused before it reached an area's rules.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    /// No usable credential; rendered as API Gateway renders it, for both APIs.
    #[error("Incorrect IAM authentication information: {reason}")]
    Unauthorized { reason: String, request_id: String },
    /// A known caller without the action; each area renders its own 403 body.
    #[error("no permission to perform action {action} on resource {resource}")]
    Forbidden { action: String, resource: String },
}

#[derive(Serialize)]
struct GatewayBody<'a> {
    error_msg: String,
    error_code: &'a str,
    request_id: &'a str,
}

impl AuthError {
    pub fn unauthorized(req: &HttpRequest, reason: impl Into<String>) -> Self {
        AuthError::Unauthorized {
            reason: reason.into(),
            request_id: req
                .extensions()
                .get::<RequestId>()
                .map(|r| r.0.clone())
                .unwrap_or_default(),
        }
    }

    pub fn status_code(&self) -> StatusCode {
        match self {
            AuthError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            AuthError::Forbidden { .. } => StatusCode::FORBIDDEN,
        }
    }

    /// For paths outside both APIs, where no area format applies.
    pub fn gateway_response_error(self) -> actix_web::Error {
        actix_web::error::InternalError::from_response(self.to_string(), self.gateway_response())
            .into()
    }

    /// The API Gateway body (`error_msg`, `error_code`, `request_id`) used for 401s.
    pub fn gateway_response(&self) -> HttpResponse {
        let request_id = match self {
            AuthError::Unauthorized { request_id, .. } => request_id.as_str(),
            AuthError::Forbidden { .. } => "",
        };
        HttpResponse::build(self.status_code()).json(GatewayBody {
            error_msg: self.to_string(),
            error_code: "APIGW.0301",
            request_id,
        })
    }
}

/// Stands in for the real service's encrypted authorization context: an opaque,
/// deterministic token that still lets a curious user see what was refused.
pub fn encoded_authorization_message(action: &str, resource: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("action={action};resource={resource}"))
}

/// Errors of the IAM endpoints themselves, in Keystone's shape
/// (`{"error":{"code":401,"message":…,"title":…}}`), which the Huawei SDK also parses.
#[derive(Debug, thiserror::Error)]
pub enum IamError {
    #[error("{0}")]
    BadRequest(String),
    #[error("The username or password is wrong.")]
    WrongPassword,
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("request body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("{0}")]
    Auth(#[from] AuthError),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("too many logins at once; retry later")]
    Busy,
    #[error("too many logins from this address; retry in a minute")]
    Throttled,
    #[error("too many wrong passwords for this user; retry in at most {0} seconds")]
    Locked(i64),
    #[error("service unavailable")]
    Unavailable(String),
    #[error("internal server error")]
    Internal(String),
}

crate::kit::from_sqlx_error!(IamError);

impl From<Rejection> for IamError {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::NotFound { method, path } => {
                IamError::NotFound(format!("no route for {method} {path}"))
            }
            Rejection::MethodNotAllowed { method, path } => {
                IamError::MethodNotAllowed(format!("{method} is not allowed on {path}"))
            }
            Rejection::BadRequest(why) => IamError::BadRequest(format!("invalid request: {why}")),
            Rejection::TooLarge { limit } => IamError::TooLarge(limit),
            Rejection::UnsupportedMediaType { content_type } => IamError::UnsupportedMediaType(
                format!("a JSON body must not be sent as {content_type}"),
            ),
            Rejection::Internal(why) => IamError::Internal(why),
        }
    }
}

#[derive(Serialize)]
struct KeystoneError<'a> {
    error: KeystoneErrorInner<'a>,
}

#[derive(Serialize)]
struct KeystoneErrorInner<'a> {
    code: u16,
    message: String,
    title: &'a str,
}

impl ResponseError for IamError {
    fn status_code(&self) -> StatusCode {
        match self {
            IamError::BadRequest(_) => StatusCode::BAD_REQUEST,
            IamError::WrongPassword => StatusCode::UNAUTHORIZED,
            IamError::NotFound(_) => StatusCode::NOT_FOUND,
            IamError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            IamError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            IamError::Auth(e) => e.status_code(),
            IamError::Busy | IamError::Throttled | IamError::Locked(_) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            IamError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            IamError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            IamError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            IamError::Auth(e @ AuthError::Unauthorized { .. }) => return e.gateway_response(),
            IamError::Internal(e) | IamError::Unavailable(e) => {
                tracing::error!(error = %e, "request failed");
            }
            _ => {}
        }
        let status = self.status_code();
        HttpResponse::build(status).json(KeystoneError {
            error: KeystoneErrorInner {
                code: status.as_u16(),
                message: self.to_string(),
                title: status.canonical_reason().unwrap_or("Error"),
            },
        })
    }
}

/// The body an HTTP fault rule answers with (`/_cloudtwin/faults`): Keystone's error
/// shape, whose code is the status (a rule's `error_code` has no place in it).
pub fn injected(status: StatusCode, msg: &str) -> HttpResponse {
    HttpResponse::build(status).json(KeystoneError {
        error: KeystoneErrorInner {
            code: status.as_u16(),
            message: msg.to_owned(),
            title: status.canonical_reason().unwrap_or("Error"),
        },
    })
}
