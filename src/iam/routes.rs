//! IAM over HTTP: `POST /v3/auth/tokens`, `GET /v3/projects`, and the middleware that
//! authenticates every other SMS and registry request.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;

use super::domain::{self, Grants, SignatureHeader, SignedRequest};
use super::{AuthError, Caller, IamError, Realm, store};
use crate::config::Switch;
use crate::state::AppState;

/// Routes that need no credential.
pub fn public(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v3/auth/tokens").post(issue_token));
}

/// Routes behind [`authenticate`], relative to the `/v3` scope.
pub fn protected(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("").get(list_projects));
}

#[derive(Deserialize)]
struct TokenRequest {
    auth: AuthBody,
}

#[derive(Deserialize)]
struct AuthBody {
    identity: Identity,
    scope: Option<Scope>,
}

#[derive(Deserialize)]
struct Identity {
    methods: Vec<String>,
    password: Option<PasswordMethod>,
}

#[derive(Deserialize)]
struct PasswordMethod {
    user: PasswordUser,
}

#[derive(Deserialize)]
struct PasswordUser {
    name: String,
    password: String,
    domain: NamedRef,
}

#[derive(Deserialize, Default)]
struct NamedRef {
    id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct Scope {
    project: Option<NamedRef>,
    domain: Option<NamedRef>,
}

#[derive(Serialize)]
struct IdName<'a> {
    id: &'a str,
    name: &'a str,
}

/// `POST /v3/auth/tokens`: the password method, scoped to a project or a domain.
#[utoipa::path(
    post,
    path = "/v3/auth/tokens",
    tag = "IAM",
    operation_id = "iam_issue_token",
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn issue_token(
    state: web::Data<AppState>,
    body: web::Json<TokenRequest>,
) -> Result<HttpResponse, IamError> {
    let auth = body.into_inner().auth;
    if !auth.identity.methods.iter().any(|m| m == "password") {
        return Err(IamError::BadRequest(
            "auth.identity.methods must contain \"password\"".into(),
        ));
    }
    let user = auth
        .identity
        .password
        .ok_or_else(|| IamError::BadRequest("auth.identity.password is required".into()))?
        .user;
    let domain_name = user.domain.name.ok_or_else(|| {
        IamError::BadRequest("auth.identity.password.user.domain.name is required".into())
    })?;
    let pool = state.db.reader();
    let found = store::user_by_name(pool, &domain_name, &user.name).await?;
    // Argon2 takes tens of milliseconds: run it off the actix worker, and also for an
    // unknown user so that response time does not tell which user names exist.
    let hash = found.as_ref().map_or_else(
        || domain::dummy_password_hash().to_owned(),
        |u| u.password_hash.clone(),
    );
    let password = user.password;
    let matches = web::block(move || domain::password_matches(&password, &hash))
        .await
        .map_err(|e| IamError::Internal(e.to_string()))?;
    let found = match found {
        Some(u) if matches => u,
        _ => return Err(IamError::WrongPassword),
    };
    let project = match auth.scope {
        Some(Scope {
            project: Some(p), ..
        }) => Some(
            store::project(pool, &found.domain_id, p.id.as_deref(), p.name.as_deref())
                .await?
                .filter(|_| p.id.is_some() || p.name.is_some())
                .ok_or_else(|| {
                    IamError::BadRequest(
                        "auth.scope.project does not exist in the user's domain".into(),
                    )
                })?,
        ),
        Some(Scope {
            domain: Some(d), ..
        }) => {
            let matches = d.id.as_deref().is_none_or(|id| id == found.domain_id)
                && d.name.as_deref().is_none_or(|n| n == found.domain_name);
            if !matches {
                return Err(IamError::BadRequest(
                    "auth.scope.domain is not the user's domain".into(),
                ));
            }
            None
        }
        _ => None,
    };
    let actions = store::actions(pool, &found.user_id).await?;
    let (token, digest) = domain::new_token();
    let issued = OffsetDateTime::now_utc();
    let expires = issued + time::Duration::seconds(state.settings.auth.token_ttl_secs);
    let project_id = project.as_ref().map(|p| p.id.clone());
    state
        .db
        .write(async |conn| {
            store::insert_token(
                conn,
                &digest,
                &found.user_id,
                project_id.as_deref(),
                issued.unix_timestamp(),
                expires.unix_timestamp(),
            )
            .await
        })
        .await?;
    let domain = IdName {
        id: &found.domain_id,
        name: &found.domain_name,
    };
    let mut token_body = json!({
        "catalog": [],
        "expires_at": domain::iam_time(expires),
        "issued_at": domain::iam_time(issued),
        "methods": ["password"],
        "roles": actions.iter().map(|a| json!({"id": domain::token_digest(a)[..32].to_owned(), "name": a})).collect::<Vec<_>>(),
        "user": {
            "domain": &domain,
            "id": &found.user_id,
            "name": &found.user_name,
            "password_expires_at": "",
        },
    });
    match &project {
        Some(p) => token_body["project"] = json!({"domain": &domain, "id": &p.id, "name": &p.name}),
        None => token_body["domain"] = json!(&domain),
    }
    Ok(HttpResponse::Created()
        .insert_header(("X-Subject-Token", token))
        .json(json!({ "token": token_body })))
}

