//! The real registry clients, replayed request for request: go-chassis (through the
//! go-chassis/sc-client commit it pins), sc-client's own `FindInstances`, and
//! java-chassis 3.x (`clients/service-center-client`, `registry-service-center`).
//!
//! Each test sends what the client sends, in its order: its default headers on every
//! request (GET and DELETE included), its query strings byte for byte (sc-client's
//! double-encoded `version`), and its JSON bodies as its encoder writes them (Go's
//! `omitempty`; Jackson's explicit `null`s). Each answer is checked for the fields that
//! client reads, with the JSON types its decoder needs: a missing or mistyped field
//! breaks the client, even where a generic API test would pass.
//!
//! Sources, read and not run (paths are relative to each repository):
//! go-chassis/go-chassis `6bcf5150`, go-chassis/sc-client `dacdd0c8` (pinned by that
//! go-chassis) and `1cf8c04c` (HEAD), apache/servicecomb-java-chassis `1e9120f0`.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::{assert_error, ids, instance_body, server};
use crate::common::{REGISTRY, RegistryClient, Reply, TestServer};

/// sc-client `GetDefaultHeaders` (`client.go`): merged into every request by `httpDo`
/// and sent on every WebSocket handshake; the tenant is hard-coded.
const GO: &[(&str, &str)] = &[
    ("Content-Type", "application/json"),
    ("User-Agent", "go-client"),
    ("X-Domain-Name", "default"),
];

/// java-chassis: `HttpTransportImpl.doRequest` (type and agent) and
/// `ServiceCenterRawClient.buildHttpRequest` (the tenant, lower-case).
const JAVA: &[(&str, &str)] = &[
    ("Content-Type", "application/json"),
    ("User-Agent", "microservice-client/1.0.0"),
    ("x-domain-name", "default"),
];

const SCHEMA_ID: &str = "greeting";
const SCHEMA: &str = "openapi: 3.0.1\ninfo:\n  title: greeting\n  version: 1.0.0\npaths: {}\n";

/// The schema summary both clients compute: lower-case hex SHA-256 of the content
/// (sc-client `AddSchemas`; java-chassis `SCRegistration.calcSchemaSummary`).
fn summary() -> String {
    hex::encode(Sha256::digest(SCHEMA))
}

/// A client library: the headers it puts on every request. A body goes as JSON, for
/// which reqwest sets the same `Content-Type: application/json`, so the library's own
/// is added by hand only to requests without a body.
struct Sdk<'a> {
    reg: &'a RegistryClient,
    defaults: &'static [(&'static str, &'static str)],
}

impl Sdk<'_> {
    async fn send(
        &self,
        method: Method,
        path: &str,
        extra: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let mut headers: Vec<(&str, &str)> = self
            .defaults
            .iter()
            .copied()
            .filter(|(name, _)| body.is_none() || *name != "Content-Type")
            .collect();
        headers.extend_from_slice(extra);
        self.reg
            .send(method, path, None, &headers, body.as_ref())
            .await
    }

    async fn get(&self, path: &str, extra: &[(&str, &str)]) -> Reply {
        self.send(Method::GET, path, extra, None).await
    }
}

/// Absent, or an object of strings (Go `map[string]string`, Java `Map<String, String>`).
fn strings(value: &Value) -> bool {
    value.is_null()
        || value
            .as_object()
            .is_some_and(|m| m.values().all(Value::is_string))
}

/// What both decoders read from an instance: cari `MicroServiceInstance` (strings for
/// the times, int32 for the health check) and java-chassis `MicroserviceInstance`, whose
/// enums (`status`, `healthCheck.mode`) fail the whole reply on an unknown value.
#[track_caller]
fn assert_instance(instance: &Value) {
    for key in [
        "instanceId",
        "serviceId",
        "hostName",
        "version",
        "timestamp",
        "modTimestamp",
    ] {
        assert!(instance[key].is_string(), "{key}: {instance}");
    }
    let status = instance["status"].as_str().unwrap_or_default();
    assert!(
        ["UP", "DOWN", "STARTING", "TESTING", "OUTOFSERVICE"].contains(&status),
        "{instance}"
    );
    assert!(
        instance["endpoints"]
            .as_array()
            .is_some_and(|e| e.iter().all(Value::is_string)),
        "{instance}"
    );
    assert!(strings(&instance["properties"]), "{instance}");
    let health = &instance["healthCheck"];
    assert!(
        health.is_null()
            || (["push", "pull"].contains(&health["mode"].as_str().unwrap_or_default())
                && health["interval"].is_u64()
                && health["times"].is_u64()),
        "{instance}"
    );
}

