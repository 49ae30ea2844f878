//! `/_cloudtwin/journal`: what the emulated APIs were sent, newest first, and clearing it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

use crate::error::TwinError;
use crate::journal::store::{self, Filter};
use crate::kit::Replies;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/journal").get(list).delete(clear));
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JournalQuery {
    /// only this method
    method: Option<String>,
    /// only paths containing this
    path: Option<String>,
    /// only this status (0: connections a fault reset)
    status: Option<i64>,
    /// only entries at or after this simulated time (ms)
    since_ms: Option<i64>,
    /// only this request id
    request_id: Option<String>,
    /// how many, 1 to 1000 (default 100)
    limit: Option<i64>,
}

impl JournalQuery {
    pub fn filter(self) -> Result<Filter, String> {
        let limit = self.limit.unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return Err("limit: must be 1 to 1000".into());
        }
        let some = |v: Option<String>| v.filter(|v| !v.is_empty());
        Ok(Filter {
            method: some(self.method),
            path: some(self.path),
            status: self.status,
            since_ms: self.since_ms,
            request_id: some(self.request_id),
            before_id: None,
            limit,
        })
    }
}

/// `GET /_cloudtwin/journal`: `{"entries": [...]}`, newest first. Entries still waiting
/// for their batch are written first, so the answer includes every earlier request.
#[utoipa::path(
    get,
    path = "/_cloudtwin/journal",
    tag = "cloudtwin admin",
    operation_id = "journal_list",
    params(JournalQuery),
    responses(Replies)
)]
async fn list(
    state: web::Data<AppState>,
    query: web::Query<JournalQuery>,
) -> Result<HttpResponse, TwinError> {
    let filter = query
        .into_inner()
        .filter()
        .map_err(|why| TwinError::Rejected(why, StatusCode::BAD_REQUEST))?;
    state.journal.flush().await;
    let mut tx = state.db.read().await.map_err(TwinError::from_db)?;
    let entries = store::entries(&mut tx, &filter)
        .await
        .map_err(TwinError::from_db)?;
    Ok(HttpResponse::Ok().json(json!({
        "enabled": state.journal.enabled(),
        "entries": entries,
    })))
}

/// `DELETE /_cloudtwin/journal`
#[utoipa::path(
    delete,
    path = "/_cloudtwin/journal",
    tag = "cloudtwin admin",
    operation_id = "journal_clear",
    responses(Replies)
)]
async fn clear(state: web::Data<AppState>) -> Result<HttpResponse, TwinError> {
    state.journal.flush().await;
    let removed = state
        .db
        .write(async |conn| store::clear(conn).await)
        .await
        .map_err(TwinError::from_db)?;
    Ok(HttpResponse::Ok().json(json!({ "removed": removed })))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(list, clear))]
pub struct Api;
