//! What the other areas see of an authenticated request.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpMessage, HttpRequest, ResponseError};

use super::domain::Grants;
use super::error::{AuthError, IamError};
use crate::error::Rejection;

/// An area whose requests [`routes::authenticate`] guards: its error type renders the
/// refusals (401, 403, a database that is unavailable) in the area's own format.
pub trait Realm:
    From<AuthError> + From<sqlx::Error> + From<Rejection> + ResponseError + 'static
{
    /// Whether `auth.registry = off` lets callers in without a credential, the tenant
    /// taken from `X-Domain-Name` (the open-source Service Center model).
    const ANONYMOUS_WHEN_REGISTRY_AUTH_IS_OFF: bool = false;
}

impl Realm for IamError {}

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
    /// Who, as the journal records it: the access key of a signed request or the token's
    /// user name; `None` for the registry with auth off.
    pub name: Option<String>,
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
