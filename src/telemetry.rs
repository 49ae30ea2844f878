//! Logging setup and the per-request span with its `X-Request-Id`.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

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
    // The console's own pages and refreshes would crowd out every other request.
    let recent = (!req.path().starts_with("/_cloudtwin/console/"))
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

/// How many recent requests are kept, and how many the page shows.
pub const RECENT_CAPACITY: usize = 50;
/// Longer paths are cut: the buffer must stay small whatever clients send.
const PATH_MAX: usize = 200;

#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub at: time::OffsetDateTime,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub latency_ms: f64,
}

/// The last requests, newest last. A plain mutex around a ring buffer: each request
/// holds it for one push, which costs far less than the request's own logging.
#[derive(Debug)]
pub struct RecentRequests {
    entries: Mutex<VecDeque<RequestRecord>>,
    capacity: usize,
}

impl RecentRequests {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(VecDeque::with_capacity(capacity)),
            capacity,
        }
    }

    pub fn record(&self, method: &str, path: &str, status: u16, latency_ms: f64) {
        let path = match path.char_indices().nth(PATH_MAX) {
            Some((cut, _)) => format!("{}…", &path[..cut]),
            None => path.to_owned(),
        };
        let record = RequestRecord {
            at: time::OffsetDateTime::now_utc(),
            method: method.to_owned(),
            path,
            status,
            latency_ms,
        };
        // A panic while holding the lock cannot leave the deque inconsistent, so a
        // poisoned lock is still usable.
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() == self.capacity {
            entries.pop_front();
        }
        entries.push_back(record);
    }

    /// Up to `n` of the newest requests, newest first.
    pub fn latest(&self, n: usize) -> Vec<RequestRecord> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.iter().rev().take(n).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffer_keeps_only_the_newest() {
        let recent = RecentRequests::new(3);
        for i in 0..5 {
            recent.record("GET", &format!("/p{i}"), 200, 1.0);
        }
        let paths: Vec<String> = recent.latest(10).into_iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/p4", "/p3", "/p2"]);
        recent.record("GET", &"x".repeat(500), 200, 1.0);
        assert_eq!(recent.latest(1)[0].path.chars().count(), PATH_MAX + 1);
    }
}
