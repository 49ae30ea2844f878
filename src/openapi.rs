//! The OpenAPI 3 document of every route, assembled from the `#[utoipa::path]`
//! attributes that sit on the handlers themselves (so it moves with the code), and a
//! plain HTML page listing it at `/docs`.

use actix_web::{HttpResponse, web};
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as Document;

pub fn document() -> Document {
    let mut doc = crate::health::Api::openapi();
    doc.merge(crate::iam::routes::openapi());
    doc.merge(crate::sms::routes::openapi());
    doc.merge(crate::registry::routes::openapi());
    doc.merge(crate::admin::routes::Api::openapi());
    doc.merge(crate::admin::clock::Api::openapi());
    doc.merge(crate::admin::faults::Api::openapi());
    doc.merge(crate::admin::journal::Api::openapi());
    doc.merge(crate::status::Api::openapi());
    doc.info = utoipa::openapi::InfoBuilder::new()
        .title("cloudtwin")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "A local twin of Huawei Cloud SMS v3 (/v3), IAM tokens (/v3/auth), the \
             ServiceComb v4 registry (/v4) and cloudtwin's own routes.",
        ))
        .build();
    doc
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    let doc = document();
    let page = docs_page(&doc);
    let json = doc.to_json().unwrap_or_else(|_| "{}".into());
    cfg.app_data(web::Data::new(Rendered { json, page }))
        .service(web::resource("/openapi.json").get(openapi_json))
        .service(web::resource("/docs").get(docs));
}

/// Rendered once at start: the document is the same for every request.
struct Rendered {
    json: String,
    page: String,
}

async fn openapi_json(rendered: web::Data<Rendered>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(rendered.json.clone())
}

async fn docs(rendered: web::Data<Rendered>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(rendered.page.clone())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A self-contained page (no external scripts: the machines running cloudtwin are often offline).
fn docs_page(doc: &Document) -> String {
    let mut rows = String::new();
    for (path, item) in &doc.paths.paths {
        let ops = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
        ];
        for (method, op) in ops {
            if let Some(op) = op {
                let tag = op
                    .tags
                    .as_ref()
                    .and_then(|t| t.first())
                    .cloned()
                    .unwrap_or_default();
                let summary = op
                    .summary
                    .clone()
                    .or_else(|| op.description.clone())
                    .unwrap_or_default();
                rows.push_str(&format!(
                    "<tr><td>{}</td><td><code>{method}</code></td><td><code>{}</code></td><td>{}</td></tr>\n",
                    escape(&tag),
                    escape(path),
                    escape(&summary)
                ));
            }
        }
    }
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>cloudtwin API</title>\
         <style>body{{font-family:sans-serif;margin:2em}}td{{padding:.2em .8em;border-bottom:1px solid #ddd;vertical-align:top}}</style>\
         </head><body><h1>cloudtwin API</h1><p>The machine-readable document is at \
         <a href=\"/openapi.json\">/openapi.json</a>.</p><table>\
         <tr><th>API</th><th>method</th><th>path</th><th>what it does</th></tr>\n{rows}</table></body></html>"
    )
}
