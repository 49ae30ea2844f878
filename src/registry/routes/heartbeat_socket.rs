//! The WebSocket form of `…/instances/{instanceId}/heartbeat` (go-chassis's ping-pong
//! heartbeat mode): the twin pings every `registry.websocket_ping_ms`, and each Pong
//! renews the instance's lease, as Service Center does. Client pings are answered but
//! renew nothing.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{CloseCode, CloseReason, Message};

use super::super::domain::{InstanceId, ServiceId};
use super::super::error::RegistryError;
use super::super::model::Model;
use super::{InstanceRoute, tenant};
use crate::iam::Caller;
use crate::state::AppState;

/// Service Center's close code and reason when the instance is unknown or gone.
const GONE: u16 = 4001;
const GONE_REASON: &str = "heartbeat reporting failed because the instance does not exist";

fn gone() -> Option<CloseReason> {
    Some(CloseReason {
        code: CloseCode::Other(GONE),
        description: Some(GONE_REASON.into()),
    })
}

/// The upgrade; a plain GET is the registry's JSON 400.
#[utoipa::path(
    get,
    path = "/v4/{project_id}/registry/microservices/{service_id}/instances/{instance_id}/heartbeat",
    tag = "Registry",
    operation_id = "registry_heartbeat_socket",
    params(InstanceRoute),
    responses((status = 101, description = "Switching Protocols: each Pong to the server's Ping renews the lease"), (status = "4XX", description = "Refused, in the registry's JSON error format", body = serde_json::Value))
)]
pub async fn heartbeat_socket(
    req: HttpRequest,
    body: web::Payload,
    caller: Caller,
    path: web::Path<InstanceRoute>,
    state: web::Data<AppState>,
    model: web::Data<Model>,
) -> Result<HttpResponse, RegistryError> {
    caller.require("cse:instance:heartbeat")?;
    let tenant = tenant(&caller, &path.project_id)?;
    let ids = ServiceId::parse(&path.service_id)
        .and_then(|s| InstanceId::parse(&path.instance_id).map(|i| (s, i)));
    let (response, mut session, mut messages) = actix_ws::handle(&req, body).map_err(|e| {
        RegistryError::InvalidParams(format!("the socket heartbeat is a WebSocket: {e}"))
    })?;
    let state = state.into_inner();
    let model = model.into_inner();
    let every = Duration::from_millis(state.settings.registry.websocket_ping_ms);
    actix_web::rt::spawn(async move {
        let renew = |ids: &(ServiceId, InstanceId)| {
            model.renew(
                &tenant,
                ids.0.as_str(),
                ids.1.as_str(),
                state.clock.now_ms(),
            )
        };
        // As Service Center: upgraded first, then closed with 4001 for an unknown instance.
        let known = match &ids {
            Ok(ids) => model
                .instance(
                    &tenant,
                    ids.0.as_str(),
                    ids.1.as_str(),
                    state.clock.now_ms(),
                )
                .is_ok(),
            Err(_) => false,
        };
        let ids = match ids {
            Ok(ids) if known => ids,
            _ => {
                let _ = session.close(gone()).await;
                return;
            }
        };
        let mut ping = tokio::time::interval(every);
        ping.tick().await;
        loop {
            tokio::select! {
                message = messages.recv() => match message {
                    Some(Ok(Message::Pong(_))) => {
                        if !renew(&ids) {
                            let _ = session.close(gone()).await;
                            return;
                        }
                    }
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
#[openapi(paths(heartbeat_socket))]
pub struct Api;
