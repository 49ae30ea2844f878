//! SMS v3 errors, rendered as Huawei Cloud renders them (`error_code` / `error_msg`).
//!
//! Codes follow the v3 API reference per operation (SMS.6010/6011 for bad bodies, 7602
//! and 7703 for unknown servers and tasks, 7714/7715 for actions, 7719 for refused
//! deletes); where v3 documents none a v1 code stands in, as the README lists.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::error::Rejection;
use crate::iam::AuthError;

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("{msg}")]
    InvalidParam { msg: String, params: Vec<String> },
    #[error("{what} not found")]
    NotFound {
        what: &'static str,
        ids: Vec<String>,
    },
    #[error(
        "the migration task cannot be deleted while its source server is connected and running"
    )]
    NotDeletable { blocked: Vec<String> },
    #[error("{msg}")]
    IllegalTransition { code: &'static str, msg: String },
    #[error("source server does not exist")]
    SourceMissing { id: String },
    #[error("{msg}")]
    Conflict { msg: String, param: &'static str },
    /// A refusal with the code the v3 API reference documents for the operation.
    #[error("{msg}")]
    Documented {
        status: StatusCode,
        code: &'static str,
        msg: String,
        params: Vec<String>,
    },
    #[error("{0}")]
    Auth(#[from] AuthError),
    #[error("the API does not exist or has not been published in the environment")]
    RouteNotFound,
    #[error("HTTP method {0} is not supported by this API")]
    MethodNotAllowed(String),
    #[error("request body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("database read or write error")]
    Unavailable(String),
    #[error("internal server error")]
    Internal(String),
}

impl From<Rejection> for SmsError {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::NotFound { .. } => SmsError::RouteNotFound,
            Rejection::MethodNotAllowed { method, .. } => SmsError::MethodNotAllowed(method),
            Rejection::BadRequest(msg) => SmsError::Documented {
                status: StatusCode::BAD_REQUEST,
                code: "SMS.6010",
                msg: format!("invalid request body: {msg}"),
                params: vec!["body".into()],
            },
            Rejection::TooLarge { limit } => SmsError::TooLarge(limit),
            Rejection::UnsupportedMediaType { content_type } => SmsError::Documented {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                code: "SMS.6010",
                msg: format!("a JSON body must not be sent as {content_type}"),
                params: vec!["Content-Type".into()],
            },
            Rejection::Internal(why) => SmsError::Internal(why),
        }
    }
}

crate::kit::from_sqlx_error!(SmsError);

impl SmsError {
    pub fn invalid(param: &str, msg: impl Into<String>) -> Self {
        SmsError::InvalidParam {
            msg: msg.into(),
            params: vec![param.to_owned()],
        }
    }

    /// 400 with the operation's documented code, naming the offending field.
    pub fn bad(code: &'static str, param: &str, msg: impl Into<String>) -> Self {
        SmsError::Documented {
            status: StatusCode::BAD_REQUEST,
            code,
            msg: msg.into(),
            params: vec![param.to_owned()],
        }
    }

    /// 404 with the operation's documented code, naming the id that was not found.
    pub fn missing(code: &'static str, what: &str, id: &str) -> Self {
        SmsError::Documented {
            status: StatusCode::NOT_FOUND,
            code,
            msg: format!("{what} {id} does not exist"),
            params: vec![id.to_owned()],
        }
    }

    /// The same refusal under the code a particular operation documents for bad input
    /// (a batch delete's SMS.2031/2032, say); other errors pass unchanged.
    pub fn recode(self, bad_json: &'static str, bad_field: &'static str) -> Self {
        match self {
            SmsError::Documented {
                status,
                code: "SMS.6010",
                msg,
                params,
            } => SmsError::Documented {
                status,
                code: bad_json,
                msg,
                params,
            },
            SmsError::InvalidParam { msg, params } => SmsError::Documented {
                status: StatusCode::BAD_REQUEST,
                code: bad_field,
                msg,
                params,
            },
            other => other,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            SmsError::InvalidParam { .. } => "SMS.6011",
            SmsError::NotFound { what, .. } => match *what {
                "migration task" => "SMS.7703",
                "source server" => "SMS.7602",
                _ => "SMS.1002",
            },
            SmsError::NotDeletable { .. } => "SMS.7719",
            SmsError::IllegalTransition { code, .. } => code,
            SmsError::SourceMissing { .. } => "SMS.7602",
            SmsError::Conflict { .. } => "SMS.1003",
            SmsError::Documented { code, .. } => code,
            SmsError::Auth(AuthError::Forbidden { .. }) => "SMS.9004",
            SmsError::Auth(AuthError::Unauthorized { .. }) => "APIGW.0301",
            SmsError::RouteNotFound => "APIGW.0101",
            SmsError::MethodNotAllowed(_) => "SMS.2003",
            SmsError::TooLarge(_) => "SMS.2004",
            SmsError::Unavailable(_) => "SMS.6301",
            SmsError::Internal(_) => "SMS.2007",
        }
    }

