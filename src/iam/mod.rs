//! Identity: accounts, projects, users, access keys, tokens and permissions, and the
//! two ways a caller proves who it is (an IAM token or an SDK-HMAC-SHA256 signature).

pub mod domain;
pub mod routes;
pub mod store;

use std::future::{Ready, ready};

use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use base64::Engine;
use serde::Serialize;
use time::OffsetDateTime;

use crate::config::DemoSettings;
use crate::db::Db;
use crate::error::Rejection;
use crate::telemetry::RequestId;
use domain::{Grants, Name};

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

/// An area whose requests [`routes::authenticate`] guards: its error type renders the
/// refusals (401, 403, a database that is unavailable) in the area's own format.
pub trait Realm: From<AuthError> + From<sqlx::Error> + ResponseError + 'static {
    /// Whether `auth.registry = off` lets callers in without a credential, the tenant
    /// taken from `X-Domain-Name` (the open-source Service Center model).
    const ANONYMOUS_WHEN_REGISTRY_AUTH_IS_OFF: bool = false;
}

impl Realm for IamError {}

pub use routes::authenticate;

/// The authenticated caller of a request, put in place by [`routes::authenticate`].
#[derive(Debug, Clone)]
pub struct Caller {
    /// `None` for the registry with auth off.
    pub user_id: Option<String>,
    pub domain_id: Option<String>,
    /// The domain's name: the tenant key of registry rows.
    pub domain: String,
    /// The project SMS resources are scoped to (token scope, `X-Project-Id`, or the
    /// domain's first project).
    pub project_id: Option<String>,
    pub grants: Grants,
}

impl Caller {
    pub fn require(&self, action: &str) -> Result<(), AuthError> {
        if self.grants.allows(action) {
            return Ok(());
        }
        let service = action.split(':').next().unwrap_or("*");
        let resource = format!(
            "{service}:*:{}:*",
            self.domain_id.as_deref().unwrap_or(&self.domain)
        );
        Err(AuthError::Forbidden {
            action: action.to_owned(),
            resource,
        })
    }
}

impl FromRequest for Caller {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let caller = req.extensions().get::<Caller>().cloned();
        // Only a handler mounted outside every authenticated scope can get here; the
        // gateway's 401 body is the same in every area.
        ready(caller.ok_or_else(|| {
            AuthError::unauthorized(req, "x-auth-token not found").gateway_response_error()
        }))
    }
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
    #[error("service unavailable")]
    Unavailable(String),
    #[error("internal server error")]
    Internal(String),
}

impl From<sqlx::Error> for IamError {
    fn from(e: sqlx::Error) -> Self {
        if crate::db::is_unavailable(&e) {
            IamError::Unavailable(e.to_string())
        } else {
            IamError::Internal(e.to_string())
        }
    }
}

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

