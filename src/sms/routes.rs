//! SMS v3 over HTTP: source servers, migration tasks, their batch deletes and actions,
//! and the `/_cloudtwin/sms` admin controls that tests use to put servers into a state.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::domain::{
    self, BatchIds, CreateTaskBody, NewSource, NewTask, Operation, Page, RegisterSourceBody,
    SourceState, TaskPatch, TaskState, UpdateTaskBody,
};
use super::error::SmsError;
use super::store::{self, SourceFilter, SourceRow, TaskFilter, TaskRow};
use crate::error::ServiceError;
use crate::extract::JsonBody;
use crate::iam::Caller;
use crate::state::AppState;

/// Routes relative to the authenticated `/v3` scope. The literal `/delete` paths come
/// before the `/{id}` ones so that they win.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/sources/delete").post(delete_sources))
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
        )
        .service(web::resource("/tasks/delete").post(delete_tasks))
        .service(web::resource("/tasks").post(create_task).get(list_tasks))
        .service(
            web::resource("/tasks/{id}")
                .get(show_task)
                .put(update_task)
                .delete(delete_task),
        )
        .service(web::resource("/tasks/{id}/action").post(task_action));
}

/// Admin controls, relative to `/_cloudtwin/sms`.
pub fn admin_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/sources/{id}").put(admin_source))
        .service(web::resource("/tasks/{id}").put(admin_task));
}

fn project(caller: &Caller) -> Result<&str, SmsError> {
    caller
        .project_id
        .as_deref()
        .ok_or_else(|| SmsError::Internal("authenticated caller without a project".into()))
}

fn empty_ok() -> HttpResponse {
    HttpResponse::Ok().json(json!({}))
}

/// What a batch (or single) delete removes; both share the all-or-nothing rule.
enum Deletion {
    Tasks,
    Sources,
}

async fn delete_all(
    state: &AppState,
    caller: &Caller,
    what: Deletion,
    ids: &BatchIds,
) -> Result<HttpResponse, SmsError> {
    let project = project(caller)?;
    let rule = state.settings.sms.delete_rule;
    state
        .db
        .write(async |conn| match what {
            Deletion::Tasks => store::delete_tasks(conn, project, ids, rule).await,
            Deletion::Sources => store::delete_sources(conn, project, ids, rule).await,
        })
        .await?;
    Ok(empty_ok())
}

#[derive(Deserialize)]
struct IdsBody {
    ids: Option<Value>,
}

#[utoipa::path(
    post,
    path = "/v3/tasks/delete",
    tag = "SMS",
    operation_id = "sms_delete_tasks",
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn delete_tasks(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonBody<IdsBody>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:batchDeleteTask")?;
    let ids = BatchIds::parse(body.parse()?.ids, domain::TASK_ID_MAX)?;
    delete_all(&state, &caller, Deletion::Tasks, &ids).await
}

#[utoipa::path(
    delete,
    path = "/v3/tasks/{id}",
    tag = "SMS",
    operation_id = "sms_delete_task",
    params(("id" = String, Path)),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn delete_task(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:deleteTask")?;
    let ids = BatchIds::single(id.into_inner(), domain::TASK_ID_MAX)?;
    delete_all(&state, &caller, Deletion::Tasks, &ids).await
}

#[utoipa::path(
    post,
    path = "/v3/sources/delete",
    tag = "SMS",
    operation_id = "sms_delete_sources",
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
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
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
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
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
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
        .write(async |conn| store::register_source(conn, project, &source).await)
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "id": id })))
}

#[derive(Deserialize)]
struct SourceQuery {
    id: Option<String>,
    name: Option<String>,
    ip: Option<String>,
    state: Option<String>,
    connected: Option<String>,
    migproject: Option<String>,
    enterprise_project_id: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}

