//! `/_cloudtwin/faults`: add, list and remove HTTP fault rules.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use crate::error::TwinError;
use crate::extract::JsonBody;
use crate::http_faults::{Live, Rule, RuleBody, store};
use crate::kit::Replies;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/faults")
            .post(add)
            .get(list)
            .delete(remove_all),
    )
    .service(web::resource("/faults/{id}").get(show).delete(remove));
}

/// A rule as the routes show it: its id, how often it fired, and
/// the rule itself.
pub fn view(live: &Live) -> Value {
    let mut out = serde_json::to_value(&live.rule).unwrap_or_else(|_| json!({}));
    out["id"] = json!(live.id);
    out["fired"] = json!(live.fired());
    out
}

fn db_error(e: sqlx::Error) -> TwinError {
    TwinError::from_db(e)
}

/// `POST /_cloudtwin/faults`: 201 `{"id", …the rule, "fired": 0}`; a bad rule is 400
/// naming its field.
#[utoipa::path(post, path = "/_cloudtwin/faults", tag = "cloudtwin admin", operation_id = "faults_add", request_body(content = serde_json::Value, content_type = "application/json"), responses(Replies))]
async fn add(
    state: web::Data<AppState>,
    body: JsonBody<RuleBody>,
) -> Result<HttpResponse, TwinError> {
    Ok(HttpResponse::Created().json(add_rule(&state, body.parse()?).await?))
}

/// Checks and stores a rule, then puts it in force; the route and the console's form
/// both land here.
pub async fn add_rule(state: &AppState, body: RuleBody) -> Result<Value, TwinError> {
    let rule = Rule::parse(body)
        .map_err(|e| TwinError::Rejected(e.to_string(), StatusCode::BAD_REQUEST))?;
    let id = crate::http_faults::new_id();
    let spec = serde_json::to_string(&rule)
        .map_err(|e| TwinError::Rejected(e.to_string(), StatusCode::INTERNAL_SERVER_ERROR))?;
    let now = state.clock.now_ms();
    state
        .db
        .write(async |conn| store::insert(conn, &id, &spec, rule.times, now).await)
        .await
        .map_err(db_error)?;
    state.faults.reload().await.map_err(db_error)?;
    let live = state.faults.list();
    let added = live
        .iter()
        .find(|l| l.id == id)
        .map(|l| view(l))
        .unwrap_or_else(|| json!({"id": id}));
    Ok(added)
}

/// `GET /_cloudtwin/faults`: every rule, in the order they are tried.
#[utoipa::path(
    get,
    path = "/_cloudtwin/faults",
    tag = "cloudtwin admin",
    operation_id = "faults_list",
    responses(Replies)
)]
async fn list(state: web::Data<AppState>) -> HttpResponse {
    let rules: Vec<Value> = state.faults.list().iter().map(|l| view(l)).collect();
    HttpResponse::Ok().json(json!({ "faults": rules }))
}

fn missing(id: &str) -> TwinError {
    TwinError::Rejected(format!("no fault rule {id}"), StatusCode::NOT_FOUND)
}

/// `GET /_cloudtwin/faults/{id}`
#[utoipa::path(get, path = "/_cloudtwin/faults/{id}", tag = "cloudtwin admin", operation_id = "faults_show", params(("id" = String, Path)), responses(Replies))]
async fn show(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, TwinError> {
    let rules = state.faults.list();
    let live = rules
        .iter()
        .find(|l| l.id == *id)
        .ok_or_else(|| missing(&id))?;
    Ok(HttpResponse::Ok().json(view(live)))
}

/// `DELETE /_cloudtwin/faults/{id}`
#[utoipa::path(delete, path = "/_cloudtwin/faults/{id}", tag = "cloudtwin admin", operation_id = "faults_remove", params(("id" = String, Path)), responses(Replies))]
async fn remove(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, TwinError> {
    let removed = remove_rules(&state, Some(&id)).await?;
    if removed == 0 {
        return Err(missing(&id));
    }
    Ok(HttpResponse::Ok().json(json!({ "removed": removed })))
}

/// `DELETE /_cloudtwin/faults`: every rule.
#[utoipa::path(
    delete,
    path = "/_cloudtwin/faults",
    tag = "cloudtwin admin",
    operation_id = "faults_remove_all",
    responses(Replies)
)]
async fn remove_all(state: web::Data<AppState>) -> Result<HttpResponse, TwinError> {
    let removed = remove_rules(&state, None).await?;
    Ok(HttpResponse::Ok().json(json!({ "removed": removed })))
}

/// Removes one rule (or every rule) and takes it out of force; how many went.
pub async fn remove_rules(state: &AppState, id: Option<&str>) -> Result<u64, TwinError> {
    let removed = state
        .db
        .write(async |conn| store::remove(conn, id).await)
        .await
        .map_err(db_error)?;
    state.faults.reload().await.map_err(db_error)?;
    Ok(removed)
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(add, list, show, remove, remove_all))]
pub struct Api;
