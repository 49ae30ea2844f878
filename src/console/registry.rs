//! `registry`: every tenant with its apps; `registry/services`: a tenant's services in
//! name order with their live instances (counted in the read model, where heartbeats
//! renew leases).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::layout::{self, empty_row, href, pager};
use super::store::registry::{self as store, ServiceFilter};
use super::{PAGE, db_error, split_page};
use crate::error::TwinError;
use crate::registry::Model;
use crate::registry::domain::Tenant;
use crate::state::AppState;

pub async fn tenants(
    state: web::Data<AppState>,
    model: web::Data<Model>,
) -> Result<HttpResponse, TwinError> {
    let now = state.clock.now_ms();
    let mut tx = state.db.read().await.map_err(db_error)?;
    let apps = store::apps(&mut tx).await.map_err(db_error)?;
    drop(tx);
    let tenants = model.tenant_counts(now);
    let body = html! {
        table #tenant-list {
            tr { th { "domain" } th { "project" } th { "services" } th { "live instances" } }
            @for (t, services, live) in &tenants {
                tr { td { (t.domain) } td { a href=(href("registry/services", &[("domain", &t.domain), ("project", &t.project)])) { (t.project) } }
                     td.n { (services) } td.n { (live) } }
            }
            (empty_row(tenants.is_empty(), 4))
        }
        h2 { "Apps" }
        table #app-list {
            tr { th { "domain" } th { "project" } th { "environment" } th { "app" } th { "services" } th { "dependencies" } }
            @for a in &apps {
                @let tenant = [("domain", a.domain.as_str()), ("project", a.project.as_str()), ("app", a.app_id.as_str())];
                tr { td { (a.domain) } td { (a.project) } td { (a.environment) }
                     td { a href=(href("registry/services", &tenant)) { (a.app_id) } }
                     td.n { (a.services) }
                     td { a href=(href("registry/graph", &tenant)) { "graph" } } }
            }
            (empty_row(apps.is_empty(), 6))
        }
    };
    Ok(layout::page("Registry", "registry", None, body))
}

#[derive(Deserialize)]
pub struct ServicesQuery {
    #[serde(default)]
    domain: String,
    #[serde(default)]
    project: String,
    #[serde(default)]
    app: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    after: String,
}

pub async fn services(
    state: web::Data<AppState>,
    model: web::Data<Model>,
    query: web::Query<ServicesQuery>,
) -> Result<HttpResponse, TwinError> {
    let q = query.into_inner();
    let mut cursor = q.after.splitn(3, '\u{1f}');
    let after = match (cursor.next(), cursor.next(), cursor.next()) {
        (Some(n), Some(v), Some(id)) => Some((n, v, id)),
        (Some(""), None, None) => None,
        _ => {
            return Err(TwinError::Rejected(
                "after: not a cursor of this list".into(),
                StatusCode::BAD_REQUEST,
            ));
        }
    };
    let now = state.clock.now_ms();
    let filter = ServiceFilter {
        domain: &q.domain,
        project: &q.project,
        app: &q.app,
        name: &q.name,
        after,
    };
    let mut tx = state.db.read().await.map_err(db_error)?;
    let (rows, more) = split_page(
        store::services(&mut tx, &filter, PAGE + 1)
            .await
            .map_err(db_error)?,
    );
    drop(tx);
    let tenant = Tenant {
        domain: q.domain.clone(),
        project: q.project.clone(),
    };
    let ids: Vec<&str> = rows.iter().map(|r| r.service_id.as_str()).collect();
    let live = model.live_counts(&tenant, &ids, now);
    let pairs = [
        ("domain", q.domain.as_str()),
        ("project", q.project.as_str()),
        ("app", q.app.as_str()),
        ("name", q.name.as_str()),
    ];
    let next = more
        .then(|| {
            rows.last().map(|r| {
                format!(
                    "{}\u{1f}{}\u{1f}{}",
                    r.service_name, r.version, r.service_id
                )
            })
        })
        .flatten();
    let service_link = |id: &str| {
        href(
            "registry/service",
            &[("domain", &q.domain), ("project", &q.project), ("id", id)],
        )
    };
    let body = html! {
        p { a href=(href("registry", &[])) { "← tenants and apps" } " · tenant " strong { (q.domain) " / " (q.project) }
            @if !q.app.is_empty() { " · app " strong { (q.app) } " · " a href=(href("registry/graph", &pairs[..3])) { "dependency graph" } } }
        form.filter method="get" action={ (layout::ROOT) "registry/services" } {
            input type="hidden" name="domain" value=(q.domain);
            input type="hidden" name="project" value=(q.project);
            label { "app " input name="app" value=(q.app) size="16"; }
            label { "name contains " input name="name" value=(q.name) size="16"; }
            button type="submit" { "Filter" }
        }
        table #service-list {
            tr { th { "name" } th { "version" } th { "app" } th { "environment" } th { "status" } th { "live instances" } }
            @for (s, n) in rows.iter().zip(&live) {
                tr { td { a href=(service_link(&s.service_id)) { (s.service_name) } } td { (s.version) } td { (s.app_id) }
                     td { (s.environment) } td { (s.status) } td.n { (n) } }
            }
            (empty_row(rows.is_empty(), 6))
        }
        (pager("registry/services", &pairs, next.as_deref(), rows.len()))
    };
    Ok(layout::page("Microservices", "registry", None, body))
}
