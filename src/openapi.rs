//! The OpenAPI 3 document of every route, assembled from the `#[utoipa::path]`
//! attributes that sit on the handlers themselves (so it moves with the code), and an
//! explorer of it at `/docs/` (Swagger UI, built into the binary) that sends requests to
//! the running twin.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};

use crate::error::{Rejection, TwinError};

pub fn document() -> Document {
    let mut doc = crate::health::Api::openapi();
    doc.merge(crate::iam::routes::openapi());
    doc.merge(crate::sms::routes::openapi());
    doc.merge(crate::registry::routes::openapi());
    doc.merge(crate::admin::routes::Api::openapi());
    doc.merge(crate::admin::clock::Api::openapi());
    doc.merge(crate::admin::faults::Api::openapi());
    doc.merge(crate::admin::journal::Api::openapi());
    doc.merge(crate::console::Api::openapi());
    doc.info = utoipa::openapi::InfoBuilder::new()
        .title("cloudtwin")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "A local twin of Huawei Cloud SMS v3 (/v3), IAM tokens (/v3/auth), the \
             ServiceComb v4 registry (/v4) and cloudtwin's own routes.",
        ))
        .build();
    // The explorer's "Authorize" sends the IAM token (POST /v3/auth/tokens answers it in
    // X-Subject-Token) with every request it tries.
    doc.components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            "iam_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Auth-Token",
                "An IAM token: POST /v3/auth/tokens answers it in X-Subject-Token",
            ))),
        );
    doc.security = Some(vec![SecurityRequirement::new(
        "iam_token",
        Vec::<String>::new(),
    )]);
    doc
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    let doc = document();
    let json = doc.to_json().unwrap_or_else(|_| "{}".into());
    // "Try it out" on from the start; the token typed into "Authorize" kept across
    // reloads; no call to swagger.io's validator (the twin runs offline).
    let explorer = utoipa_swagger_ui::Config::new(["/openapi.json"])
        .try_it_out_enabled(true)
        .persist_authorization(true)
        .validator_url("none");
    cfg.app_data(web::Data::new(Rendered {
        json,
        explorer: Arc::new(explorer),
    }))
    .service(web::resource("/openapi.json").get(openapi_json))
    .service(web::resource("/docs").get(to_explorer))
    .service(web::resource("/docs/{file:.*}").get(explorer_file));
}

/// Made once at start: the document is the same for every request.
struct Rendered {
    json: String,
    explorer: Arc<utoipa_swagger_ui::Config<'static>>,
}

async fn openapi_json(rendered: web::Data<Rendered>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(rendered.json.clone())
}

/// The explorer's page is `/docs/`: its scripts and styles are relative to it.
async fn to_explorer() -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("Location", "/docs/"))
        .finish()
}

/// The bar cloudtwin puts above Swagger UI: the one-click demo token.
const EXPLORER_BAR: &str = include_str!("openapi/explorer.js");

/// Swagger UI's files, built into the binary, with the document's address and the
/// settings above written into its initializer.
async fn explorer_file(
    req: HttpRequest,
    file: web::Path<String>,
    rendered: web::Data<Rendered>,
) -> Result<HttpResponse, TwinError> {
    if file.as_str() == "cloudtwin.js" {
        return Ok(HttpResponse::Ok()
            .content_type("text/javascript; charset=utf-8")
            .body(EXPLORER_BAR));
    }
    match utoipa_swagger_ui::serve(&file, rendered.explorer.clone()) {
        Ok(Some(served)) if file.is_empty() || file.as_str() == "index.html" => {
            let page = String::from_utf8_lossy(&served.bytes).replacen(
                "</body>",
                "<script src=\"./cloudtwin.js\" charset=\"UTF-8\"></script>\n</body>",
                1,
            );
            Ok(HttpResponse::Ok()
                .content_type(served.content_type)
                .body(page))
        }
        Ok(Some(served)) => Ok(HttpResponse::Ok()
            .content_type(served.content_type)
            .body(served.bytes.into_owned())),
        Ok(None) => Err(Rejection::NotFound {
            method: req.method().to_string(),
            path: req.path().to_owned(),
        }
        .into()),
        Err(e) => Err(Rejection::Internal(e.to_string()).into()),
    }
}
