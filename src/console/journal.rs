//! `journal`: what the emulated APIs were sent, newest first, filtered and paged, with
//! the (already redacted) bodies; and a form to clear it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::layout::{self, empty_row, pager};
use super::{Confirm, PAGE, db_error, see_other, split_page};
use crate::error::TwinError;
use crate::journal::store::{self, Filter};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct JournalQuery {
    #[serde(default)]
    method: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    request_id: String,
    #[serde(default)]
    after: String,
    note: Option<String>,
}

pub async fn page(
    state: web::Data<AppState>,
    query: web::Query<JournalQuery>,
) -> Result<HttpResponse, TwinError> {
    let q = query.into_inner();
    let bad =
        |what: &str| TwinError::Rejected(format!("{what}: not a number"), StatusCode::BAD_REQUEST);
    let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let filter = Filter {
        method: some(&q.method),
        path: some(&q.path),
        status: some(&q.status)
            .map(|s| s.parse().map_err(|_| bad("status")))
            .transpose()?,
        since_ms: None,
        request_id: some(&q.request_id),
        before_id: some(&q.after)
            .map(|s| s.parse().map_err(|_| bad("after")))
            .transpose()?,
        limit: PAGE + 1,
    };
    state.journal.flush().await;
    let mut tx = state.db.read().await.map_err(db_error)?;
    let (rows, more) = split_page(store::entries(&mut tx, &filter).await.map_err(db_error)?);
    let total = store::count(&mut tx).await.map_err(db_error)?;
    drop(tx);
    let next = more
        .then(|| rows.last().map(|e| e.id.to_string()))
        .flatten();
    let pairs = [
        ("method", q.method.as_str()),
        ("path", q.path.as_str()),
        ("status", q.status.as_str()),
        ("request_id", q.request_id.as_str()),
    ];
    let body = html! {
        @if let Some(n) = &q.note { p.flash { (n) } }
        p { "The journal is " strong { (if state.journal.enabled() { "on" } else { "off" }) } ": " (total) " entries. Also at "
            code { "GET /_cloudtwin/journal" } " and " code { "cloudtwin journal" } "." }
        form.filter method="get" action={ (layout::ROOT) "journal" } {
            label { "method " input name="method" value=(q.method) size="6"; }
            label { "path contains " input name="path" value=(q.path) size="20"; }
            label { "status " input name="status" value=(q.status) size="4"; }
            label { "request id " input name="request_id" value=(q.request_id) size="20"; }
            button type="submit" { "Filter" }
        }
        table #journal-list {
            tr { th { "time" } th { "method" } th { "path" } th { "status" } th { "ms" } th { "tenant" } th { "caller" } th { "fault" } th { "body" } }
            @for e in &rows {
                tr {
                    td { (layout::when(Some(e.at_ms))) br; code { (e.request_id) } }
                    td { (e.method) } td { code { (e.path) @if !e.query.is_empty() { "?" (e.query) } } }
                    td.n { (e.status) } td.n { (format!("{:.1}", e.latency_ms)) }
                    td { (e.tenant.as_deref().unwrap_or("")) } td { (e.caller.as_deref().unwrap_or("")) }
                    td { (e.fault_id.as_deref().unwrap_or("")) }
                    td { @if let Some(b) = &e.body { pre { (b) } } }
                }
            }
            (empty_row(rows.is_empty(), 9))
        }
        (pager("journal", &pairs, next.as_deref(), rows.len()))
        form.inline method="post" action={ (layout::ROOT) "journal/clear" } {
            label { input type="checkbox" name="confirm" value="yes" required; " yes, delete every entry" }
            button type="submit" { "Clear the journal" }
        }
    };
    Ok(layout::page("Request journal", "journal", None, body))
}

pub async fn clear(
    state: web::Data<AppState>,
    form: web::Form<Confirm>,
) -> Result<HttpResponse, TwinError> {
    form.check()?;
    state.journal.flush().await;
    let removed = state
        .db
        .write(async |conn| store::clear(conn).await)
        .await
        .map_err(db_error)?;
    Ok(see_other("journal", &format!("{removed} entries removed")))
}
