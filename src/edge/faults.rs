//! Where an HTTP fault rule meets a request, at the edge where every API's error format
//! is known: before the handler (nothing changes) or after it
//! committed (the lost answer), as an error in the API's format, a delay, or a reset.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};

use crate::http_faults::{Action, HttpFaults, Live, RequestFacts, Rule, When};
use crate::journal::middleware::Fired;

/// The header on every answer a fault produced: the rule's id.
pub const FAULT_HEADER: HeaderName = HeaderName::from_static("x-cloudtwin-fault");

/// The project of a `/v4/{project_id}/…` path.
fn tenant(path: &str) -> Option<&str> {
    path.strip_prefix("/v4/")?
        .split('/')
        .next()
        .filter(|p| !p.is_empty())
}

pub async fn inject(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let faults = req.app_data::<web::Data<HttpFaults>>().cloned();
    let emulated = req.path().starts_with("/v3") || req.path().starts_with("/v4");
    let Some(faults) = faults.filter(|f| emulated && !f.is_empty()) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let facts = RequestFacts {
        method: req.method().as_str(),
        path: req.path(),
        tenant: tenant(req.path()),
        headers: req.headers(),
    };
    // The fault store failing must not break the API it is meant to test.
    let fired = faults.fire(&facts).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "fault rules could not be checked; answering normally");
        None
    });
    let Some(live) = fired else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    req.extensions_mut().insert(Fired {
        id: live.id.clone(),
        reset: live.rule.action == Action::Reset,
    });
    tracing::info!(fault = %live.id, action = ?live.rule.action, when = ?live.rule.when, "fault rule fired");
    let latency = Duration::from_millis(live.rule.latency_ms);
    let res = match live.rule.when {
        When::Before => {
            tokio::time::sleep(latency).await;
            match live.rule.action {
                Action::Delay => next.call(req).await?.map_into_boxed_body(),
                _ => {
                    let (http, _) = req.into_parts();
                    let answer = answer(&http, &live.rule);
                    ServiceResponse::new(http, answer)
                }
            }
        }
        When::After => {
            let res = next.call(req).await?;
            tokio::time::sleep(latency).await;
            match live.rule.action {
                Action::Delay => res.map_into_boxed_body(),
                _ => {
                    let (http, _) = res.into_parts();
                    let answer = answer(&http, &live.rule);
                    ServiceResponse::new(http, answer)
                }
            }
        }
    };
    Ok(marked(res, &live))
}

fn marked(mut res: ServiceResponse<BoxBody>, live: &Live) -> ServiceResponse<BoxBody> {
    if let Ok(value) = HeaderValue::from_str(&live.id) {
        res.headers_mut().insert(FAULT_HEADER, value);
    }
    res
}

/// The rule's answer: a reset, its raw body, or the API's own error body.
fn answer(req: &HttpRequest, rule: &Rule) -> HttpResponse {
    if rule.action == Action::Reset {
        return HttpResponse::Ok().body(ResetBody);
    }
    let status = rule
        .status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    match &rule.body {
        Some(body) => {
            let json = serde_json::from_str::<serde_json::Value>(body).is_ok();
            HttpResponse::build(status)
                .content_type(if json {
                    "application/json"
                } else {
                    "text/plain; charset=utf-8"
                })
                .body(body.clone())
        }
        None => super::injected(
            req.path(),
            status,
            rule.error_code.as_deref(),
            &rule.message(),
        ),
    }
}

/// A body that fails before its first byte: actix then drops the connection without
/// writing the response (it logs "response payload stream error"), so the client sees
/// the connection close with no answer.
struct ResetBody;

impl MessageBody for ResetBody {
    type Error = std::io::Error;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection reset by a cloudtwin fault rule",
        ))))
    }
}
