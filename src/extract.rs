//! Request extractors shared by the areas.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PayloadError};
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::error::Rejection;
use crate::state::AppState;

/// A JSON body whose parse error waits until the handler asks for the value.
///
/// actix runs extractors before the handler, so with `web::Json` a caller without
/// the permission who sends a malformed body would get 400; the real gateway checks
/// the permission first (403), and so do handlers that call `caller.require` before
/// [`JsonBody::parse`].
pub struct JsonBody<T>(Result<T, Rejection>);

impl<T> JsonBody<T> {
    /// The body, or the 400/413 rejection, which each area's error type renders.
    pub fn parse(self) -> Result<T, Rejection> {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = body_limit(req);
        if let Some(content_type) = cross_site_content_type(req) {
            return Box::pin(async move {
                Ok(JsonBody(Err(Rejection::UnsupportedMediaType {
                    content_type,
                })))
            });
        }
        let timeout = body_timeout(req);
        // Like the app-wide JsonConfig: no Content-Type is needed (Service Center's
        // clients send none).
        let body = web::JsonBody::<T>::new(req, payload, None, false).limit(limit);
        Box::pin(async move {
            let parsed = match tokio::time::timeout(timeout, body).await {
                Ok(parsed) => parsed.map_err(|e| json_rejection(e, limit)),
                Err(_) => Err(slow_body(timeout)),
            };
            Ok(JsonBody(parsed))
        })
    }
}

/// The content type of `req` when it is one of the three a browser sends cross-site
/// without a preflight (CORS "simple" requests). A missing type is fine: Service Center's
/// own clients send none.
fn cross_site_content_type(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(actix_web::http::header::CONTENT_TYPE)?;
    let text = String::from_utf8_lossy(value.as_bytes()).to_ascii_lowercase();
    let essence = text.split(';').next().unwrap_or("").trim().to_owned();
    matches!(
        essence.as_str(),
        "text/plain" | "application/x-www-form-urlencoded" | "multipart/form-data"
    )
    .then_some(essence)
}

/// How long the application serving `req` waits for a body.
pub fn body_timeout(req: &HttpRequest) -> Duration {
    Duration::from_millis(
        req.app_data::<web::Data<AppState>>()
            .map_or(30_000, |s| s.settings.server.body_timeout_ms),
    )
}

/// A body that did not arrive in time: refused, so that its connection is freed.
pub fn slow_body(timeout: Duration) -> Rejection {
    Rejection::BadRequest(format!(
        "the request body did not arrive within {} ms",
        timeout.as_millis()
    ))
}

/// The configured body limit of the application serving `req`.
pub fn body_limit(req: &HttpRequest) -> usize {
    req.app_data::<web::Data<AppState>>()
        .map_or(0, |s| s.settings.body_limit)
}

/// How a JSON extraction failure reads in every area: too large, or a bad request.
pub fn json_rejection(err: JsonPayloadError, limit: usize) -> Rejection {
    match err {
        JsonPayloadError::Overflow { .. }
        | JsonPayloadError::OverflowKnownLength { .. }
        | JsonPayloadError::Payload(PayloadError::Overflow) => Rejection::TooLarge { limit },
        other => Rejection::BadRequest(other.to_string()),
    }
}