#[utoipa::path(
    get,
    path = "/v3/sources",
    tag = "SMS",
    operation_id = "sms_list_sources",
    params(("id" = Option<String>, Query, description = "exact id"), ("name" = Option<String>, Query, description = "substring of the name"), ("ip" = Option<String>, Query, description = "exact IPv4"), ("state" = Option<String>, Query, description = "source state, any case"), ("connected" = Option<String>, Query, description = "true or false"), ("migproject" = Option<String>, Query, description = "migration project id"), ("enterprise_project_id" = Option<String>, Query, description = "enterprise project"), ("limit" = Option<String>, Query, description = "1 to 100, default 50"), ("offset" = Option<String>, Query, description = "default 0")),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn list_sources(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<SourceQuery>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:listServer")?;
    let q = query.into_inner();
    let page = Page::parse(q.limit.as_deref(), q.offset.as_deref(), 100, 50)?;
    let source_state = non_empty(q.state)
        .map(|s| {
            SourceState::parse(&s)
                .map(|s| s.as_str().to_owned())
                .ok_or_else(|| SmsError::invalid("state", format!("unknown state {s:?}")))
        })
        .transpose()?;
    let connected = match q.connected.as_deref() {
        None | Some("") => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            return Err(SmsError::invalid(
                "connected",
                "connected must be true or false",
            ));
        }
    };
    let filter = SourceFilter {
        id: non_empty(q.id),
        name: non_empty(q.name),
        ip: non_empty(q.ip),
        state: source_state,
        connected,
        migproject: non_empty(q.migproject),
        enterprise_project_id: non_empty(q.enterprise_project_id),
    };
    let (count, rows) =
        store::list_sources(state.db.reader(), project(&caller)?, &filter, page).await?;
    let list: Vec<Value> = rows.iter().map(source_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "count": count, "source_servers": list })))
}

fn source_json(s: &SourceRow) -> Value {
    let current_task = s.task_id.as_ref().map(|id| {
        json!({
            "id": id, "name": s.task_name, "type": s.task_type, "state": s.task_state,
            "start_date": s.task_start_date, "speed_limit": s.task_speed_limit,
            "start_target_server": s.task_start_target_server, "region_id": s.task_region_id,
            "project_id": s.task_project_id, "project_name": s.task_project_name,
        })
    });
    let mut out = match serde_json::from_str::<Value>(&s.details) {
        Ok(Value::Object(details)) => details,
        _ => serde_json::Map::new(),
    };
    let own = json!({
        "id": s.id, "name": s.name, "ip": s.ip, "ipv6": s.ipv6, "hostname": s.hostname,
        "os_type": s.os_type, "os_version": s.os_version, "state": s.state,
        "connected": s.connected, "migration_cycle": s.migration_cycle,
        "cpu_quantity": s.cpu_quantity, "memory": s.memory, "agent_version": s.agent_version,
        "migprojectid": s.migproject, "enterprise_project_id": s.enterprise_project_id,
        "add_date": s.add_date, "last_visit_time": s.last_visit_time,
        "current_task": current_task,
    });
    if let Value::Object(own) = own {
        out.extend(own);
    }
    Value::Object(out)
}

#[utoipa::path(
    get,
    path = "/v3/sources/{id}",
    tag = "SMS",
    operation_id = "sms_show_source",
    params(("id" = String, Path)),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn show_source(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:showServer")?;
    let id = domain::path_id(&id, domain::SOURCE_ID_MAX)?;
    let row = store::source(state.db.reader(), project(&caller)?, id)
        .await?
        .ok_or_else(|| SmsError::NotFound {
            what: "source server",
            ids: vec![id.to_owned()],
        })?;
    Ok(HttpResponse::Ok().json(source_json(&row)))
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
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
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

#[utoipa::path(
    post,
    path = "/v3/tasks",
    tag = "SMS",
    operation_id = "sms_create_task",
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn create_task(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonBody<CreateTaskBody>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:createTask")?;
    let task = NewTask::parse(body.parse()?)?;
    let project = project(&caller)?;
    let id = state
        .db
        .write(async |conn| store::create_task(conn, project, &task).await)
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "id": id })))
}

