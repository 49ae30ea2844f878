//! Identity: accounts, projects, users, access keys, tokens and permissions, and the
//! two ways a caller proves who it is (an IAM token or an SDK-HMAC-SHA256 signature).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use base64::Engine;
use serde::Serialize;

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
    pub fn status_code(&self) -> StatusCode {
        match self {
            AuthError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            AuthError::Forbidden { .. } => StatusCode::FORBIDDEN,
        }
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
