//! `GET /v3/projects`: the projects of the caller's domain.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::super::{Caller, IamError, store};
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("").get(list_projects));
}
use crate::kit::Replies;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ProjectQuery {
    /// project (region) name
    name: Option<String>,
}

/// `GET /v3/projects?name=REGION`: what the SDK asks when configured with a region.
#[utoipa::path(
    get,
    path = "/v3/projects",
    tag = "IAM",
    operation_id = "iam_list_projects",
    params(ProjectQuery),
    responses(Replies)
)]
async fn list_projects(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ProjectQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, IamError> {
    let domain_id = caller.domain_id.clone().unwrap_or_default();
    let projects = store::projects(
        &mut *state.db.read().await?,
        &domain_id,
        query.name.as_deref(),
    )
    .await?;
    let list: Vec<_> = projects
        .iter()
        .map(|p| {
            json!({
                "id": p.id, "name": p.name, "domain_id": p.domain_id, "parent_id": p.domain_id,
                "enabled": true, "is_domain": false, "description": "",
                "links": {"self": format!("{}/v3/projects/{}", crate::kit::base_url(&req), p.id)},
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "projects": list,
        "links": {"self": format!("{}{}", crate::kit::base_url(&req), req.uri())},
    })))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(list_projects))]
pub struct Api;
