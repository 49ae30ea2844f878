//! `identity`: domains and projects, users with their grants and access key ids. Never
//! a secret or a password hash: the store does not read them.

use actix_web::{HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::layout::{self, empty_row, href, pager};
use super::store::iam as store;
use super::{PAGE, db_error, split_page};
use crate::error::TwinError;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct UsersQuery {
    /// `domain/name` of the last user of the previous page.
    #[serde(default)]
    after: String,
}

pub async fn page(
    state: web::Data<AppState>,
    query: web::Query<UsersQuery>,
) -> Result<HttpResponse, TwinError> {
    let after = query.after.split_once('/').unwrap_or(("", ""));
    let mut tx = state.db.read().await.map_err(db_error)?;
    let projects = store::projects(&mut tx).await.map_err(db_error)?;
    let (users, more) = split_page(
        store::users(&mut tx, after, PAGE + 1)
            .await
            .map_err(db_error)?,
    );
    drop(tx);
    let next = more
        .then(|| users.last().map(|u| format!("{}/{}", u.domain, u.name)))
        .flatten();
    let demo = &state.settings.demo;
    let body = html! {
        @if demo.enabled {
            p { "The demo account: domain " code { (demo.domain) } ", user " code { (demo.user) } ". A token: "
                code { "POST /v3/auth/tokens" } " with its password, or the " a href="/docs/" { "API explorer" } "'s demo token button." }
        }
        h2 { "Projects" }
        table #project-list {
            tr { th { "domain" } th { "project" } th { "id" } th { "created" } th {} }
            @for p in &projects {
                tr { td { (p.domain) } td { (p.name) } td { code { (p.id) } } td { (layout::when(Some(p.created_at * 1000))) }
                     td { a href=(href("sms/tasks", &[("project", &p.id)])) { "tasks" } " · "
                          a href=(href("registry/services", &[("domain", &p.domain), ("project", &p.name)])) { "services" } } }
            }
            (empty_row(projects.is_empty(), 5))
        }
        h2 { "Users" }
        table #user-list {
            tr { th { "domain" } th { "user" } th { "granted" } th { "access keys" } th { "created" } }
            @for u in &users {
                tr { td { (u.domain) } td { (u.name) } td { (u.actions) } td { code { (u.keys) } } td { (layout::when(Some(u.created_at * 1000))) } }
            }
            (empty_row(users.is_empty(), 5))
        }
        (pager("identity", &[], next.as_deref(), users.len()))
    };
    Ok(layout::page("Identity", "identity", None, body))
}
