//! Schemas of a service.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::domain::{self, Schema, SchemaBody, SchemaId, ServiceId};
use super::super::error::RegistryError;
use super::super::model::Model;
use super::super::store;
use super::super::store::SchemaRecord;
use super::*;
use crate::extract::JsonBody;
use crate::iam::Caller;
use crate::kit::Replies;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/microservices/{service_id}/schemas")
            .route(web::post().to(replace_schemas))
            .route(web::get().to(list_schemas)),
    )
    .service(
        web::resource("/microservices/{service_id}/schemas/{schema_id}")
            .route(web::put().to(put_schema))
            .route(web::get().to(get_schema))
            .route(web::delete().to(delete_schema)),
    );
}

#[derive(Deserialize)]
struct SchemasBody {
    schemas: Option<Vec<SchemaBody>>,
}

#[utoipa::path(
    post,
    path = "/v4/{project_id}/registry/microservices/{service_id}/schemas",
    tag = "Registry",
    operation_id = "registry_replace_schemas",
    params(ServiceRoute),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn replace_schemas(
    caller: Caller,
    path: web::Path<ServiceRoute>,
    body: JsonBody<SchemasBody>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
) -> Reply {
    caller.require("cse:schema:update")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let service_id = ServiceId::parse(&path.service_id)?;
    let schemas = Schema::parse_set(body.parse()?.schemas)?;
    model
        .write(&state.db, async |conn, _| {
            store::replace_schemas(conn, &tenant, &service_id, &schemas, state.clock.now_ms()).await
        })
        .await?;
    Ok(ok_empty())
}

fn schema_ids(path: &SchemaRoute) -> Result<(ServiceId, SchemaId), RegistryError> {
    Ok((
        ServiceId::parse(&path.service_id)?,
        SchemaId::parse(&path.schema_id)?,
    ))
}

#[utoipa::path(
    put,
    path = "/v4/{project_id}/registry/microservices/{service_id}/schemas/{schema_id}",
    tag = "Registry",
    operation_id = "registry_put_schema",
    params(SchemaRoute),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn put_schema(
    caller: Caller,
    path: web::Path<SchemaRoute>,
    body: JsonBody<SchemaBody>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
) -> Reply {
    caller.require("cse:schema:update")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let (service_id, schema_id) = schema_ids(&path)?;
    let schema = Schema::parse_for(schema_id, body.parse()?)?;
    model
        .write(&state.db, async |conn, _| {
            store::put_schema(conn, &tenant, &service_id, &schema, state.clock.now_ms()).await
        })
        .await?;
    Ok(ok_empty())
}

#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/microservices/{service_id}/schemas/{schema_id}",
    tag = "Registry",
    operation_id = "registry_get_schema",
    params(SchemaRoute),
    responses(Replies)
)]
async fn get_schema(
    caller: Caller,
    path: web::Path<SchemaRoute>,
    state: web::Data<AppState>,
) -> Reply {
    caller.require("cse:schema:get")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let (service_id, schema_id) = schema_ids(&path)?;
    let mut tx = state.db.read().await?;
    let schema = store::get_schema(&mut tx, &tenant, &service_id, &schema_id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("X-Schema-Summary", schema.summary.as_str()))
        .json(json!({ "schema": schema.schema })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemasQuery {
    with_schema: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/microservices/{service_id}/schemas",
    tag = "Registry",
    operation_id = "registry_list_schemas",
    params(ServiceRoute),
    responses(Replies)
)]
async fn list_schemas(
    caller: Caller,
    path: web::Path<ServiceRoute>,
    query: web::Query<SchemasQuery>,
    state: web::Data<AppState>,
) -> Reply {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct SchemaView {
        schema_id: String,
        #[serde(skip_serializing_if = "String::is_empty")]
        summary: String,
        #[serde(skip_serializing_if = "String::is_empty")]
        schema: String,
    }
    #[derive(Serialize)]
    struct Schemas {
        #[serde(skip_serializing_if = "Vec::is_empty")]
        schemas: Vec<SchemaView>,
    }
    caller.require("cse:schema:get")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let service_id = ServiceId::parse(&path.service_id)?;
    let with_schema = domain::parse_with_schema(query.with_schema.as_deref())?;
    let mut tx = state.db.read().await?;
    let schemas = store::list_schemas(&mut tx, &tenant, &service_id).await?;
    let schemas = schemas
        .into_iter()
        .map(|s: SchemaRecord| SchemaView {
            schema_id: s.schema_id,
            summary: s.summary,
            schema: if with_schema { s.schema } else { String::new() },
        })
        .collect();
    Ok(HttpResponse::Ok().json(Schemas { schemas }))
}

#[utoipa::path(
    delete,
    path = "/v4/{project_id}/registry/microservices/{service_id}/schemas/{schema_id}",
    tag = "Registry",
    operation_id = "registry_delete_schema",
    params(SchemaRoute),
    responses(Replies)
)]
async fn delete_schema(
    caller: Caller,
    path: web::Path<SchemaRoute>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
) -> Reply {
    caller.require("cse:schema:delete")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let (service_id, schema_id) = schema_ids(&path)?;
    model
        .write(&state.db, async |conn, _| {
            store::delete_schema(conn, &tenant, &service_id, &schema_id).await
        })
        .await?;
    Ok(ok_empty())
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(replace_schemas, put_schema, get_schema, list_schemas, delete_schema))]
pub struct Api;