#[derive(Deserialize)]
struct TaskQuery {
    id: Option<String>,
    name: Option<String>,
    state: Option<String>,
    source_server_id: Option<String>,
    enterprise_project_id: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v3/tasks",
    tag = "SMS",
    operation_id = "sms_list_tasks",
    params(("id" = Option<String>, Query, description = "exact id"), ("name" = Option<String>, Query, description = "substring of the name"), ("state" = Option<String>, Query, description = "task state, any case"), ("source_server_id" = Option<String>, Query, description = "the source server"), ("enterprise_project_id" = Option<String>, Query, description = "enterprise project"), ("limit" = Option<String>, Query, description = "1 to 200, default 100"), ("offset" = Option<String>, Query, description = "default 0")),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn list_tasks(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<TaskQuery>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:listTask")?;
    let q = query.into_inner();
    let page = Page::parse(q.limit.as_deref(), q.offset.as_deref(), 200, 100)?;
    let task_state = non_empty(q.state)
        .map(|s| {
            TaskState::parse(&s)
                .map(|s| s.as_str().to_owned())
                .ok_or_else(|| SmsError::invalid("state", format!("unknown task state {s:?}")))
        })
        .transpose()?;
    let filter = TaskFilter {
        id: non_empty(q.id),
        name: non_empty(q.name),
        state: task_state,
        source_server_id: non_empty(q.source_server_id),
        enterprise_project_id: non_empty(q.enterprise_project_id),
    };
    let (count, rows) =
        store::list_tasks(state.db.reader(), project(&caller)?, &filter, page).await?;
    let list: Vec<Value> = rows.iter().map(task_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "count": count, "tasks": list })))
}

fn task_json(t: &TaskRow) -> Value {
    let target_server =
        serde_json::from_str::<Value>(&t.target_server).unwrap_or_else(|_| json!({}));
    json!({
        "id": t.id, "name": t.name, "type": t.kind, "os_type": t.os_type, "state": t.state,
        "priority": t.priority, "migration_ip": t.migration_ip, "region_id": t.region_id,
        "region_name": t.region_name, "project_id": t.target_project_id,
        "project_name": t.target_project_name, "enterprise_project_id": t.enterprise_project_id,
        "start_target_server": t.start_target_server, "syncing": t.syncing,
        "speed_limit": t.speed_limit, "create_date": t.create_date, "start_date": t.start_date,
        "finish_date": t.finish_date, "connected": t.source_connected, "error_json": "",
        "log_collect_status": "INIT", "sub_tasks": [],
        "source_server": {
            "id": t.source_id, "name": t.source_name, "ip": t.source_ip,
            "os_type": t.source_os_type, "os_version": t.source_os_version,
            "state": t.source_state, "migration_cycle": t.source_migration_cycle,
        },
        "target_server": target_server,
    })
}

#[utoipa::path(
    get,
    path = "/v3/tasks/{id}",
    tag = "SMS",
    operation_id = "sms_show_task",
    params(("id" = String, Path)),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn show_task(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:showTask")?;
    let id = domain::path_id(&id, domain::TASK_ID_MAX)?;
    let row = store::task(state.db.reader(), project(&caller)?, id)
        .await?
        .ok_or_else(|| SmsError::NotFound {
            what: "migration task",
            ids: vec![id.to_owned()],
        })?;
    Ok(HttpResponse::Ok().json(task_json(&row)))
}

#[utoipa::path(
    put,
    path = "/v3/tasks/{id}",
    tag = "SMS",
    operation_id = "sms_update_task",
    params(("id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn update_task(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<UpdateTaskBody>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:updateTask")?;
    let id = domain::path_id(&id, domain::TASK_ID_MAX)?;
    let patch = TaskPatch::parse(body.parse()?)?;
    let project = project(&caller)?;
    let found = state
        .db
        .write(async |conn| store::update_task(conn, project, id, &patch).await)
        .await?;
    if !found {
        return Err(SmsError::NotFound {
            what: "migration task",
            ids: vec![id.to_owned()],
        });
    }
    Ok(HttpResponse::Ok().json(json!({ "id": id })))
}

