//! Source servers: register (as the agent does), list, show, update, delete.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::super::domain::{
    self, MigrationCycle, NewSource, Page, RegisterSourceBody, SourceState,
};
use super::super::error::SmsError;
use super::super::store;
use super::super::store::SourceFilter;
use super::*;
use crate::extract::JsonBody;
use crate::iam::Caller;
use crate::kit::Replies;
use crate::state::AppState;
use utoipa::IntoParams;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // The literal `/delete` path comes before `/{id}` so that it wins.
    cfg.service(web::resource("/sources/delete").post(delete_sources))
        .service(web::resource("/sources/overview").get(show_overview))
        .service(web::resource("/errors").get(list_error_servers))
        .service(
            web::resource("/sources")
                .post(register_source)
                .get(list_sources),
        )
        .service(
            web::resource("/sources/{id}")
                .get(show_source)
                .put(update_source)
                .delete(delete_source),
        );
}

#[utoipa::path(
    post,
    path = "/v3/sources/delete",
    tag = "SMS",
    operation_id = "sms_delete_sources",
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn delete_sources(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonBody<IdsBody>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:batchDeleteServer")?;
    let ids = BatchIds::parse(body.parse()?.ids, domain::SOURCE_ID_MAX)?;
    delete_all(&state, &caller, Deletion::Sources, &ids).await
}

#[utoipa::path(
    delete,
    path = "/v3/sources/{id}",
    tag = "SMS",
    operation_id = "sms_delete_source",
    params(("id" = String, Path)),
    responses(Replies)
)]
async fn delete_source(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:deleteServer")?;
    let ids = BatchIds::single(id.into_inner(), domain::SOURCE_ID_MAX)?;
    delete_all(&state, &caller, Deletion::Sources, &ids).await
}

#[utoipa::path(
    post,
    path = "/v3/sources",
    tag = "SMS",
    operation_id = "sms_register_source",
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn register_source(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonBody<RegisterSourceBody>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:registerServer")?;
    let source = NewSource::parse(body.parse()?)?;
    let project = project(&caller)?;
    let id = state
        .db
        .write(async |conn| {
            store::register_source(conn, project, &source, state.clock.now_ms()).await
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "id": id })))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SourceQuery {
    /// exact id
    id: Option<String>,
    /// substring of the name
    name: Option<String>,
    /// exact IPv4
    ip: Option<String>,
    /// exact IPv6
    ipv6: Option<String>,
    /// source state, any case
    state: Option<String>,
    /// true or false
    connected: Option<String>,
    /// migration project id
    migproject: Option<String>,
    /// migration stage: checking, setting, replicating, syncing, cutovering or cutovered
    migration_cycle: Option<String>,
    /// enterprise project
    enterprise_project_id: Option<String>,
    /// true or false: whether the current task has consistency results
    is_consistency_result_exist: Option<String>,
    /// the id of the current task's target server
    vm_id: Option<String>,
    /// 0 to 200, 0 or absent meaning 200
    limit: Option<String>,
    /// 0 to 65535, default 0
    offset: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v3/sources",
    tag = "SMS",
    operation_id = "sms_list_sources",
    params(SourceQuery),
    responses(Replies)
)]
async fn list_sources(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<SourceQuery>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:listServer")?;
    let q = query.into_inner();
    let page = Page::parse(q.limit.as_deref(), q.offset.as_deref(), 200, 200)?;
    let source_state = non_empty(q.state)
        .map(|s| {
            SourceState::parse(&s)
                .map(|s| s.as_str().to_owned())
                .ok_or_else(|| SmsError::invalid("state", format!("unknown state {s:?}")))
        })
        .transpose()?;
    let flag = |field: &str, raw: Option<&str>| match raw {
        None | Some("") => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(SmsError::invalid(
            field,
            format!("{field} must be true or false"),
        )),
    };
    let connected = flag("connected", q.connected.as_deref())?;
    let is_consistency_result_exist = flag(
        "is_consistency_result_exist",
        q.is_consistency_result_exist.as_deref(),
    )?;
    let migration_cycle = non_empty(q.migration_cycle)
        .map(|c| {
            MigrationCycle::from_text(&c)
                .map(|c| c.as_str().to_owned())
                .ok_or_else(|| {
                    SmsError::invalid("migration_cycle", format!("unknown migration_cycle {c:?}"))
                })
        })
        .transpose()?;
    let filter = SourceFilter {
        id: non_empty(q.id),
        name: non_empty(q.name),
        ip: non_empty(q.ip),
        ipv6: non_empty(q.ipv6),
        migration_cycle,
        is_consistency_result_exist,
        vm_id: non_empty(q.vm_id),
        state: source_state,
        connected,
        migproject: non_empty(q.migproject),
        enterprise_project_id: non_empty(q.enterprise_project_id),
    };
    let mut tx = state.db.read().await?;
    let (count, mut rows) = store::list_sources(&mut tx, project(&caller)?, &filter, page).await?;
    let task_ids: Vec<&str> = rows.iter().filter_map(|s| s.task_id.as_deref()).collect();
    let runs = store::simulation::runs_of(&mut tx, &task_ids).await?;
    views::simulate_sources(&mut rows, &runs, state.clock.now_ms());
    let source_servers = rows.iter().map(views::server).collect();
    Ok(HttpResponse::Ok().json(views::ServerList {
        count,
        source_servers,
    }))
}

