//! Tags of a service.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::super::domain::{self, ServiceId};
use super::super::model::Model;
use super::super::store;
use super::*;
use crate::extract::JsonBody;
use crate::iam::Caller;
use crate::kit::Replies;
use crate::state::AppState;
use utoipa::IntoParams;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/microservices/{service_id}/tags")
            .route(web::post().to(add_tags))
            .route(web::get().to(get_tags)),
    )
    .service(
        web::resource("/microservices/{service_id}/tags/{key}")
            .route(web::put().to(update_tag))
            .route(web::delete().to(delete_tags)),
    );
}

#[derive(Deserialize)]
struct TagsBody {
    tags: Option<BTreeMap<String, String>>,
}

#[utoipa::path(
    post,
    path = "/v4/{project_id}/registry/microservices/{service_id}/tags",
    tag = "Registry",
    operation_id = "registry_add_tags",
    params(ServiceRoute),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn add_tags(
    caller: Caller,
    path: web::Path<ServiceRoute>,
    body: JsonBody<TagsBody>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
) -> Reply {
    caller.require("cse:tag:update")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let service_id = ServiceId::parse(&path.service_id)?;
    let tags = domain::parse_tags(body.parse()?.tags)?;
    model
        .write(&state.db, async |conn, _| {
            store::add_tags(conn, &tenant, &service_id, &tags, domain::MAX_TAGS).await
        })
        .await?;
    Ok(ok_empty())
}

#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/microservices/{service_id}/tags",
    tag = "Registry",
    operation_id = "registry_get_tags",
    params(ServiceRoute),
    responses(Replies)
)]
async fn get_tags(
    caller: Caller,
    path: web::Path<ServiceRoute>,
    state: web::Data<AppState>,
) -> Reply {
    #[derive(Serialize)]
    struct Tags {
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        tags: BTreeMap<String, String>,
    }
    caller.require("cse:tag:get")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let service_id = ServiceId::parse(&path.service_id)?;
    let mut tx = state.db.read().await?;
    let tags = store::get_tags(&mut tx, &tenant, &service_id).await?;
    Ok(HttpResponse::Ok().json(Tags { tags }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TagValueQuery {
    /// the new value
    value: Option<String>,
}

#[utoipa::path(
    put,
    path = "/v4/{project_id}/registry/microservices/{service_id}/tags/{key}",
    tag = "Registry",
    operation_id = "registry_update_tag",
    params(TagRoute, TagValueQuery),
    responses(Replies)
)]
async fn update_tag(
    caller: Caller,
    path: web::Path<TagRoute>,
    query: web::Query<TagValueQuery>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
) -> Reply {
    caller.require("cse:tag:update")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let service_id = ServiceId::parse(&path.service_id)?;
    let key = domain::parse_tag_key(&path.key)?;
    let value = domain::parse_tag_value(query.value.as_deref().unwrap_or(""))?;
    model
        .write(&state.db, async |conn, _| {
            store::update_tag(conn, &tenant, &service_id, &key, &value).await
        })
        .await?;
    Ok(ok_empty())
}

#[utoipa::path(
    delete,
    path = "/v4/{project_id}/registry/microservices/{service_id}/tags/{key}",
    tag = "Registry",
    operation_id = "registry_delete_tags",
    params(TagRoute),
    responses(Replies)
)]
async fn delete_tags(
    caller: Caller,
    path: web::Path<TagRoute>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
) -> Reply {
    caller.require("cse:tag:delete")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let service_id = ServiceId::parse(&path.service_id)?;
    let keys = domain::parse_tag_keys(&path.key)?;
    model
        .write(&state.db, async |conn, _| {
            store::delete_tags(conn, &tenant, &service_id, &keys).await
        })
        .await?;
    Ok(ok_empty())
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(add_tags, get_tags, update_tag, delete_tags))]
pub struct Api;
