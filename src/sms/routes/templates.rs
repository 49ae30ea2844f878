//! Target-server templates: create, list, show, update, delete (one or a batch), and the
//! target password.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::IntoParams;

use super::super::domain::{
    BatchIds, NewTemplateBody, Page, TEMPLATE_ID_MAX, TemplateFields, path_id,
};
use super::super::error::SmsError;
use super::super::store::{self, TemplateFilter, TemplateRow, template_missing};
use super::*;
use crate::extract::JsonBody;
use crate::iam::Caller;
use crate::kit::Replies;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // The literal `/delete` path comes before `/{id}` so that it wins.
    cfg.service(web::resource("/vm/templates/delete").post(delete_templates))
        .service(
            web::resource("/vm/templates")
                .post(create_template)
                .get(list_templates),
        )
        .service(
            web::resource("/vm/templates/{id}")
                .get(show_template)
                .put(update_template)
                .delete(delete_template),
        )
        .service(web::resource("/vm/templates/{id}/target-password").get(target_password));
}

/// `TemplateResponseBody`: the request fields plus `id`, `is_template` as a string, and
/// the target password masked (it has an operation of its own).
#[derive(Serialize)]
struct TemplateView {
    id: String,
    name: String,
    is_template: String,
    region: String,
    projectid: String,
    target_server_name: String,
    availability_zone: String,
    volumetype: String,
    flavor: String,
    vpc: Value,
    nics: Value,
    security_groups: Value,
    publicip: Value,
    disk: Value,
    data_volume_type: String,
    target_password: &'static str,
    image_id: String,
}

/// What list and show put in `target_password`: the real service's examples mask it.
const MASKED: &str = "********";

fn column(text: &str) -> Result<Value, SmsError> {
    serde_json::from_str(text).map_err(|e| SmsError::Internal(format!("stored template JSON: {e}")))
}

impl TryFrom<TemplateRow> for TemplateView {
    type Error = SmsError;

    fn try_from(t: TemplateRow) -> Result<Self, SmsError> {
        Ok(Self {
            vpc: column(&t.vpc)?,
            nics: column(&t.nics)?,
            security_groups: column(&t.security_groups)?,
            publicip: column(&t.publicip)?,
            disk: column(&t.disk)?,
            target_password: if t.target_password.is_empty() {
                ""
            } else {
                MASKED
            },
            is_template: t.is_template.to_string(),
            id: t.id,
            name: t.name,
            region: t.region,
            projectid: t.projectid,
            target_server_name: t.target_server_name,
            availability_zone: t.availability_zone,
            volumetype: t.volumetype,
            flavor: t.flavor,
            data_volume_type: t.data_volume_type,
            image_id: t.image_id,
        })
    }
}

fn id_of(raw: &str) -> Result<&str, SmsError> {
    path_id(raw, TEMPLATE_ID_MAX)
}

#[utoipa::path(
    post,
    path = "/v3/vm/templates",
    tag = "SMS",
    operation_id = "sms_create_template",
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn create_template(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonBody<NewTemplateBody>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:template:create")?;
    let fields = TemplateFields::parse_new(body.parse()?.template)?;
    let project = project(&caller)?;
    let id = state
        .db
        .write(async |conn| {
            store::create_template(conn, project, &fields, state.clock.now_ms()).await
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "id": id })))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TemplateQuery {
    /// part of the name
    name: Option<String>,
    /// exact availability zone
    availability_zone: Option<String>,
    /// exact region
    region: Option<String>,
    /// exact id
    id: Option<String>,
    /// 0 to 100, 0 or absent meaning 50
    limit: Option<String>,
    /// 0 to 65535, default 0
    offset: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v3/vm/templates",
    tag = "SMS",
    operation_id = "sms_list_templates",
    params(TemplateQuery),
    responses(Replies)
)]
async fn list_templates(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<TemplateQuery>,
) -> Result<HttpResponse, SmsError> {
    #[derive(Serialize)]
    struct List {
        count: i64,
        templates: Vec<TemplateView>,
    }
    caller.require("sms:template:list")?;
    let q = query.into_inner();
    let page = Page::parse(q.limit.as_deref(), q.offset.as_deref(), 100, 50)?;
    let filter = TemplateFilter {
        id: non_empty(q.id),
        name: non_empty(q.name),
        availability_zone: non_empty(q.availability_zone),
        region: non_empty(q.region),
    };
    let project = project(&caller)?;
    let (count, rows) =
        store::list_templates(&mut *state.db.read().await?, project, &filter, page).await?;
    Ok(HttpResponse::Ok().json(List {
        count,
        templates: rows
            .into_iter()
            .map(TemplateView::try_from)
            .collect::<Result<_, _>>()?,
    }))
}

#[utoipa::path(
    get,
    path = "/v3/vm/templates/{id}",
    tag = "SMS",
    operation_id = "sms_show_template",
    params(("id" = String, Path)),
    responses(Replies)
)]
async fn show_template(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:template:get")?;
    let id = id_of(&id)?;
    let row = store::template(&mut *state.db.read().await?, project(&caller)?, id)
        .await?
        .ok_or_else(|| template_missing(id))?;
    Ok(HttpResponse::Ok().json(json!({ "template": TemplateView::try_from(row)? })))
}

#[utoipa::path(
    put,
    path = "/v3/vm/templates/{id}",
    tag = "SMS",
    operation_id = "sms_update_template",
    params(("id" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn update_template(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<NewTemplateBody>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:template:update")?;
    let id = id_of(&id)?;
    let fields = TemplateFields::parse(body.parse()?.template)?;
    let project = project(&caller)?;
    state
        .db
        .write(async |conn| store::update_template(conn, project, id, &fields).await)
        .await?;
    Ok(empty_ok())
}

#[utoipa::path(
    delete,
    path = "/v3/vm/templates/{id}",
    tag = "SMS",
    operation_id = "sms_delete_template",
    params(("id" = String, Path)),
    responses(Replies)
)]
async fn delete_template(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:template:delete")?;
    let ids = BatchIds::single(id.into_inner(), TEMPLATE_ID_MAX)?;
    let project = project(&caller)?;
    state
        .db
        .write(async |conn| store::delete_templates(conn, project, &ids).await)
        .await?;
    Ok(empty_ok())
}

#[utoipa::path(
    post,
    path = "/v3/vm/templates/delete",
    tag = "SMS",
    operation_id = "sms_delete_templates",
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(Replies)
)]
async fn delete_templates(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonBody<IdsBody>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:template:batchDelete")?;
    let ids = BatchIds::parse(body.parse()?.ids, TEMPLATE_ID_MAX)?;
    let project = project(&caller)?;
    state
        .db
        .write(async |conn| store::delete_templates(conn, project, &ids).await)
        .await?;
    Ok(empty_ok())
}

#[utoipa::path(
    get,
    path = "/v3/vm/templates/{id}/target-password",
    tag = "SMS",
    operation_id = "sms_show_target_password",
    params(("id" = String, Path)),
    responses(Replies)
)]
async fn target_password(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, SmsError> {
    caller.require("sms:template:getTargetPassword")?;
    let id = id_of(&id)?;
    let row = store::template(&mut *state.db.read().await?, project(&caller)?, id)
        .await?
        .ok_or_else(|| template_missing(id))?;
    Ok(HttpResponse::Ok().json(json!({
        "template_id": row.id,
        "target_password": row.target_password,
    })))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    create_template,
    list_templates,
    show_template,
    update_template,
    delete_template,
    delete_templates,
    target_password
))]
pub struct Api;