/// What java-chassis (`Microservice`) and go-chassis (`ToMicroService`) read from
/// `GET /microservices/{id}`.
#[track_caller]
fn assert_service(service: &Value) {
    for key in [
        "serviceId",
        "appId",
        "serviceName",
        "version",
        "timestamp",
        "modTimestamp",
    ] {
        assert!(service[key].is_string(), "{key}: {service}");
    }
    assert!(
        ["UP", "DOWN"].contains(&service["status"].as_str().unwrap_or_default()),
        "{service}"
    );
    assert!(strings(&service["properties"]), "{service}");
    assert!(
        service["schemas"].is_null()
            || service["schemas"]
                .as_array()
                .is_some_and(|s| s.iter().all(Value::is_string)),
        "{service}"
    );
    assert!(
        service["framework"].is_null() || service["framework"].is_object(),
        "{service}"
    );
}

#[track_caller]
fn assert_instances(list: &Value) {
    for instance in list.as_array().expect("an instances array") {
        assert_instance(instance);
    }
}

/// The `X-Resource-Revision` of a discovery answer, which must be there.
#[track_caller]
fn revision(reply: &Reply) -> String {
    let rev = reply
        .headers
        .get("x-resource-revision")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(!rev.is_empty(), "{}: no X-Resource-Revision", reply.request);
    rev.to_owned()
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The watcher handshake, with the headers the client sends on it.
async fn open_watcher(
    srv: &TestServer,
    consumer: &str,
    headers: &[(&'static str, &'static str)],
) -> Socket {
    let url = format!("ws://{}{REGISTRY}/microservices/{consumer}/watcher", srv.addr);
    let mut request = url.into_client_request().expect("request");
    for (name, value) in headers {
        request
            .headers_mut()
            .insert(*name, value.parse().expect("header"));
    }
    let (socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the upgrade");
    assert_eq!(response.status(), 101);
    socket
}

/// The next text frame, within 5 s, as JSON.
async fn next_event(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("an event in time")
            .expect("the socket is open")
            .expect("a frame");
        if let Message::Text(text) = frame {
            return serde_json::from_str(text.as_str()).expect("a JSON event");
        }
    }
}

/// go-chassis reads `action`, `key.appId/serviceName/version` and the whole instance
/// (`core/registry/servicecenter/cache.go` `watch`, `createAction`, `deleteAction`).
#[track_caller]
fn assert_event(event: &Value, action: &str, instance_id: &str) {
    assert_eq!(event["action"], action, "{event}");
    assert_eq!(
        (
            event["key"]["appId"].as_str(),
            event["key"]["serviceName"].as_str()
        ),
        (Some("shop"), Some("stock")),
        "{event}"
    );
    assert!(event["key"]["version"].is_string(), "{event}");
    assert_eq!(event["instance"]["instanceId"], instance_id, "{event}");
    assert_instance(&event["instance"]);
}

/// go-chassis start-up (`core/registry/bootstrap.go` `RegisterService`, then
/// `RegisterServiceInstances` with schema upload and instance properties configured)
/// through sc-client's `GetMicroServiceID`, `RegisterService`, `AddSchemas`,
/// `RegisterMicroServiceInstance` and `UpdateMicroServiceInstanceProperties`.
/// The service and instance ids.
async fn go_chassis_start(go: &Sdk<'_>, name: &str, port: u16) -> (String, String) {
    // Empty query values (env) are dropped; any status below 500 is decoded as
    // `{"serviceId"}`, so an error body means "" (not registered).
    let found = go
        .get(
            &format!("/existence?type=microservice&appId=shop&serviceName={name}&version=1.0.0"),
            &[],
        )
        .await;
    assert!(found.status < 500 && found.json.is_object(), "{}", found.text);
    let sid = match found.json["serviceId"].as_str() {
        Some(sid) if !sid.is_empty() => sid.to_owned(),
        _ => {
            // cari `MicroService`, omitempty: no environment, level, paths, properties.
            let created = go
                .send(
                    Method::POST,
                    "/microservices",
                    &[],
                    Some(json!({"service": {
                        "appId": "shop", "serviceName": name, "version": "1.0.0",
                        "schemas": [SCHEMA_ID], "status": "UP", "registerBy": "SDK",
                        "alias": format!("shop:{name}"),
                        "framework": {"name": "Go-Chassis", "version": "v2.7.0"}
                    }})),
                )
                .await;
            assert_eq!(created.status, 200, "{}", created.text);
            created.json["serviceId"]
                .as_str()
                .expect("serviceId")
                .to_owned()
        }
    };
    let schema = go
        .send(
            Method::PUT,
            &format!("/microservices/{sid}/schemas/{SCHEMA_ID}"),
            &[],
            Some(json!({"serviceId": sid, "schemaId": SCHEMA_ID, "schema": SCHEMA, "summary": summary()})),
        )
        .await;
    assert_eq!(schema.status, 200, "{}", schema.text);
    // `ToSCInstance`: no instanceId on a first start and no healthCheck (30 s × 3).
    let registered = go
        .send(
            Method::POST,
            &format!("/microservices/{sid}/instances"),
            &[],
            Some(json!({"instance": {
                "serviceId": sid, "endpoints": [format!("rest://127.0.0.1:{port}")],
                "hostName": format!("{name}-host"), "status": "UP",
                "properties": {"nodeIP": "127.0.0.1"}
            }})),
        )
        .await;
    assert_eq!(registered.status, 200, "{}", registered.text);
    let iid = registered.json["instanceId"]
        .as_str()
        .expect("instanceId")
        .to_owned();
    // The body is the whole cari instance with only `properties` set.
    let properties = go
        .send(
            Method::PUT,
            &format!("/microservices/{sid}/instances/{iid}/properties"),
            &[],
            Some(json!({"properties": {"zone": "az1"}})),
        )
        .await;
    assert_eq!(properties.status, 200, "{}", properties.text);
    (sid, iid)
}

/// sc-client `BatchFindInstances` as go-chassis calls it (`servicecenter.go`
/// `FindMicroServiceInstances`, `cache.go` `pullMicroServiceInstance`): the pinned
/// sc-client appends its `rev=0`, keys carry `version: "0+"` (`GetProvidersFromCache`)
/// and, given one, the cari `FindService.rev`. Only a 200 is accepted. Its `services`.
async fn batch_find(go: &Sdk<'_>, consumer: &str, rev: Option<&str>) -> Value {
    let mut key = json!({"service": {"appId": "shop", "serviceName": "stock", "version": "0+"}});
    if let Some(rev) = rev {
        key["rev"] = json!(rev);
    }
    let mut reply = go
        .send(
            Method::POST,
            "/instances/action?type=query&rev=0",
            &[("X-ConsumerId", consumer)],
            Some(json!({"consumerServiceId": consumer, "services": [key]})),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json["services"].take()
}

/// go-chassis: provider and consumer start, HTTP heartbeat (`core/registry/heartbeat.go`,
/// mode non-keep-alive), batch discovery, the watcher's events for a second provider
/// instance, the periodic refresh, and deregistration on a graceful stop.
#[tokio::test]
async fn go_chassis_register_discover_watch() {
    let (srv, reg) = server().await;
    let go = Sdk {
        reg: &reg,
        defaults: GO,
    };
    let (stock, first) = go_chassis_start(&go, "stock", 5001).await;
    let (cart, cart_instance) = go_chassis_start(&go, "cart", 5002).await;
    let beat = go
        .send(
            Method::PUT,
            &format!("/microservices/{cart}/instances/{cart_instance}/heartbeat"),
            &[],
            None,
        )
        .await;
    assert_eq!(beat.status, 200, "{}", beat.text);

    // The first call to stock misses the cache: `RegroupInstances` reads only
    // `updated[].index` and `updated[].instances`.
    let found = batch_find(&go, &cart, None).await;
    let item = &found["updated"][0];
    assert_eq!(item["index"], 0, "{found}");
    assert!(item["rev"].is_string(), "{found}");
    assert_eq!(ids(&item["instances"], "instanceId"), [first.as_str()]);
    assert_instances(&item["instances"]);

    // `CacheManager.AutoSync` → sc-client `WatchMicroService`, default headers included.
    let mut socket = open_watcher(&srv, &cart, GO).await;
    // A second stock instance: the existence check finds the service this time.
    let (again, second) = go_chassis_start(&go, "stock", 5003).await;
    assert_eq!(again, stock);
    assert_event(&next_event(&mut socket).await, "CREATE", &second);
    assert_event(&next_event(&mut socket).await, "UPDATE", &second);
    // Its graceful stop (`core/server/server_manager.go` `UnRegistrySelfInstances`).
    let gone = go
        .send(
            Method::DELETE,
            &format!("/microservices/{stock}/instances/{second}"),
            &[],
            None,
        )
        .await;
    assert_eq!(gone.status, 200, "{}", gone.text);
    assert_event(&next_event(&mut socket).await, "DELETE", &second);

    // The periodic refresh (`refreshInterval`), then with the revision it returned.
    let refreshed = batch_find(&go, &cart, None).await;
    let item = &refreshed["updated"][0];
    assert_eq!(ids(&item["instances"], "instanceId"), [first.as_str()]);
    let rev = item["rev"].as_str().expect("rev").to_owned();
    let unchanged = batch_find(&go, &cart, Some(&rev)).await;
    assert_eq!(unchanged["notModified"], json!([0]), "{unchanged}");
    assert!(unchanged.get("updated").is_none(), "{unchanged}");

    let gone = go
        .send(
            Method::DELETE,
            &format!("/microservices/{cart}/instances/{cart_instance}"),
            &[],
            None,
        )
        .await;
    assert_eq!(gone.status, 200, "{}", gone.text);
    socket.close(None).await.expect("close");
}

/// go-chassis after its lease lapsed (`core/registry/heartbeat.go`): the heartbeat
/// fails, `RetryRegister` finds the service still there (`GetMicroService`) and
/// `reRegisterSelfMSI` registers the instance again under its old id.
#[tokio::test]
async fn go_chassis_reregisters_its_instance_after_a_failed_heartbeat() {
    let (srv, reg) = server().await;
    let go = Sdk {
        reg: &reg,
        defaults: GO,
    };
    let (sid, iid) = go_chassis_start(&go, "stock", 5001).await;
    let advanced = srv
        .admin()
        .send(
            Method::POST,
            "/_cloudtwin/clock",
            Some(&json!({"advance_secs": 600})),
        )
        .await;
    assert_eq!(advanced.status, 200, "{}", advanced.text);
    let beat = format!("/microservices/{sid}/instances/{iid}/heartbeat");
    assert_error(
        &go.send(Method::PUT, &beat, &[], None).await,
        400,
        "400017",
    );
    let service = go.get(&format!("/microservices/{sid}"), &[]).await;
    assert_eq!(service.status, 200, "{}", service.text);
    assert_service(&service.json["service"]);
    // No serviceId in the body (sc-client sets it from the argument), the properties
    // kept from the start (`runtime.InstanceMD`).
    let again = go
        .send(
            Method::POST,
            &format!("/microservices/{sid}/instances"),
            &[],
            Some(json!({"instance": {
                "instanceId": iid, "serviceId": sid, "endpoints": ["rest://127.0.0.1:5001"],
                "hostName": "stock-host", "status": "UP", "properties": {"zone": "az1"}
            }})),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.json["instanceId"], iid.as_str());
    assert_eq!(go.send(Method::PUT, &beat, &[], None).await.status, 200);
}

/// sc-client's own discovery (`client.go` `FindInstances` → `findInstances`, HEAD):
/// `version` is the already escaped `0%2B` escaped again by `url.QueryEscape`
/// (`url.go` `encodeParams`), `rev` from `WithRevision` comes last. It maps 200 (with
/// `X-Resource-Revision`), 304 (`ErrNotModified`) and a 400 whose body contains
/// `"errorCode":"400012"` (`ErrMicroServiceNotExists`). Then `UnregisterMicroService`.
#[tokio::test]
async fn sc_client_find_instances_double_encoded_version() {
    let (_srv, reg) = server().await;
    let sc = Sdk {
        reg: &reg,
        defaults: GO,
    };
    let stock = reg.create_service("shop", "stock", "1.0.0").await;
    let first = reg.register(&stock, instance_body(7001)).await;
    let cart = reg.create_service("shop", "cart", "1.0.0").await;
    let consumer = [("X-ConsumerId", cart.as_str())];
    let query = "/instances?appId=shop&serviceName=stock&version=0%252B";

    let found = sc.get(query, &consumer).await;
    assert_eq!(found.status, 200, "{}", found.text);
    let rev = revision(&found);
    assert_eq!(ids(&found.json["instances"], "instanceId"), [first.as_str()]);
    assert_instances(&found.json["instances"]);

    let same = sc.get(&format!("{query}&rev={rev}"), &consumer).await;
    assert_eq!(same.status, 304, "{}", same.text);
    assert!(same.text.is_empty(), "{}", same.text);

    let second = reg.register(&stock, instance_body(7002)).await;
    let changed = sc.get(&format!("{query}&rev={rev}"), &consumer).await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_ne!(revision(&changed), rev);
    let mut got = ids(&changed.json["instances"], "instanceId");
    got.sort();
    let mut want = vec![first, second];
    want.sort();
    assert_eq!(got, want);

    let missing = sc
        .get(
            "/instances?appId=shop&serviceName=nosuch&version=0%252B",
            &consumer,
        )
        .await;
    assert_eq!(missing.status, 400, "{}", missing.text);
    assert!(
        missing.text.contains(r#""errorCode":"400012""#),
        "{}",
        missing.text
    );

    let gone = sc
        .send(
            Method::DELETE,
            &format!("/microservices/{cart}?force=1"),
            &[],
            None,
        )
        .await;
    assert_eq!(gone.status, 200, "{}", gone.text);
    assert_error(
        &sc.get(&format!("/microservices/{cart}"), &[]).await,
        400,
        "400012",
    );
}

/// java-chassis 3.x: `ServiceCenterRegistration` (existence, register, schemas,
/// instance, heartbeats; then the already-registered branch of a restart),
/// `ServiceCenterWatch`, `ServiceCenterDiscovery.pullInstance` with `rev`, all through
/// `ServiceCenterClient`; the shutdown of `SCBEngine.turnDownInstanceStatus`, then the
/// delete the demo `RegistryClientTest` sends after `stop()` (the task itself sends none).
#[tokio::test]
async fn java_chassis_register_schemas_heartbeat_shutdown() {
    let (srv, reg) = server().await;
    let java = Sdk {
        reg: &reg,
        defaults: JAVA,
    };
    let stock = reg.create_service("shop", "stock", "1.0.0").await;
    let first = reg.register(&stock, instance_body(7001)).await;

    // `queryServiceId` (URIBuilder, environment "" by default): non-200 = not registered.
    let existence = "/existence?type=microservice&appId=shop&serviceName=order&version=1.0.0&env=";
    assert_ne!(java.get(existence, &[]).await.status, 200);
    // `MicroserviceHandler.createMicroservice` as Jackson writes it, nulls included.
    let created = java
        .send(
            Method::POST,
            "/microservices",
            &[],
            Some(json!({"service": {
                "serviceId": null, "framework": {"name": "ServiceComb", "version": "3.3.0"},
                "registerBy": null, "environment": "", "appId": "shop", "serviceName": "order",
                "alias": null, "version": "1.0.0", "description": null, "level": null,
                "schemas": [SCHEMA_ID], "paths": [], "status": "UP",
                "properties": {"owner": "team-a"}, "instances": null,
                "timestamp": null, "modTimestamp": null
            }})),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let sid = created.json["serviceId"]
        .as_str()
        .expect("serviceId")
        .to_owned();
    // `RegisterSchemaTask` → `registerSchema`: `CreateSchemaRequest`.
    let schema = java
        .send(
            Method::PUT,
            &format!("/microservices/{sid}/schemas/{SCHEMA_ID}"),
            &[],
            Some(json!({"schema": SCHEMA, "summary": summary()})),
        )
        .await;
    assert_eq!(schema.status, 200, "{}", schema.text);
    // `createMicroserviceInstance`: the client's id (`RegistrationId`, a dashed UUID),
    // push 15 s × 3, times in milliseconds as strings.
    let iid = uuid::Uuid::new_v4().to_string();
    let instance = json!({"instance": {
        "instanceId": iid, "serviceId": sid, "version": "1.0.0",
        "endpoints": ["rest://127.0.0.1:8080"], "hostName": "order-host", "status": "UP",
        "properties": {"owner": "team-a"},
        "healthCheck": {"mode": "push", "port": 0, "interval": 15, "times": 3},
        "dataCenterInfo": null, "timestamp": "1700000000000", "modTimestamp": "1700000000000"
    }});
    let instances = format!("/microservices/{sid}/instances");
    let registered = java
        .send(Method::POST, &instances, &[], Some(instance.clone()))
        .await;
    assert_eq!(registered.status, 200, "{}", registered.text);
    assert_eq!(registered.json["instanceId"], iid.as_str());
    // `SendHeartBeatTask` → `sendHeartBeat`: PUT without a body; only 200 counts.
    let beat = format!("{instances}/{iid}/heartbeat");
    assert_eq!(java.send(Method::PUT, &beat, &[], None).await.status, 200);
    // `sendHeartBeats` (public; `HeartbeatsRequest` serialises as `instances`).
    let beats = java
        .send(
            Method::PUT,
            "/heartbeats",
            &[],
            Some(json!({"instances": [{"serviceId": sid, "instanceId": iid}]})),
        )
        .await;
    assert_eq!(beats.status, 200, "{}", beats.text);

    // `SCRegistration.onMicroserviceInstanceRegistrationEvent` → `startWatch`: only
    // the tenant header (and auth) on the handshake.
    let mut socket = open_watcher(&srv, &sid, &[("x-domain-name", "default")]).await;
    // `findMicroserviceInstance`: `0+` URL-encoded once, `rev` empty until a 200 gave one.
    let consumer = [("X-ConsumerId", sid.as_str())];
    let find = |rev: &str| {
        format!("/instances?appId=shop&serviceName=stock&version=0%2B&rev={rev}")
    };
    let found = java.get(&find(""), &consumer).await;
    assert_eq!(found.status, 200, "{}", found.text);
    let rev = revision(&found);
    assert_eq!(ids(&found.json["instances"], "instanceId"), [first.as_str()]);
    assert_instances(&found.json["instances"]);
    // `setMicroserviceInfo`: each provider service id once.
    let provider = java.get(&format!("/microservices/{stock}"), &[]).await;
    assert_eq!(provider.status, 200, "{}", provider.text);
    assert_service(&provider.json["service"]);
    assert_eq!(java.get(&find(&rev), &consumer).await.status, 304);

    // Any text frame makes java-chassis pull again (`ServiceCenterWatch.onMessage`).
    let second = reg.register(&stock, instance_body(7002)).await;
    let event = next_event(&mut socket).await;
    assert_eq!(event["instance"]["instanceId"], second.as_str(), "{event}");
    let pulled = java.get(&find(&rev), &consumer).await;
    assert_eq!(pulled.status, 200, "{}", pulled.text);
    assert_ne!(revision(&pulled), rev);
    assert_eq!(pulled.json["instances"].as_array().map(Vec::len), Some(2));

    // A restart: the id is found, the service read (same schema ids, so no upload:
    // `isSwaggerDifferent`), its properties updated, the same instance id registered.
    let again = java.get(existence, &[]).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.json["serviceId"], sid.as_str());
    let service = java.get(&format!("/microservices/{sid}"), &[]).await;
    assert_eq!(service.status, 200, "{}", service.text);
    assert_service(&service.json["service"]);
    assert_eq!(service.json["service"]["schemas"], json!([SCHEMA_ID]));
    let properties = java
        .send(
            Method::PUT,
            &format!("/microservices/{sid}/properties"),
            &[],
            Some(json!({"properties": {"owner": "team-a"},
                        "framework": {"name": "ServiceComb", "version": "3.3.0"}})),
        )
        .await;
    assert_eq!(properties.status, 200, "{}", properties.text);
    let registered = java
        .send(Method::POST, &instances, &[], Some(instance))
        .await;
    assert_eq!(registered.status, 200, "{}", registered.text);
    assert_eq!(registered.json["instanceId"], iid.as_str());

    // Shutdown: DOWN first, then the delete; a heartbeat after it fails.
    let down = java
        .send(
            Method::PUT,
            &format!("{instances}/{iid}/status?value=DOWN"),
            &[],
            None,
        )
        .await;
    assert_eq!(down.status, 200, "{}", down.text);
    let gone = java
        .send(Method::DELETE, &format!("{instances}/{iid}"), &[], None)
        .await;
    assert_eq!(gone.status, 200, "{}", gone.text);
    assert_error(
        &java.send(Method::PUT, &beat, &[], None).await,
        400,
        "400017",
    );
    socket.close(None).await.expect("close");
}
