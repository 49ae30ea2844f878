//! `registry/service`: one microservice: its fields, schemas, tags, properties, the
//! services it depends on and those that depend on it, and its live instances with the
//! time left on each lease (read from the read model, where heartbeats renew them).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::layout::{self, empty_row, href, pager};
use super::store::registry::{self as store, Neighbour};
use super::{PAGE, db_error};
use crate::error::TwinError;
use crate::registry::Model;
use crate::registry::domain::{ServiceId, Tenant};
use crate::registry::store as registry_store;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct ServiceQuery {
    #[serde(default)]
    domain: String,
    #[serde(default)]
    project: String,
    #[serde(default)]
    id: String,
    /// The id of the last instance of the previous page.
    #[serde(default)]
    after: String,
}

pub async fn detail(
    state: web::Data<AppState>,
    model: web::Data<Model>,
    query: web::Query<ServiceQuery>,
) -> Result<HttpResponse, TwinError> {
    let q = query.into_inner();
    let now = state.clock.now_ms();
    let (domain, project, id) = (q.domain.as_str(), q.project.as_str(), q.id.as_str());
    let tenant = Tenant {
        domain: q.domain.clone(),
        project: q.project.clone(),
    };
    let missing = |_| {
        TwinError::Rejected(
            format!("no service {id} in {domain}/{project}"),
            StatusCode::NOT_FOUND,
        )
    };
    let service_id = ServiceId::parse(id).map_err(missing)?;
    let mut tx = state.db.read().await.map_err(db_error)?;
    // The registry's own reads: what the API shows of the service is what the page shows.
    let service = registry_store::get_service(&mut tx, &tenant, &service_id)
        .await
        .map_err(missing)?;
    let schemas = registry_store::list_schemas(&mut tx, &tenant, &service_id)
        .await
        .map_err(missing)?;
    let tags = registry_store::get_tags(&mut tx, &tenant, &service_id)
        .await
        .map_err(missing)?;
    let providers = store::providers(&mut tx, domain, project, id)
        .await
        .map_err(db_error)?;
    let consumers = store::consumers(&mut tx, domain, project, id)
        .await
        .map_err(db_error)?;
    drop(tx);
    let instances = model.instances_of(&tenant, id, now).unwrap_or_default();
    let start = instances
        .iter()
        .position(|e| *e.instance_id == *q.after)
        .map_or(0, |at| at + 1);
    let shown = &instances[start.min(instances.len())..];
    let more = shown.len() > PAGE as usize;
    let shown = &shown[..shown.len().min(PAGE as usize)];
    let next = more
        .then(|| shown.last().map(|e| &*e.instance_id))
        .flatten();
    let pairs = [("domain", domain), ("project", project), ("id", id)];
    let app = [
        ("domain", domain),
        ("project", project),
        ("app", service.app_id.as_str()),
    ];
    let body = html! {
        p { a href=(href("registry/services", &app)) { "← services of app " (service.app_id) }
            " · " a href=(href("registry/graph", &app)) { "dependency graph" } }
        dl {
            dt { "id" } dd { code { (service.service_id) } }
            dt { "app / environment" } dd { (service.app_id) " / " (service.environment) }
            dt { "version" } dd { (service.version) }
            dt { "status" } dd { (service.status) }
            dt { "alias" } dd { (service.alias) }
            dt { "description" } dd #service-description { (service.description) }
            dt { "level" } dd { (service.level) }
            dt { "registered by" } dd { (service.register_by) }
            dt { "created" } dd { (layout::when(Some(service.created_at * 1000))) }
            dt { "modified" } dd { (layout::when(Some(service.modified_at * 1000))) }
        }
        h2 { "Instances (" (instances.len()) " live)" }
        table #instance-list {
            tr { th { "instance" } th { "host" } th { "status" } th { "endpoints" } th { "lease left" } }
            @for e in shown {
                @let json: Value = serde_json::from_str(&e.json).unwrap_or(Value::Null);
                tr id={ "instance-" (e.instance_id) } {
                    td { code { (e.instance_id) } } td { (json["hostName"].as_str().unwrap_or("")) }
                    td { (json["status"].as_str().unwrap_or("")) }
                    td { @for ep in json["endpoints"].as_array().into_iter().flatten() { code { (ep.as_str().unwrap_or("")) } br; } }
                    td.n { (layout::duration((e.expires_ms() - now) / 1000)) }
                }
            }
            (empty_row(shown.is_empty(), 5))
        }
        (pager("registry/service", &pairs, next, shown.len()))
        h2 { "Depends on" }
        (neighbours("providers", domain, project, &providers))
        h2 { "Used by" }
        (neighbours("consumers", domain, project, &consumers))
        h2 { "Schemas" }
        table #schemas {
            tr { th { "schema" } th { "summary" } }
            @for s in &schemas { tr { td { code { (s.schema_id) } } td { (s.summary) } } }
            (empty_row(schemas.is_empty(), 2))
        }
        h2 { "Tags" }
        table #tags {
            tr { th { "key" } th { "value" } }
            @for (k, v) in &tags { tr { td { (k) } td { (v) } } }
            (empty_row(tags.is_empty(), 2))
        }
        h2 { "Properties and framework" }
        pre #properties { (layout::pretty(&service.properties)) }
        pre { (layout::pretty(service.framework.as_deref().unwrap_or(""))) }
    };
    Ok(layout::page(
        &format!("Service {}", service.service_name),
        "registry",
        None,
        body,
    ))
}

fn neighbours(id: &str, domain: &str, project: &str, rows: &[Neighbour]) -> Markup {
    html! {
        table id=(id) {
            tr { th { "service" } th { "version" } th { "app" } th { "environment" } }
            @for n in rows {
                tr {
                    td { @if let Some(sid) = &n.service_id {
                        a href=(href("registry/service", &[("domain", domain), ("project", project), ("id", sid)])) { (n.service_name) }
                    } @else { (n.service_name) " (not registered)" } }
                    td { (n.version.as_deref().unwrap_or("")) } td { (n.app_id) } td { (n.environment) }
                }
            }
            (empty_row(rows.is_empty(), 4))
        }
    }
}
