//! `faults`: the HTTP fault rules in force (add and remove) beside the faults armed on
//! simulated migrations (disarm). The forms call what `/_cloudtwin/faults` and
//! `/_cloudtwin/sms/tasks/{id}/fault` call.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::layout::{self, empty_row, href};
use super::{Note, db_error, see_other};
use crate::admin::faults::{add_rule, remove_rules};
use crate::error::TwinError;
use crate::http_faults::RuleBody;
use crate::sms::store::faults as sms_faults;
use crate::state::AppState;

/// Armed migration faults shown at most.
const SHOWN: i64 = 200;

pub async fn page(
    state: web::Data<AppState>,
    note: web::Query<Note>,
) -> Result<HttpResponse, TwinError> {
    let rules = state.faults.list();
    let mut tx = state.db.read().await.map_err(db_error)?;
    let armed = sms_faults::faults(&mut tx, SHOWN).await.map_err(db_error)?;
    drop(tx);
    let action = |path: &str| format!("{}{path}", layout::ROOT);
    let body = html! {
        @if let Some(n) = &note.note { p.flash { (n) } }
        h2 { "HTTP fault rules" }
        p.empty { "Tried in order on every /v3 and /v4 request; the first that matches and has firings left answers instead of the API." }
        table #rule-list {
            tr { th { "id" } th { "method" } th { "path" } th { "action" } th { "answer" } th { "fired" } th {} }
            @for l in rules.iter() {
                @let r = &l.rule;
                tr {
                    td { code { (l.id) } } td { (r.method.as_deref().unwrap_or("any")) } td { code { (r.path) } }
                    td { (format!("{:?} {:?}", r.action, r.when).to_lowercase()) }
                    td { (r.status.map(|s| s.to_string()).unwrap_or_default()) " " (r.error_code.as_deref().unwrap_or(""))
                         @if r.latency_ms > 0 { " after " (r.latency_ms) " ms" } }
                    td.n { (l.fired()) @if let Some(t) = r.times { " of " (t) } }
                    td { form.inline method="post" action=(action("faults/remove")) {
                        input type="hidden" name="id" value=(l.id);
                        button type="submit" { "Remove" }
                    } }
                }
            }
            (empty_row(rules.is_empty(), 7))
        }
        h2 { "Add a rule" }
        form.filter #add-rule method="post" action=(action("faults/add")) {
            label { "method " input name="method" size="6" placeholder="any"; }
            label { "path " input name="path" size="24" placeholder="/v3/tasks*" required; }
            label { "status " input type="number" name="status" size="4" placeholder="503"; }
            label { "error code " input name="error_code" size="10"; }
            label { "delay (ms) " input type="number" name="latency_ms" size="6"; }
            label { "times " input type="number" name="times" size="4"; }
            select name="action" aria-label="action" {
                option value="" { "respond" } option value="delay" { "delay" } option value="reset" { "reset" }
            }
            button type="submit" { "Add" }
        }
        h2 { "Faults armed on simulated migrations" }
        table #armed-list {
            tr { th { "task" } th { "fails at" } th { "error" } th { "disconnect" } th { "fired" } th {} }
            @for f in &armed {
                tr {
                    td { a href=(href(&format!("sms/tasks/{}", f.task_id), &[])) { (f.task_name) } }
                    td { (f.subtask.as_deref().unwrap_or("")) } td { code { (f.error_code) } }
                    td { @if f.disconnect { "yes" } } td { @if f.fired_ms.is_some() { "yes" } }
                    td { form.inline method="post" action=(action("faults/disarm")) {
                        input type="hidden" name="task" value=(f.task_id);
                        button type="submit" { "Disarm" }
                    } }
                }
            }
            (empty_row(armed.is_empty(), 6))
        }
        p.empty { "Arm one with POST /_cloudtwin/sms/tasks/{id}/fault (see the API explorer)." }
    };
    Ok(layout::page("Faults", "faults", None, body))
}

/// The add form: every field text, empty meaning "not given".
#[derive(Deserialize)]
pub struct RuleForm {
    #[serde(default)]
    method: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    error_code: String,
    #[serde(default)]
    latency_ms: String,
    #[serde(default)]
    times: String,
    #[serde(default)]
    action: String,
}

fn given(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn number<T: std::str::FromStr>(field: &str, s: &str) -> Result<Option<T>, TwinError> {
    given(s)
        .map(|v| {
            v.parse().map_err(|_| {
                TwinError::Rejected(
                    format!("{field}: not a number: {v}"),
                    StatusCode::BAD_REQUEST,
                )
            })
        })
        .transpose()
}

pub async fn add(
    state: web::Data<AppState>,
    form: web::Form<RuleForm>,
) -> Result<HttpResponse, TwinError> {
    let f = form.into_inner();
    let body = RuleBody {
        method: given(&f.method),
        path: given(&f.path),
        status: number("status", &f.status)?,
        error_code: given(&f.error_code),
        latency_ms: number("latency_ms", &f.latency_ms)?,
        times: number("times", &f.times)?,
        action: given(&f.action),
        ..Default::default()
    };
    let added = add_rule(&state, body).await?;
    let id = added["id"].as_str().unwrap_or_default();
    Ok(see_other("faults", &format!("rule {id} added")))
}

#[derive(Deserialize)]
pub struct RemoveForm {
    id: String,
}

pub async fn remove(
    state: web::Data<AppState>,
    form: web::Form<RemoveForm>,
) -> Result<HttpResponse, TwinError> {
    let removed = remove_rules(&state, Some(&form.id)).await?;
    let note = if removed == 0 {
        "no such rule"
    } else {
        "rule removed"
    };
    Ok(see_other("faults", note))
}

#[derive(Deserialize)]
pub struct DisarmForm {
    task: String,
}

pub async fn disarm(
    state: web::Data<AppState>,
    form: web::Form<DisarmForm>,
) -> Result<HttpResponse, TwinError> {
    let removed = state
        .db
        .write(async |conn| sms_faults::disarm(conn, &form.task).await)
        .await
        .map_err(db_error)?;
    let note = if removed {
        "fault disarmed"
    } else {
        "no fault armed on that task"
    };
    Ok(see_other("faults", note))
}