#[utoipa::path(
    get,
    path = "/v3/sources/{id}",
    tag = "SMS",
    operation_id = "sms_show_source",
    params(("id" = String, Path)),
    responses(Replies)
)]
async fn show_source(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:showServer")?;
    let id = domain::path_id(&id, domain::SOURCE_ID_MAX)?;
    let mut tx = state.db.read().await?;
    let mut row = store::source(&mut tx, project(&caller)?, id)
        .await?
        .ok_or_else(|| SmsError::NotFound {
            what: "source server",
            ids: vec![id.to_owned()],
        })?;
    let task_ids: Vec<&str> = row.task_id.as_deref().into_iter().collect();
    let runs = store::simulation::runs_of(&mut tx, &task_ids).await?;
    views::simulate_sources(std::slice::from_mut(&mut row), &runs, state.clock.now_ms());
    Ok(HttpResponse::Ok().json(views::server(&row)))
}

#[derive(Deserialize)]
struct UpdateSourceBody {
    name: Option<String>,
    migprojectid: Option<String>,
}

#[utoipa::path(
    put,
    path = "/v3/sources/{id}",
    tag = "SMS",
    operation_id = "sms_update_source",
    params(("id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn update_source(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<UpdateSourceBody>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:updateServer")?;
    let id = domain::path_id(&id, domain::SOURCE_ID_MAX)?;
    let body = body.parse()?;
    let name = body
        .name
        .as_deref()
        .map(|n| domain::name("name", n))
        .transpose()?;
    let project = project(&caller)?;
    let found = state
        .db
        .write(async |conn| {
            store::update_source(
                conn,
                project,
                id,
                name.as_deref(),
                body.migprojectid.as_deref(),
            )
            .await
        })
        .await?;
    if !found {
        return Err(SmsError::NotFound {
            what: "source server",
            ids: vec![id.to_owned()],
        });
    }
    Ok(empty_ok())
}

/// Counts of the project's source servers per state, and of those without a target.
#[utoipa::path(
    get,
    path = "/v3/sources/overview",
    tag = "SMS",
    operation_id = "sms_show_overview",
    responses(Replies)
)]
async fn show_overview(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:listServer")?;
    let overview = store::overview(&mut *state.db.read().await?, project(&caller)?).await?;
    Ok(HttpResponse::Ok().json(overview))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ErrorsQuery {
    /// 0 to 100, 0 or absent meaning 50
    limit: Option<String>,
    /// 0 to 65535, default 0
    offset: Option<String>,
    /// exact enterprise project id
    enterprise_project_id: Option<String>,
}

/// Source servers whose migration failed, with the error of their task.
#[utoipa::path(
    get,
    path = "/v3/errors",
    tag = "SMS",
    operation_id = "sms_list_error_servers",
    params(ErrorsQuery),
    responses(Replies)
)]
async fn list_error_servers(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ErrorsQuery>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:listErrors")?;
    let q = query.into_inner();
    let page = Page::parse(q.limit.as_deref(), q.offset.as_deref(), 100, 50)?;
    let (count, errors) = store::list_error_servers(
        &mut *state.db.read().await?,
        project(&caller)?,
        non_empty(q.enterprise_project_id),
        page,
    )
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "count": count, "migration_errors": errors })))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    show_overview,
    list_error_servers,
    delete_sources,
    delete_source,
    register_source,
    list_sources,
    show_source,
    update_source
))]
pub struct Api;
