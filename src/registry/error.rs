//! Registry errors, rendered as Service Center renders them:
//! `{"errorCode":"400012","errorMessage":"...","detail":"..."}` with `errorCode` a JSON
//! string and `detail` omitted when empty.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::error::Rejection;
use crate::iam::AuthError;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("Invalid parameter(s)")]
    InvalidParams(String),
    #[error("Micro-service already exists")]
    ServiceAlreadyExists(String),
    #[error("Micro-service does not exist")]
    ServiceNotExists(String),
    #[error("Micro-service has deployed instance(s)")]
    DeployedInstance,
    #[error("Schema does not exist")]
    SchemaNotExists(String),
    #[error("Instance does not exist")]
    InstanceNotExists(String),
    #[error("Tag does not exist")]
    TagNotExists(String),
    #[error("Consumer(s) depends on this micro-service")]
    DependedOnConsumer,
    #[error("Micro-service version does not exist")]
    ServiceVersionNotExists(String),
    #[error("{}", auth_message(.0))]
    Auth(#[from] AuthError),
    #[error("Not found")]
    RouteNotFound(String),
    #[error("Method not allowed")]
    MethodNotAllowed(String),
    #[error("Request body too large")]
    TooLarge(usize),
    #[error("Unsupported media type")]
    UnsupportedMediaType(String),
    #[error("Registry service is unavailable")]
    Unavailable(String),
    #[error("Internal server error")]
    Internal(String),
}

fn auth_message(err: &AuthError) -> &'static str {
    match err {
        AuthError::Unauthorized { .. } => "Request unauthorized",
        AuthError::Forbidden { .. } => "Forbidden",
    }
}

impl From<Rejection> for RegistryError {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::NotFound { method, path } => {
                RegistryError::RouteNotFound(format!("no route for {method} {path}"))
            }
            Rejection::MethodNotAllowed { method, path } => {
                RegistryError::MethodNotAllowed(format!("{method} is not allowed on {path}"))
            }
            Rejection::BadRequest(why) => RegistryError::InvalidParams(why),
            Rejection::TooLarge { limit } => RegistryError::TooLarge(limit),
            Rejection::UnsupportedMediaType { content_type } => {
                RegistryError::UnsupportedMediaType(format!(
                    "a JSON body must not be sent as {content_type}"
                ))
            }
            Rejection::Internal(why) => RegistryError::Internal(why),
        }
    }
}

crate::kit::from_sqlx_error!(RegistryError);

impl RegistryError {
    pub fn code(&self) -> u32 {
        match self {
            RegistryError::InvalidParams(_) => 400001,
            RegistryError::ServiceAlreadyExists(_) => 400010,
            RegistryError::ServiceNotExists(_) => 400012,
            RegistryError::DeployedInstance => 400013,
            RegistryError::SchemaNotExists(_) => 400016,
            RegistryError::InstanceNotExists(_) => 400017,
            RegistryError::TagNotExists(_) => 400018,
            RegistryError::DependedOnConsumer => 400023,
            RegistryError::ServiceVersionNotExists(_) => 400026,
            RegistryError::Auth(AuthError::Unauthorized { .. }) => 401002,
            RegistryError::Auth(AuthError::Forbidden { .. }) => 403001,
            RegistryError::RouteNotFound(_) => 404001,
            RegistryError::MethodNotAllowed(_) => 405001,
            RegistryError::TooLarge(_) => 413001,
            RegistryError::UnsupportedMediaType(_) => 415001,
            RegistryError::Unavailable(_) => 503011,
            RegistryError::Internal(_) => 500003,
        }
    }

    pub fn detail(&self) -> String {
        match self {
            RegistryError::InvalidParams(d)
            | RegistryError::ServiceAlreadyExists(d)
            | RegistryError::ServiceNotExists(d)
            | RegistryError::SchemaNotExists(d)
            | RegistryError::InstanceNotExists(d)
            | RegistryError::TagNotExists(d)
            | RegistryError::ServiceVersionNotExists(d)
            | RegistryError::RouteNotFound(d)
            | RegistryError::MethodNotAllowed(d)
            | RegistryError::UnsupportedMediaType(d) => d.clone(),
            RegistryError::DeployedInstance => {
                "Can not delete the service deployed instance(s).".into()
            }
            RegistryError::DependedOnConsumer => {
                "Can not delete this service, other service rely it.".into()
            }
            RegistryError::Auth(AuthError::Forbidden { action, resource }) => {
                format!("no permission to perform action {action} on resource {resource}")
            }
            RegistryError::Auth(e @ AuthError::Unauthorized { .. }) => e.to_string(),
            RegistryError::TooLarge(limit) => format!("request body is larger than {limit} bytes"),
            // Internal details go to the log, not to the client.
            RegistryError::Unavailable(_) | RegistryError::Internal(_) => String::new(),
        }
    }

    /// The per-service text of a batch reply, as Service Center words it:
    /// `message(detail)`, or just `message` when there is no detail.
    pub fn err_message(&self) -> String {
        let detail = self.detail();
        if detail.is_empty() {
            self.to_string()
        } else {
            format!("{self}({detail})")
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    error_code: String,
    error_message: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    detail: String,
}

impl ResponseError for RegistryError {
    fn status_code(&self) -> StatusCode {
        match self {
            RegistryError::Auth(e) => e.status_code(),
            RegistryError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            other => StatusCode::from_u16((other.code() / 1000) as u16)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            RegistryError::Auth(e @ AuthError::Unauthorized { .. }) => return e.gateway_response(),
            RegistryError::Internal(e) | RegistryError::Unavailable(e) => {
                tracing::error!(error = %e, code = self.code(), "request failed");
            }
            _ => {}
        }
        HttpResponse::build(self.status_code()).json(ErrorBody {
            error_code: self.code().to_string(),
            error_message: self.to_string(),
            detail: self.detail(),
        })
    }
}

impl crate::iam::Realm for RegistryError {
    const ANONYMOUS_WHEN_REGISTRY_AUTH_IS_OFF: bool = true;
}

/// The body an HTTP fault rule answers with (`/_cloudtwin/faults`): Service Center's
/// error shape with the rule's code, or 500003 (internal) for a 5xx and 400001 (invalid
/// parameters) for a 4xx when the rule names none.
pub fn injected(status: StatusCode, code: Option<&str>, msg: &str) -> HttpResponse {
    let fallback = if status.is_server_error() {
        "500003"
    } else {
        "400001"
    };
    HttpResponse::build(status).json(ErrorBody {
        error_code: code.unwrap_or(fallback).to_owned(),
        error_message: msg.to_owned(),
        detail: msg.to_owned(),
    })
}
