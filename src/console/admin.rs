//! `admin`: reset the twin (optionally to a fixture) and take a snapshot, each behind a
//! ticked confirmation. Both call what `POST /_cloudtwin/reset` and
//! `POST /_cloudtwin/snapshot` call, behind the same admin guard.

use actix_web::{HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::layout;
use super::{Confirm, Note, see_other};
use crate::admin::routes::{reset_to, take_snapshot};
use crate::error::TwinError;
use crate::state::AppState;

pub async fn page(state: web::Data<AppState>, note: web::Query<Note>) -> HttpResponse {
    let fixtures = crate::admin::fixture_names(&state.settings.admin);
    let action = |path: &str| format!("{}{path}", layout::ROOT);
    let body = html! {
        @if let Some(n) = &note.note { p.flash { (n) } }
        h2 { "Reset" }
        p { "Deletes every task, source, template, service, instance, account, fault rule and journal entry, re-creates the demo account, then loads the fixture if one is chosen. One transaction: a fixture that fails leaves everything as it was." }
        form.filter #reset method="post" action=(action("admin/reset")) {
            label { "fixture " select name="fixture" {
                option value="" { "(none: empty)" }
                @for f in &fixtures { option value=(f) { (f) } }
            } }
            label { input type="checkbox" name="confirm" value="yes" required; " yes, delete everything" }
            button type="submit" { "Reset" }
        }
        p.empty { "Fixtures are the .yaml files in " code { (state.settings.admin.fixtures_dir.display()) } "." }
        h2 { "Snapshot" }
        p { "A consistent copy of the live database, taken while it serves, into " code { "snapshots/" } " beside " code { (state.db.path().display()) } "." }
        form.filter #snapshot method="post" action=(action("admin/snapshot")) {
            label { "file name " input name="name" size="24" placeholder="(timestamped)"; }
            label { input type="checkbox" name="confirm" value="yes" required; " yes, write the file" }
            button type="submit" { "Take a snapshot" }
        }
    };
    layout::page("Admin", "admin", None, body)
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    fixture: String,
    #[serde(flatten)]
    confirm: Confirm,
}

pub async fn reset(
    state: web::Data<AppState>,
    registry: web::Data<crate::registry::Model>,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, TwinError> {
    form.confirm.check()?;
    let fixture = Some(form.fixture.as_str()).filter(|f| !f.is_empty());
    let loaded = reset_to(&state, &registry, fixture).await?;
    let note = format!(
        "reset{}: {} tasks, {} sources, {} services, {} instances loaded",
        fixture.map(|f| format!(" to {f}")).unwrap_or_default(),
        loaded.tasks,
        loaded.source_servers,
        loaded.microservices,
        loaded.instances
    );
    Ok(see_other("admin", &note))
}

#[derive(Deserialize)]
pub struct SnapshotForm {
    #[serde(default)]
    name: String,
    #[serde(flatten)]
    confirm: Confirm,
}

pub async fn snapshot(
    state: web::Data<AppState>,
    form: web::Form<SnapshotForm>,
) -> Result<HttpResponse, TwinError> {
    form.confirm.check()?;
    let name = Some(form.name.trim()).filter(|n| !n.is_empty());
    let info = take_snapshot(&state, name).await?;
    Ok(see_other(
        "admin",
        &format!(
            "snapshot written: {} ({})",
            info.path,
            layout::bytes(info.size)
        ),
    ))
}
