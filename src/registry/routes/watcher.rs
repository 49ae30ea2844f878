//! `GET /v4/{project_id}/registry/microservices/{serviceId}/watcher` upgraded to a
//! WebSocket: the consumer `{serviceId}` is told of every instance change of the
//! providers it depends on, as Service Center's watch events (`{action, key, instance}`),
//! lease expiry and force deletes included. The subscriptions live in memory only: a
//! watcher that reconnects after a restart asks again, as clients do.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::Message;
use serde_json::json;
use tokio::sync::mpsc;

use super::super::domain::{ServiceId, Tenant};
use super::super::error::RegistryError;
use super::super::store;
use super::tenant;
use super::views::InstanceView;
use crate::db::Db;
use crate::iam::Caller;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/microservices/{service_id}/watcher").get(watch));
}

/// Events waiting for one socket at most; a watcher that falls this far behind misses
/// events (and is told nothing: it re-pulls on its next reconnect, as clients do).
const QUEUE: usize = 1024;
/// Service Center pings every watcher every 30 s.
const PING: Duration = Duration::from_secs(30);
/// What Service Center sends before closing the socket of an unknown consumer.
const UNKNOWN: &str = "service does not exist";

struct Subscriber {
    consumer: String,
    events: mpsc::Sender<Arc<str>>,
}

#[derive(Default)]
struct Hub {
    /// Subscribers by `domain/project`, then by subscription number.
    tenants: Mutex<HashMap<String, HashMap<u64, Subscriber>>>,
    next: AtomicU64,
}

/// The open watch sockets; cheap to clone.
#[derive(Clone, Default)]
pub struct Watchers(Arc<Hub>);

/// A socket's subscription; dropping it (the socket ended) unsubscribes.
pub struct Subscription {
    hub: Arc<Hub>,
    tenant: String,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut tenants = self
            .hub
            .tenants
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(subs) = tenants.get_mut(&self.tenant) {
            subs.remove(&self.id);
            if subs.is_empty() {
                tenants.remove(&self.tenant);
            }
        }
    }
}

fn tenant_key(tenant: &Tenant) -> String {
    format!("{}/{}", tenant.domain, tenant.project)
}

impl Watchers {
    fn subscribe(
        &self,
        tenant: &Tenant,
        consumer: &str,
    ) -> (Subscription, mpsc::Receiver<Arc<str>>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let id = self.0.next.fetch_add(1, Ordering::Relaxed);
        let key = tenant_key(tenant);
        self.0
            .tenants
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.clone())
            .or_default()
            .insert(
                id,
                Subscriber {
                    consumer: consumer.to_owned(),
                    events: tx,
                },
            );
        let sub = Subscription {
            hub: self.0.clone(),
            tenant: key,
            id,
        };
        (sub, rx)
    }

    /// Open watch sockets.
    pub fn count(&self) -> usize {
        self.0
            .tenants
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(HashMap::len)
            .sum()
    }

    /// The consumers of a tenant watching, with their queues.
    fn watching(&self, tenant: &Tenant) -> Vec<(String, mpsc::Sender<Arc<str>>)> {
        self.0
            .tenants
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&tenant_key(tenant))
            .map(|subs| {
                subs.values()
                    .map(|s| (s.consumer.clone(), s.events.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Tells the watchers of each change's tenant that depend on its provider. Called
    /// after the change committed; a tenant without watchers costs nothing.
    pub async fn publish(&self, db: &Db, changes: Vec<store::Change>) {
        for change in changes {
            let watching = self.watching(&change.tenant);
            if watching.is_empty() {
                continue;
            }
            let consumers = match &change.consumers {
                Some(known) => Ok(known.clone()),
                None => match db.read().await {
                    Ok(mut tx) => {
                        store::watching_consumers(&mut tx, &change.tenant, &change.provider).await
                    }
                    Err(e) => Err(e.into()),
                },
            };
            let consumers = match consumers {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = ?e, "watch event not sent: its consumers could not be read");
                    continue;
                }
            };
            let Some(frame) = frame(&change) else {
                continue;
            };
            for (consumer, events) in watching {
                if consumers.contains(&consumer) && events.try_send(frame.clone()).is_err() {
                    tracing::warn!(
                        consumer,
                        "watch event dropped: the watcher is too far behind"
                    );
                }
            }
        }
    }
}

/// Service Center's `WatchInstanceResponse`: the action, the provider's key (empty
/// environment and alias left out) and the whole instance.
fn frame(change: &store::Change) -> Option<Arc<str>> {
    let p = &change.provider;
    let mut key = json!({
        "tenant": tenant_key(&change.tenant),
        "appId": p.app_id,
        "serviceName": p.service_name,
        "version": p.version,
    });
    if !p.environment.is_empty() {
        key["environment"] = json!(p.environment);
    }
    if !p.alias.is_empty() {
        key["alias"] = json!(p.alias);
    }
    let instance = InstanceView::try_from(change.instance.clone())
        .inspect_err(|e| tracing::warn!(error = ?e, "watch event not sent: bad instance row"))
        .ok()?;
    let text = json!({"action": change.action, "key": key, "instance": instance}).to_string();
    Some(Arc::from(text))
}

/// The upgrade; a plain GET is 400 in the registry's JSON (Service Center answers text).
#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/microservices/{serviceId}/watcher",
    tag = "Registry",
    operation_id = "registry_watch",
    params(("project_id" = String, Path), ("serviceId" = String, Path, description = "the consumer's own id")),
    responses((status = 101, description = "Switching Protocols: watch events follow as text frames"), (status = "4XX", description = "Refused, in the registry's JSON error format", body = serde_json::Value))
)]
async fn watch(
    req: HttpRequest,
    body: web::Payload,
    caller: Caller,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
    watchers: web::Data<Watchers>,
) -> Result<HttpResponse, RegistryError> {
    caller.require("cse:instance:list")?;
    let (project, service_id) = path.into_inner();
    let tenant = tenant(&caller, &project)?;
    let (response, mut session, mut messages) = actix_ws::handle(&req, body)
        .map_err(|e| RegistryError::InvalidParams(format!("the watcher is a WebSocket: {e}")))?;
    let known = match ServiceId::parse(&service_id) {
        Ok(id) => store::get_service(&mut *state.db.read().await?, &tenant, &id)
            .await
            .is_ok(),
        Err(_) => false,
    };
    let (subscription, mut events) = watchers.subscribe(&tenant, &service_id);
    actix_web::rt::spawn(async move {
        // As Service Center: upgraded first, then told in one text frame.
        if !known {
            let _ = session.text(UNKNOWN).await;
            let _ = session.close(None).await;
            return;
        }
        let _subscribed = subscription;
        let mut ping = tokio::time::interval(PING);
        ping.tick().await;
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Some(text) => {
                        if session.text(text.to_string()).await.is_err() {
                            break;
                        }
                    }
                    None => break,
                },
                message = messages.recv() => match message {
                    Some(Ok(Message::Ping(bytes))) => {
                        if session.pong(&bytes).await.is_err() {
                            break;
                        }
                    }
                    Some(Ok(Message::Close(reason))) => {
                        let _ = session.close(reason).await;
                        return;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => break,
                },
                _ = ping.tick() => {
                    if session.ping(b"").await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = session.close(None).await;
    });
    Ok(response)
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(watch))]
pub struct Api;
