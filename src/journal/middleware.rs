//! Records every request to the emulated APIs: what the handler read of the body (a
//! copy taken as it streams through, so nothing is buffered twice), who sent it, and
//! what came back.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, web};
use futures_core::Stream;

use super::{Entry, Journal};
use crate::telemetry::RequestId;

/// Who made a request, put in its extensions by authentication.
#[derive(Debug, Clone)]
pub struct Who {
    /// `domain/project`.
    pub tenant: Option<String>,
    /// The user's name or the access key; never a secret.
    pub caller: Option<String>,
}

/// Put in a request's extensions when an HTTP fault rule fired on it.
#[derive(Debug, Clone)]
pub struct Fired {
    pub id: String,
    /// The connection was reset: the client got no answer.
    pub reset: bool,
}

/// The first `max` bytes a handler read of a body, and how many it read in all.
#[derive(Default)]
struct Copy {
    kept: Vec<u8>,
    total: usize,
}

/// The request body, passed on unchanged while its first bytes are copied.
struct Tee {
    inner: Payload,
    copy: Arc<Mutex<Copy>>,
    max: usize,
}

impl Stream for Tee {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = Pin::new(&mut self.inner).poll_next(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &polled {
            let mut copy = self.copy.lock().unwrap_or_else(PoisonError::into_inner);
            copy.total += chunk.len();
            // One byte over the limit tells a cut body from a whole one.
            let room = (self.max + 1).saturating_sub(copy.kept.len());
            copy.kept.extend_from_slice(&chunk[..room.min(chunk.len())]);
        }
        polled
    }
}

fn writes(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

pub async fn record(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let journal = req
        .app_data::<web::Data<Journal>>()
        .filter(|j| j.enabled())
        .filter(|_| req.path().starts_with("/v3") || req.path().starts_with("/v4"))
        .cloned();
    let Some(journal) = journal else {
        return next.call(req).await;
    };
    let copy = writes(req.method()).then(|| {
        let copy = Arc::new(Mutex::new(Copy::default()));
        let tee = Tee {
            inner: req.take_payload(),
            copy: copy.clone(),
            max: journal.settings().max_body_bytes,
        };
        req.set_payload(Payload::Stream {
            payload: Box::pin(tee),
        });
        copy
    });
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let query = super::query(req.query_string());
    let started = Instant::now();
    let res = next.call(req).await?;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (request_id, who, fired) = {
        let ext = res.request().extensions();
        (
            ext.get::<RequestId>()
                .map(|r| r.0.clone())
                .unwrap_or_default(),
            ext.get::<Who>().cloned(),
            ext.get::<Fired>().cloned(),
        )
    };
    let body = copy.and_then(|copy| {
        let copy = copy.lock().unwrap_or_else(PoisonError::into_inner);
        super::body(&copy.kept, copy.total, journal.settings().max_body_bytes)
    });
    journal.record(Entry {
        id: 0,
        at_ms: journal.now_ms(),
        request_id,
        method,
        path,
        query,
        status: if fired.as_ref().is_some_and(|f| f.reset) {
            0
        } else {
            i64::from(res.status().as_u16())
        },
        latency_ms,
        tenant: who.as_ref().and_then(|w| w.tenant.clone()),
        caller: who.and_then(|w| w.caller),
        body,
        fault_id: fired.map(|f| f.id),
    });
    Ok(res)
}