#[derive(Deserialize)]
struct ProjectQuery {
    name: Option<String>,
}

/// `GET /v3/projects?name=REGION`: what the SDK asks when configured with a region.
#[utoipa::path(
    get,
    path = "/v3/projects",
    tag = "IAM",
    operation_id = "iam_list_projects",
    params(("name" = Option<String>, Query, description = "project (region) name")),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn list_projects(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ProjectQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, IamError> {
    let domain_id = caller.domain_id.clone().unwrap_or_default();
    let projects = store::projects(state.db.reader(), &domain_id, query.name.as_deref()).await?;
    let list: Vec<_> = projects
        .iter()
        .map(|p| {
            json!({
                "id": p.id, "name": p.name, "domain_id": p.domain_id, "parent_id": p.domain_id,
                "enabled": true, "is_domain": false, "description": "",
                "links": {"self": format!("{}/v3/projects/{}", base_url(&req), p.id)},
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "projects": list,
        "links": {"self": format!("{}{}", base_url(&req), req.uri())},
    })))
}

fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// Authenticates the requests of one area's scope (`E` is that area's error type, which
/// renders the refusals) and stores the [`Caller`] for the handlers. Paths that match no
/// route pass through untouched, so that they get their 404 rather than a 401.
pub async fn authenticate<E: Realm>(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if !req.request().resource_map().has_resource(req.path()) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
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
            Err(Identify::Refused(err)) => {
                return Ok(req.error_response(E::from(err)).map_into_right_body());
            }
            Err(Identify::Failed(err)) => return Ok(req.error_response(err).map_into_right_body()),
            Err(Identify::Database(err)) => {
                return Ok(req.error_response(E::from(err)).map_into_right_body());
            }
        }
    };
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
    }
}

enum Identify {
    Refused(AuthError),
    Failed(actix_web::Error),
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
    let pool = state.db.reader();
    let (user_id, token_project) = if let Some(authorization) = header(req, "authorization") {
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
        domain::check_sdk_date(
            &sdk_date,
            OffsetDateTime::now_utc(),
            state.settings.auth.signature_max_skew_secs,
        )
        .map_err(|why| refuse(req, why))?;
        let owner = store::key_owner(pool, &parsed.access)
            .await?
            .ok_or_else(|| refuse(req, "verify aksk signature fail, the access key is unknown"))?;
        // The signature covers the body, so read it here and hand it back afterwards.
        let body = req
            .extract::<web::Bytes>()
            .await
            .map_err(Identify::Failed)?;
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
        (owner.user_id, None)
    } else if let Some(token) = header(req, "x-auth-token") {
        let row = store::token(pool, &domain::token_digest(token.trim()))
            .await?
            .ok_or_else(|| refuse(req, "decrypt token fail"))?;
        let now = OffsetDateTime::now_utc().unix_timestamp();
        if row.expires_at <= now {
            let at = OffsetDateTime::from_unix_timestamp(row.expires_at)
                .map(domain::iam_time)
                .unwrap_or_default();
            return Err(refuse(req, &format!("token expires, expires_at: {at}")));
        }
        (row.user_id, row.project_id)
    } else {
        return Err(refuse(req, "x-auth-token not found"));
    };
    let principal = store::principal(pool, &user_id)
        .await?
        .ok_or_else(|| refuse(req, "the credential's user no longer exists"))?;
    let wanted = token_project.or_else(|| header(req, "x-project-id"));
    let project = store::project(pool, &principal.domain_id, wanted.as_deref(), None)
        .await?
        .ok_or_else(|| refuse(req, "the project is not in the caller's domain"))?;
    let actions = store::actions(pool, &principal.user_id).await?;
    Ok(Caller {
        user_id: Some(principal.user_id),
        domain_id: Some(principal.domain_id),
        domain: principal.domain_name,
        project_id: Some(project.id),
        grants: Grants::Patterns(actions),
    })
}

/// The IAM operations in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(issue_token, list_projects))]
pub struct Api;
