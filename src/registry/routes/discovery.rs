//! Discovery: `GET /instances` finds the live instances of provider versions.

use actix_web::{HttpRequest, web};
use serde::Deserialize;

use super::super::domain::{FindQuery, ServiceId};
use super::super::error::RegistryError;
use super::super::store;
use super::views::instances_reply;
use super::*;
use crate::iam::Caller;
use crate::kit::Replies;
use crate::state::AppState;
use utoipa::IntoParams;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/instances").route(web::get().to(find_instances)));
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct FindParams {
    /// application
    app_id: Option<String>,
    /// service name or alias
    service_name: Option<String>,
    /// latest, 1.0.0+, 1.0.0-2.0.0 or exact; none means all
    version: Option<String>,
    /// environment
    env: Option<String>,
    /// revision from X-Resource-Revision: 304 when unchanged
    rev: Option<String>,
}

/// Discovery. With `X-ConsumerId` the consumer must exist, and the consumer → provider
/// dependency is recorded before the reply, as Service Center records it on find.
#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/instances",
    tag = "Registry",
    operation_id = "registry_find_instances",
    params(ProjectRoute, FindParams),
    responses(Replies)
)]
async fn find_instances(
    caller: Caller,
    req: HttpRequest,
    path: web::Path<ProjectRoute>,
    query: web::Query<FindParams>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:instance:discover")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let find = FindQuery::parse(
        query.app_id.as_deref(),
        query.service_name.as_deref(),
        query.env.as_deref(),
        query.version.as_deref(),
    )?;
    let consumer = match req.headers().get("X-ConsumerId") {
        None => None,
        Some(v) => {
            let v = v.to_str().map_err(|_| {
                RegistryError::InvalidParams("X-ConsumerId is not visible ASCII".into())
            })?;
            (!v.is_empty()).then(|| ServiceId::parse(v)).transpose()?
        }
    };
    let mut tx = state.db.read().await?;
    let found = store::find_instances(&mut tx, &tenant, &find, consumer.as_ref()).await?;
    drop(tx);
    if let Some(rule) = found.new_dependency {
        state
            .db
            .write(async |conn| {
                store::record_dependency(
                    conn,
                    &rule.consumer_id,
                    &rule.environment,
                    &rule.app_id,
                    &rule.service_name,
                )
                .await
            })
            .await?;
    }
    instances_reply(found.instances, query.rev.as_deref())
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(find_instances))]
pub struct Api;
