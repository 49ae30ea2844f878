//! Migration tasks: create, list, show, update, actions, delete.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::super::domain::{
    self, CreateTaskBody, NewTask, Operation, Page, TaskPatch, TaskState, UpdateTaskBody,
};
use super::super::error::SmsError;
use super::super::store;
use super::super::store::TaskFilter;
use super::*;
use crate::extract::JsonBody;
use crate::iam::Caller;
use crate::kit::Replies;
use crate::state::AppState;
use utoipa::IntoParams;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // The literal `/delete` path comes before `/{id}` so that it wins.
    cfg.service(web::resource("/tasks/delete").post(delete_tasks))
        .service(web::resource("/tasks").post(create_task).get(list_tasks))
        .service(
            web::resource("/tasks/{id}")
                .get(show_task)
                .put(update_task)
                .delete(delete_task),
        )
        .service(web::resource("/tasks/{id}/action").post(task_action));
}

#[utoipa::path(
    post,
    path = "/v3/tasks/delete",
    tag = "SMS",
    operation_id = "sms_delete_tasks",
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn delete_tasks(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonBody<IdsBody>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:batchDeleteTask")?;
    let body = body
        .parse()
        .map_err(|e| SmsError::from(e).recode("SMS.2031", "SMS.2032"))?;
    let ids = BatchIds::parse(body.ids, domain::TASK_ID_MAX)
        .map_err(|e| e.recode("SMS.2031", "SMS.2032"))?;
    // The batch names unknown tasks with its own code.
    delete_all(&state, &caller, Deletion::Tasks, &ids)
        .await
        .map_err(|e| match e {
            SmsError::NotFound { ids, .. } => SmsError::Documented {
                status: actix_web::http::StatusCode::NOT_FOUND,
                code: "SMS.2219",
                msg: "migration tasks not found".into(),
                params: ids,
            },
            other => other,
        })
}

#[utoipa::path(
    delete,
    path = "/v3/tasks/{id}",
    tag = "SMS",
    operation_id = "sms_delete_task",
    params(("id" = String, Path)),
    responses(Replies)
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
    path = "/v3/tasks",
    tag = "SMS",
    operation_id = "sms_create_task",
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
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
        .write(async |conn| store::create_task(conn, project, &task, state.clock.now_ms()).await)
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "id": id })))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TaskQuery {
    /// exact id
    id: Option<String>,
    /// substring of the name
    name: Option<String>,
    /// task state, any case
    state: Option<String>,
    /// the source server
    source_server_id: Option<String>,
    /// enterprise project
    enterprise_project_id: Option<String>,
    /// 1 to 200, default 100
    limit: Option<String>,
    /// default 0
    offset: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v3/tasks",
    tag = "SMS",
    operation_id = "sms_list_tasks",
    params(TaskQuery),
    responses(Replies)
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
    let mut tx = state.db.read().await?;
    let (count, mut rows) = store::list_tasks(&mut tx, project(&caller)?, &filter, page).await?;
    let ids: Vec<&str> = rows.iter().map(|t| t.id.as_str()).collect();
    let mut subtasks = store::subtasks_of(&mut tx, &ids).await?;
    let settings = store::settings_of(&mut tx, &ids).await?;
    let runs = store::simulation::runs_of(&mut tx, &ids).await?;
    views::simulate_tasks(&mut rows, &mut subtasks, &runs, state.clock.now_ms());
    let tasks = views::tasks(&rows, &subtasks, &settings);
    Ok(HttpResponse::Ok().json(views::TaskList { count, tasks }))
}

#[utoipa::path(
    get,
    path = "/v3/tasks/{id}",
    tag = "SMS",
    operation_id = "sms_show_task",
    params(("id" = String, Path)),
    responses(Replies)
)]
async fn show_task(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:server:showTask")?;
    let id = domain::path_id(&id, domain::TASK_ID_MAX)?;
    let mut tx = state.db.read().await?;
    let mut row = store::task(&mut tx, project(&caller)?, id)
        .await?
        .ok_or_else(|| SmsError::NotFound {
            what: "migration task",
            ids: vec![id.to_owned()],
        })?;
    let mut subtasks = store::subtasks_of(&mut tx, &[id]).await?;
    let settings = store::settings_of(&mut tx, &[id]).await?;
    let runs = store::simulation::runs_of(&mut tx, &[id]).await?;
    views::simulate_tasks(
        std::slice::from_mut(&mut row),
        &mut subtasks,
        &runs,
        state.clock.now_ms(),
    );
    let mut rendered = views::tasks(std::slice::from_ref(&row), &subtasks, &settings);
    Ok(HttpResponse::Ok().json(rendered.pop()))
}

#[utoipa::path(
    put,
    path = "/v3/tasks/{id}",
    tag = "SMS",
    operation_id = "sms_update_task",
    params(("id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
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
        .write(async |conn| {
            let found = store::update_task(conn, project, id, &patch).await?;
            if found && patch.speed_limit.is_some() {
                // A running simulated migration copies at the new limit from now on.
                let sim = &state.settings.sms.simulation;
                store::simulation::replan(conn, id, state.clock.now_ms(), sim).await?;
            }
            Ok::<_, SmsError>(found)
        })
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
    responses(Replies)
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
        return Err(SmsError::bad(
            "SMS.6011",
            "template_id",
            "clone_test needs a template_id",
        ));
    }
    let project = project(&caller)?;
    state
        .db
        .write(async |conn| {
            let sim = &state.settings.sms.simulation;
            let sim = sim.enabled.then_some(sim);
            store::apply_operation(conn, project, id, op, state.clock.now_ms(), sim).await
        })
        .await?;
    Ok(empty_ok())
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    delete_tasks,
    delete_task,
    create_task,
    list_tasks,
    show_task,
    update_task,
    task_action
))]
pub struct Api;
