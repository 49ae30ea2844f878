//! Migration projects: create, list, show, update, make default, delete.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::IntoParams;

use super::super::domain::{MigProjectBody, MigProjectFields, Page, path_id};
use super::super::error::SmsError;
use super::super::store::{self, MigProjectRow};
use super::*;
use crate::extract::JsonBody;
use crate::iam::Caller;
use crate::kit::Replies;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/migprojects")
            .post(create_migproject)
            .get(list_migprojects),
    )
    .service(
        web::resource("/migprojects/{id}")
            .get(show_migproject)
            .put(update_migproject)
            .delete(delete_migproject),
    )
    .service(web::resource("/migprojects/{id}/default").put(set_default_migproject));
}

/// A migration project as `show_migproject` renders it (`MigProject`); the list adds `id`.
#[derive(Serialize)]
struct MigProjectView {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    name: String,
    description: String,
    isdefault: bool,
    region: String,
    start_target_server: bool,
    speed_limit: i64,
    use_public_ip: bool,
    exist_server: bool,
    #[serde(rename = "type")]
    kind: String,
    enterprise_project: String,
    syncing: bool,
    start_network_check: bool,
}

impl MigProjectView {
    fn of(m: MigProjectRow, with_id: bool) -> Self {
        Self {
            id: with_id.then_some(m.id),
            name: m.name,
            description: m.description,
            isdefault: m.isdefault,
            region: m.region,
            start_target_server: m.start_target_server,
            speed_limit: m.speed_limit,
            use_public_ip: m.use_public_ip,
            exist_server: m.exist_server,
            kind: m.kind,
            enterprise_project: m.enterprise_project,
            syncing: m.syncing,
            start_network_check: m.start_network_check,
        }
    }
}

/// Migration project ids are generated (36 characters); the reference allows up to 255.
const MIGPROJECT_ID_MAX: usize = 255;

fn id_of(raw: &str) -> Result<&str, SmsError> {
    path_id(raw, MIGPROJECT_ID_MAX)
}

#[utoipa::path(
    post,
    path = "/v3/migprojects",
    tag = "SMS",
    operation_id = "sms_create_migproject",
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn create_migproject(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonBody<Option<MigProjectBody>>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:migproject:create")?;
    let fields = MigProjectFields::parse_new(body.parse()?)?;
    let project = project(&caller)?;
    let id = state
        .db
        .write(async |conn| {
            store::create_migproject(conn, project, &fields, state.clock.now_ms()).await
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "id": id })))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// 0 to 100, 0 or absent meaning 50
    limit: Option<String>,
    /// 0 to 65535, default 0
    offset: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v3/migprojects",
    tag = "SMS",
    operation_id = "sms_list_migprojects",
    params(PageQuery),
    responses(Replies)
)]
async fn list_migprojects(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, SmsError> {
    #[derive(Serialize)]
    struct List {
        count: i64,
        migprojects: Vec<MigProjectView>,
    }
    caller.require("sms:migproject:list")?;
    let page = Page::parse(query.limit.as_deref(), query.offset.as_deref(), 100, 50)?;
    let project = project(&caller)?;
    ensure_default(&state, project).await?;
    let (count, rows) =
        store::list_migprojects(&mut *state.db.read().await?, project, page).await?;
    Ok(HttpResponse::Ok().json(List {
        count,
        migprojects: rows
            .into_iter()
            .map(|m| MigProjectView::of(m, true))
            .collect(),
    }))
}

/// Every IAM project has a default migration project, made the first time one is needed;
/// a read finds it without queueing for the writer.
async fn ensure_default(state: &AppState, project: &str) -> Result<(), SmsError> {
    if store::default_migproject(&mut *state.db.read().await?, project)
        .await?
        .is_none()
    {
        state
            .db
            .write(async |conn| {
                store::ensure_default_migproject(conn, project, state.clock.now_ms()).await
            })
            .await?;
    }
    Ok(())
}

#[utoipa::path(
    get,
    path = "/v3/migprojects/{id}",
    tag = "SMS",
    operation_id = "sms_show_migproject",
    params(("id" = String, Path)),
    responses(Replies)
)]
async fn show_migproject(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:migproject:get")?;
    let id = id_of(&id)?;
    let project = project(&caller)?;
    ensure_default(&state, project).await?;
    let row = store::migproject(&mut *state.db.read().await?, project, id)
        .await?
        .ok_or_else(|| SmsError::missing("SMS.2112", "migration project", id))?;
    Ok(HttpResponse::Ok().json(MigProjectView::of(row, false)))
}

#[utoipa::path(
    put,
    path = "/v3/migprojects/{id}",
    tag = "SMS",
    operation_id = "sms_update_migproject",
    params(("id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn update_migproject(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<Option<MigProjectBody>>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:migproject:update")?;
    let id = id_of(&id)?;
    let fields = MigProjectFields::parse(body.parse()?)?;
    let project = project(&caller)?;
    state
        .db
        .write(async |conn| store::update_migproject(conn, project, id, &fields).await)
        .await?;
    Ok(empty_ok())
}

#[utoipa::path(
    put,
    path = "/v3/migprojects/{id}/default",
    tag = "SMS",
    operation_id = "sms_update_default_migproject",
    params(("id" = String, Path)),
    responses(Replies)
)]
async fn set_default_migproject(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:migproject:update")?;
    let id = id_of(&id)?;
    let project = project(&caller)?;
    state
        .db
        .write(async |conn| store::set_default_migproject(conn, project, id).await)
        .await?;
    Ok(empty_ok())
}

#[utoipa::path(
    delete,
    path = "/v3/migprojects/{id}",
    tag = "SMS",
    operation_id = "sms_delete_migproject",
    params(("id" = String, Path)),
    responses(Replies)
)]
async fn delete_migproject(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:migproject:delete")?;
    let id = id_of(&id)?;
    let project = project(&caller)?;
    state
        .db
        .write(async |conn| store::delete_migproject(conn, project, id).await)
        .await?;
    Ok(empty_ok())
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    create_migproject,
    list_migprojects,
    show_migproject,
    update_migproject,
    set_default_migproject,
    delete_migproject
))]
pub struct Api;
