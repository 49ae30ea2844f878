//! The middleware in front of every SMS and registry route: an IAM token or an
//! SDK-HMAC-SHA256 signature becomes the request's [`Caller`].

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, web};
use time::OffsetDateTime;

use super::super::domain::{self, Grants, SignatureHeader, SignedRequest};
use super::super::{AuthError, Caller, Realm, store};
use crate::config::Switch;
use crate::error::Rejection;
use crate::journal::middleware::Who;
use crate::state::AppState;

/// Authenticates the requests of one area's scope (`E` is that area's error type, which
/// renders the refusals) and stores the [`Caller`] for the handlers. A path that matches
/// no route is not refused: it passes on to get its 404 rather than a 401.
///
/// Whether a route matches is asked only once a request would be refused: the question
/// runs every route's pattern against the path, 5 % of a discovery request's CPU
/// (`perf`, registry auth off) when it was asked first.
pub async fn authenticate<E: Realm>(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        let err = crate::error::internal("application state missing");
        return Ok(req.error_response(err).map_into_right_body());
    };
    let caller = if E::ANONYMOUS_WHEN_REGISTRY_AUTH_IS_OFF
        && state.settings.auth.registry == Switch::Off
    {
        anonymous(req.request())
    } else {
        // Refusals are answered here as responses (not Err) so that the outer
        // middleware still logs them and adds X-Request-Id.
        match identify(&mut req, &state).await {
            Ok(caller) => caller,
            Err(_) if !req.request().resource_map().has_resource(req.path()) => {
                return Ok(next.call(req).await?.map_into_left_body());
            }
            Err(Identify::Refused(err)) => {
                return Ok(req.error_response(E::from(err)).map_into_right_body());
            }
            Err(Identify::Failed(err)) => return Ok(req.error_response(err).map_into_right_body()),
            Err(Identify::Rejected(rejection)) => {
                return Ok(req.error_response(E::from(rejection)).map_into_right_body());
            }
            Err(Identify::Database(err)) => {
                return Ok(req.error_response(E::from(err)).map_into_right_body());
            }
        }
    };
    // The journal's record of who it was: the registry's tenant is the path's project.
    let project = req
        .path()
        .strip_prefix("/v4/")
        .and_then(|rest| rest.split('/').next())
        .map(str::to_owned)
        .or_else(|| caller.project_id.clone());
    req.extensions_mut().insert(Who {
        tenant: Some(match project {
            Some(p) => format!("{}/{p}", caller.domain),
            None => caller.domain.clone(),
        }),
        caller: caller.name.clone(),
    });
    req.extensions_mut().insert(caller);
    Ok(next.call(req).await?.map_into_left_body())
}

/// The open-source Service Center model: the tenant is whatever `X-Domain-Name` says.
fn anonymous(req: &HttpRequest) -> Caller {
    let domain = req
        .headers()
        .get("x-domain-name")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or("default")
        .to_owned();
    Caller {
        user_id: None,
        domain_id: None,
        domain,
        project_id: None,
        grants: Grants::Everything,
        name: None,
    }
}

enum Identify {
    Refused(AuthError),
    Failed(actix_web::Error),
    /// The request itself is refused (a signed body that did not arrive in time).
    Rejected(Rejection),
    Database(sqlx::Error),
}

impl From<sqlx::Error> for Identify {
    fn from(e: sqlx::Error) -> Self {
        Identify::Database(e)
    }
}

fn header(req: &ServiceRequest, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

async fn identify(req: &mut ServiceRequest, state: &AppState) -> Result<Caller, Identify> {
    let refuse = |req: &ServiceRequest, why: &str| {
        Identify::Refused(AuthError::unauthorized(req.request(), why))
    };
    let (user_id, token_project, access_key) = if let Some(authorization) =
        header(req, "authorization")
    {
        let parsed = SignatureHeader::parse(&authorization).map_err(|why| refuse(req, why))?;
        // A repeated signed header would be checked in one copy and used in another.
        let repeated = ["authorization", "x-sdk-date"]
            .iter()
            .copied()
            .chain(parsed.signed_headers.iter().map(String::as_str))
            .any(|h| req.headers().get_all(h).count() > 1);
        if repeated {
            return Err(refuse(req, "a signed header is repeated"));
        }
        let sdk_date =
            header(req, "x-sdk-date").ok_or_else(|| refuse(req, "missing X-Sdk-Date"))?;
        // Real SDKs sign with real time: the wall clock, not the simulated one.
        domain::check_sdk_date(
            &sdk_date,
            OffsetDateTime::now_utc(),
            state.settings.auth.signature_max_skew_secs,
        )
        .map_err(|why| refuse(req, why))?;
        let owner = store::key_owner(&mut *state.db.read_one().await?, &parsed.access)
            .await?
            .ok_or_else(|| refuse(req, "verify aksk signature fail, the access key is unknown"))?;
        // The signature covers the body, so read it here and hand it back afterwards.
        let timeout = crate::extract::body_timeout(req.request());
        let body = match tokio::time::timeout(timeout, req.extract::<web::Bytes>()).await {
            Ok(body) => body.map_err(Identify::Failed)?,
            Err(_) => return Err(Identify::Rejected(crate::extract::slow_body(timeout))),
        };
        let signed = SignedRequest {
            method: req.method().as_str(),
            path: req.uri().path(),
            query: req.uri().query().unwrap_or(""),
            headers: parsed
                .signed_headers
                .iter()
                .map(|h| (h.as_str(), header(req, h)))
                .collect(),
            sdk_date: &sdk_date,
            body: &body,
        };
        let verdict = signed.verify(&owner.secret, &parsed.signature);
        verdict.map_err(|why| refuse(req, why))?;
        req.set_payload(Payload::from(body));
        (owner.user_id, None, Some(parsed.access.clone()))
    } else if let Some(token) = header(req, "x-auth-token") {
        let row = store::token(
            &mut *state.db.read_one().await?,
            &domain::token_digest(token.trim()),
        )
        .await?
        .ok_or_else(|| refuse(req, "decrypt token fail"))?;
        if row.expires_at <= state.clock.now_secs() {
            let at = OffsetDateTime::from_unix_timestamp(row.expires_at)
                .map(domain::iam_time)
                .unwrap_or_default();
            return Err(refuse(req, &format!("token expires, expires_at: {at}")));
        }
        (row.user_id, row.project_id, None)
    } else {
        return Err(refuse(req, "x-auth-token not found"));
    };
    // One statement, so one snapshot for who the caller is, where, and what it may do.
    let wanted = token_project.or_else(|| header(req, "x-project-id"));
    let store::Identity {
        principal,
        project,
        actions,
    } = store::identity(
        &mut *state.db.read_one().await?,
        &user_id,
        wanted.as_deref(),
    )
    .await?
    .ok_or_else(|| refuse(req, "the credential's user no longer exists"))?;
    let project =
        project.ok_or_else(|| refuse(req, "the project is not in the caller's domain"))?;
    Ok(Caller {
        user_id: Some(principal.user_id),
        domain_id: Some(principal.domain_id),
        domain: principal.domain_name,
        project_id: Some(project.id),
        grants: Grants::Patterns(actions),
        name: Some(access_key.unwrap_or(principal.user_name)),
    })
}