#[derive(Deserialize)]
struct ActionBody {
    operation: Option<String>,
    template_id: Option<String>,
}

#[utoipa::path(
    post,
    path = "/v3/tasks/{id}/action",
    tag = "SMS",
    operation_id = "sms_task_action",
    params(("id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn task_action(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<ActionBody>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:updateTaskStatus")?;
    let id = domain::path_id(&id, domain::TASK_ID_MAX)?;
    let body = body.parse()?;
    let op = Operation::parse(body.operation.as_deref().unwrap_or(""))?;
    if op == Operation::CloneTest && body.template_id.as_deref().is_none_or(str::is_empty) {
        return Err(SmsError::invalid(
            "template_id",
            "clone_test needs a template_id",
        ));
    }
    let project = project(&caller)?;
    state
        .db
        .write(async |conn| store::apply_operation(conn, project, id, op).await)
        .await?;
    Ok(empty_ok())
}

#[derive(Deserialize)]
struct AdminSourceBody {
    state: Option<String>,
    connected: Option<bool>,
}

fn bad(msg: String) -> ServiceError {
    ServiceError::Rejected(msg, actix_web::http::StatusCode::BAD_REQUEST)
}

fn missing(what: &str, id: &str) -> ServiceError {
    ServiceError::Rejected(
        format!("no {what} with id {id}"),
        actix_web::http::StatusCode::NOT_FOUND,
    )
}

/// `PUT /_cloudtwin/sms/sources/{id}` `{"state": "replicate", "connected": true}`.
#[utoipa::path(
    put,
    path = "/_cloudtwin/sms/sources/{id}",
    tag = "cloudtwin admin",
    operation_id = "admin_admin_source",
    params(("id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn admin_source(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody<AdminSourceBody>,
) -> Result<HttpResponse, ServiceError> {
    let body = body.parse()?;
    let new_state = body
        .state
        .as_deref()
        .map(|s| SourceState::parse(s).ok_or_else(|| bad(format!("unknown source state {s:?}"))))
        .transpose()?;
    let found = state
        .db
        .write(async |conn| store::force_source_state(conn, &id, new_state, body.connected).await)
        .await
        .map_err(ServiceError::from_db)?;
    if !found {
        return Err(missing("source server", &id));
    }
    Ok(empty_ok())
}

#[derive(Deserialize)]
struct AdminTaskBody {
    state: String,
}

/// `PUT /_cloudtwin/sms/tasks/{id}` `{"state": "MIGRATE_SUCCESS"}`.
#[utoipa::path(
    put,
    path = "/_cloudtwin/sms/tasks/{id}",
    tag = "cloudtwin admin",
    operation_id = "admin_admin_task",
    params(("id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 200, description = "Success", body = serde_json::Value), (status = "4XX", description = "Refused, in the API's JSON error format", body = serde_json::Value))
)]
async fn admin_task(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody<AdminTaskBody>,
) -> Result<HttpResponse, ServiceError> {
    let body = body.parse()?;
    let new_state = TaskState::parse(&body.state)
        .ok_or_else(|| bad(format!("unknown task state {:?}", body.state)))?;
    let found = state
        .db
        .write(async |conn| store::force_task_state(conn, &id, new_state).await)
        .await
        .map_err(ServiceError::from_db)?;
    if !found {
        return Err(missing("migration task", &id));
    }
    Ok(empty_ok())
}

/// The SMS operations (and their admin controls) in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    delete_tasks,
    delete_task,
    delete_sources,
    delete_source,
    register_source,
    list_sources,
    show_source,
    update_source,
    create_task,
    list_tasks,
    show_task,
    update_task,
    task_action,
    admin_source,
    admin_task
))]
pub struct Api;