    fn params(&self) -> Vec<String> {
        match self {
            SmsError::InvalidParam { params, .. } => params.clone(),
            SmsError::NotFound { ids, .. } => ids.clone(),
            SmsError::NotDeletable { blocked } => blocked.clone(),
            SmsError::SourceMissing { id } => vec![id.clone()],
            SmsError::Conflict { param, .. } => vec![(*param).to_owned()],
            SmsError::Documented { params, .. } => params.clone(),
            _ => Vec::new(),
        }
    }
}

#[derive(Serialize)]
struct Detail<'a> {
    error_code: &'a str,
    error_msg: &'a str,
}

/// The 403 body, field for field as in the DeleteTasks page.
#[derive(Serialize)]
struct ForbiddenBody<'a> {
    error_code: &'a str,
    error_msg: String,
    encoded_authorization_message: String,
    error_param: [&'a str; 1],
    details: [Detail<'a>; 1],
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error_code: &'a str,
    error_msg: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    error_param: Vec<String>,
}

impl ResponseError for SmsError {
    fn status_code(&self) -> StatusCode {
        match self {
            SmsError::InvalidParam { .. }
            | SmsError::NotDeletable { .. }
            | SmsError::IllegalTransition { .. }
            | SmsError::SourceMissing { .. }
            | SmsError::Conflict { .. } => StatusCode::BAD_REQUEST,
            SmsError::NotFound { .. } | SmsError::RouteNotFound => StatusCode::NOT_FOUND,
            SmsError::Documented { status, .. } => *status,
            SmsError::Auth(e) => e.status_code(),
            SmsError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            SmsError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            SmsError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            SmsError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            SmsError::Auth(e @ AuthError::Unauthorized { .. }) => return e.gateway_response(),
            SmsError::Auth(AuthError::Forbidden { action, resource }) => {
                let what = format!(
                    "You do not have permission to perform action {action} on resource {resource}."
                );
                return HttpResponse::Forbidden().json(ForbiddenBody {
                    error_code: "SMS.9004",
                    error_msg: format!(
                        "The current account does not have the permission to execute policy. {what}"
                    ),
                    encoded_authorization_message: crate::iam::encoded_authorization_message(
                        action, resource,
                    ),
                    error_param: [&what],
                    details: [Detail {
                        error_code: "SMS.9004",
                        error_msg: &what,
                    }],
                });
            }
            SmsError::Internal(e) | SmsError::Unavailable(e) => {
                tracing::error!(error = %e, code = self.code(), "request failed");
            }
            _ => {}
        }
        HttpResponse::build(self.status_code()).json(ErrorBody {
            error_code: self.code(),
            error_msg: self.to_string(),
            error_param: self.params(),
        })
    }
}

impl crate::iam::Realm for SmsError {}

/// The body an HTTP fault rule answers with (`/_cloudtwin/faults`): SMS's error shape
/// with the rule's code, or SMS.2007 (internal error) for a 5xx and SMS.6011 (invalid
/// parameter) for a 4xx when the rule names none.
pub fn injected(status: StatusCode, code: Option<&str>, msg: &str) -> HttpResponse {
    let fallback = if status.is_server_error() {
        "SMS.2007"
    } else {
        "SMS.6011"
    };
    HttpResponse::build(status).json(ErrorBody {
        error_code: code.unwrap_or(fallback),
        error_msg: msg.to_owned(),
        error_param: Vec::new(),
    })
}
