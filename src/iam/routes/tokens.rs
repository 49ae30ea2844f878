//! `POST /v3/auth/tokens`: IAM tokens by the password method.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use super::super::domain;
use super::super::{IamError, LoginGate, store};
use super::*;
use crate::extract::JsonBody;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v3/auth/tokens").post(issue_token));
}
use crate::kit::Replies;

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

/// `POST /v3/auth/tokens`: the password method, scoped to a project or a domain.
#[utoipa::path(
    post,
    path = "/v3/auth/tokens",
    tag = "IAM",
    operation_id = "iam_issue_token",
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn issue_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    logins: web::Data<LoginGate>,
    body: JsonBody<TokenRequest>,
) -> Result<HttpResponse, IamError> {
    logins.admit(crate::kit::client_ip(&req))?;
    let auth = body.parse()?.auth;
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
    let found = store::user_by_name(&mut *state.db.read().await?, &domain_name, &user.name).await?;
    // Argon2 takes tens of milliseconds: run it off the actix worker, and also for an
    // unknown user so that response time does not tell which user names exist.
    let hash = found.as_ref().map_or_else(
        || domain::dummy_password_hash().to_owned(),
        |u| u.password_hash.clone(),
    );
    let auth_settings = &state.settings.auth;
    let window = auth_settings.login_failures_window_secs;
    // The lockout window runs on the wall clock: it is about real attackers, not simulated time.
    let now = OffsetDateTime::now_utc().unix_timestamp();
    if let Some(u) = &found {
        let failures =
            store::recent_failures(&mut *state.db.read().await?, &u.user_id, now, window).await?;
        if failures >= auth_settings.login_failures_max {
            return Err(IamError::Locked(window));
        }
    }
    let matches = logins.check(user.password, hash).await?;
    let found = match found {
        Some(u) if matches => u,
        Some(u) => {
            state
                .db
                .write(async |conn| store::record_failure(conn, &u.user_id, now, window).await)
                .await?;
            return Err(IamError::WrongPassword);
        }
        None => return Err(IamError::WrongPassword),
    };
    let mut tx = state.db.read().await?;
    let project = match auth.scope {
        Some(Scope {
            project: Some(p), ..
        }) => Some(
            store::project(
                &mut tx,
                &found.domain_id,
                p.id.as_deref(),
                p.name.as_deref(),
            )
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
    let actions = store::actions(&mut tx, &found.user_id).await?;
    drop(tx);
    let (token, digest) = domain::new_token();
    let issued = state.clock.now();
    let expires = issued + time::Duration::seconds(state.settings.auth.token_ttl_secs);
    let project_id = project.as_ref().map(|p| p.id.clone());
    state
        .db
        .write(async |conn| {
            // A successful login starts the failure count afresh.
            store::clear_failures(conn, &found.user_id).await?;
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

#[derive(utoipa::OpenApi)]
#[openapi(paths(issue_token))]
pub struct Api;
