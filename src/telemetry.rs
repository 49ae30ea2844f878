//! Logging setup and the per-request span with its `X-Request-Id`.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};
use crate::status::RecentRequests;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the global subscriber; a second call (tests start many servers) is a no-op.
pub fn init(log: &LogSettings) {
    let filter = EnvFilter::try_new(&log.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match log.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// The id of the current request, as sent back in `X-Request-Id`.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Gives every request an id (the client's own when it sent a sane one), runs it inside
/// a span carrying that id, and logs one line with method, path, status and latency.
pub async fn request_span(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.path(),
    );
    // The status page's own refreshes would crowd out every other request.
    let recent = (req.path() != "/")
        .then(|| req.app_data::<web::Data<RecentRequests>>().cloned())
        .flatten()
        .map(|r| (r, req.method().clone(), req.path().to_owned()));
    let started = Instant::now();
    // Middleware further in answers refusals with Ok(error response), never Err, so
    // that every response passes here to be logged and to get its request id.
    let mut res = next.call(req).instrument(span.clone()).await?;
    let status = res.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| tracing::info!(status, latency_ms, "finished"));
    if let Some((recent, method, path)) = recent {
        recent.record(method.as_str(), &path, status, latency_ms);
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(res)
}