/// Failures of the `cloudtwin iam` commands and of the demo bootstrap.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Missing(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// The demo account as printed at start.
#[derive(Debug, Clone, Serialize)]
pub struct KeyPair {
    pub access: String,
    pub secret: String,
    pub project_id: String,
    pub domain_id: String,
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Creates the demo domain, project, user (holding every action) and key on first start.
/// Returns the demo key pair either way.
pub async fn ensure_demo(db: &Db, demo: &DemoSettings) -> Result<KeyPair, AdminError> {
    // Argon2 dominates start-up; hash only when the demo user has to be created. (Should
    // it vanish in between, the empty hash fails the users table's CHECK, loudly.)
    let hash = if store::user_exists(db.reader(), &demo.domain, &demo.user).await? {
        String::new()
    } else {
        domain::hash_password(&demo.password).map_err(AdminError::Invalid)?
    };
    db.write(async |conn| ensure_demo_in(conn, demo, &hash).await)
        .await
}

/// [`ensure_demo`] inside the caller's write transaction (the admin reset empties the
/// database and re-creates the demo account in one transaction); `hash` is the demo
/// password's hash, computed before the transaction because Argon2 is slow.
pub async fn ensure_demo_in(
    conn: &mut sqlx::SqliteConnection,
    demo: &DemoSettings,
    hash: &str,
) -> Result<KeyPair, AdminError> {
    let now = now();
    let domain_id = store::ensure_domain(&mut *conn, &demo.domain, now).await?;
    let project_id = store::ensure_project(&mut *conn, &domain_id, &demo.project, now).await?;
    // Decided by the user, not the domain: `iam create-user --domain demo` before the
    // first start must not leave the printed demo credentials unusable. An existing demo
    // user is left as it is (its password or grants may have been changed on purpose).
    if store::user_id(&mut *conn, &domain_id, &demo.user)
        .await?
        .is_none()
    {
        let user_id = store::insert_user(&mut *conn, &domain_id, &demo.user, hash, now).await?;
        store::grant(&mut *conn, &user_id, "*").await?;
        if store::key_user(&mut *conn, &demo.access_key)
            .await?
            .is_none()
        {
            store::insert_key(
                &mut *conn,
                &demo.access_key,
                &demo.secret_key,
                &user_id,
                now,
            )
            .await?;
        }
    }
    Ok(KeyPair {
        access: demo.access_key.clone(),
        secret: demo.secret_key.clone(),
        project_id,
        domain_id,
    })
}

/// Creates a user (and its domain and project if missing) holding no actions; an
/// existing user gets the new password.
pub async fn create_user(
    db: &Db,
    domain: &str,
    name: &str,
    password: &str,
    project: &str,
) -> Result<(), AdminError> {
    let domain = Name::parse("domain", domain).map_err(AdminError::Invalid)?;
    let name = Name::parse("user name", name).map_err(AdminError::Invalid)?;
    let project = Name::parse("project", project).map_err(AdminError::Invalid)?;
    if password.is_empty() {
        return Err(AdminError::Invalid("password must not be empty".into()));
    }
    let hash = domain::hash_password(password).map_err(AdminError::Invalid)?;
    db.write(async |conn| {
        let now = now();
        let domain_id = store::ensure_domain(&mut *conn, domain.as_str(), now).await?;
        store::ensure_project(&mut *conn, &domain_id, project.as_str(), now).await?;
        match store::user_id(&mut *conn, &domain_id, name.as_str()).await? {
            Some(user_id) => store::set_password(&mut *conn, &user_id, &hash).await?,
            None => {
                store::insert_user(&mut *conn, &domain_id, name.as_str(), &hash, now).await?;
            }
        }
        Ok(())
    })
    .await
}

async fn find_user(
    conn: &mut sqlx::SqliteConnection,
    domain: &str,
    user: &str,
) -> Result<(String, String), AdminError> {
    let domain_id = store::domain_id(&mut *conn, domain)
        .await?
        .ok_or_else(|| AdminError::Missing(format!("no domain named {domain:?}")))?;
    let user_id = store::user_id(&mut *conn, &domain_id, user)
        .await?
        .ok_or_else(|| AdminError::Missing(format!("no user {user:?} in domain {domain:?}")))?;
    Ok((domain_id, user_id))
}

/// Issues a new AK/SK pair for a user.
pub async fn create_key(db: &Db, domain: &str, user: &str) -> Result<KeyPair, AdminError> {
    db.write(async |conn| {
        let (domain_id, user_id) = find_user(&mut *conn, domain, user).await?;
        let project_id: String = store::first_project(&mut *conn, &domain_id)
            .await?
            .ok_or_else(|| AdminError::Missing(format!("domain {domain:?} has no project")))?;
        let (access, secret) = domain::new_access_key();
        store::insert_key(&mut *conn, &access, &secret, &user_id, now()).await?;
        Ok(KeyPair {
            access,
            secret,
            project_id,
            domain_id,
        })
    })
    .await
}

pub async fn grant(db: &Db, domain: &str, user: &str, action: &str) -> Result<(), AdminError> {
    let action = domain::parse_action(action).map_err(AdminError::Invalid)?;
    db.write(async |conn| {
        let (_, user_id) = find_user(&mut *conn, domain, user).await?;
        store::grant(&mut *conn, &user_id, &action).await?;
        Ok(())
    })
    .await
}

/// Returns whether the user held the action.
pub async fn revoke(db: &Db, domain: &str, user: &str, action: &str) -> Result<bool, AdminError> {
    db.write(async |conn| {
        let (_, user_id) = find_user(&mut *conn, domain, user).await?;
        Ok(store::revoke(&mut *conn, &user_id, action).await?)
    })
    .await
}
