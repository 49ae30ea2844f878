//! The real registry clients, replayed request for request: go-chassis (through the
//! go-chassis/sc-client commit it pins), sc-client's own `FindInstances`, and
//! java-chassis 3.x (`clients/service-center-client`, `registry-service-center`).
//!
//! Each test sends what the client sends, in its order: its default headers on every
//! request (GET and DELETE included), its query strings byte for byte (sc-client's
//! double-encoded `version`), its JSON bodies as its encoder writes them (Go's
//! `omitempty`, Jackson's explicit `null`s). Each answer is checked for the fields that
//! client reads, with the JSON types its decoder needs: a missing or mistyped field
//! breaks the client even where a generic API test passes.
//!
//! Sources, read and not run (paths relative to each repository): go-chassis/go-chassis
//! `6bcf5150`, go-chassis/sc-client `dacdd0c8` (pinned by that go-chassis) and
//! `1cf8c04c` (HEAD), apache/servicecomb-java-chassis `1e9120f0`.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderName;

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

/// The summary both clients send: lower-case hex SHA-256 of the content (sc-client
/// `AddSchemas`, java-chassis `SCRegistration.calcSchemaSummary`).
fn summary() -> String {
    hex::encode(Sha256::digest(SCHEMA))
}

/// A client library: the registry and the headers the library puts on every request.
/// A body goes as JSON, for which reqwest sets the same `Content-Type:
/// application/json`, so the library's own is added by hand only without a body.
struct Sdk<'a>(&'a RegistryClient, &'static [(&'static str, &'static str)]);

impl Sdk<'_> {
    async fn send(
        &self,
        method: Method,
        path: &str,
        extra: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let mut headers: Vec<(&str, &str)> = self
            .1
            .iter()
            .copied()
            .filter(|(name, _)| body.is_none() || *name != "Content-Type")
            .collect();
        headers.extend_from_slice(extra);
        self.0
            .send(method, path, None, &headers, body.as_ref())
            .await
    }

    async fn get(&self, path: &str, extra: &[(&str, &str)]) -> Reply {
        self.send(Method::GET, path, extra, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(Method::POST, path, &[], Some(body)).await
    }

    async fn put(&self, path: &str, body: Option<Value>) -> Reply {
        self.send(Method::PUT, path, &[], body).await
    }

    async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, &[], None).await
    }
}

/// A 200 (the only success these clients know), and its body.
#[track_caller]
fn ok(reply: Reply) -> Value {
    assert_eq!(reply.status, 200, "{}: {}", reply.request, reply.text);
    reply.json
}

/// `value[key]`, which must be a string.
#[track_caller]
fn id(value: &Value, key: &str) -> String {
    value[key].as_str().expect(key).to_owned()
}

/// Each of the space-separated `keys` is a string.
#[track_caller]
fn assert_strings(value: &Value, keys: &str) {
    for key in keys.split(' ') {
        assert!(value[key].is_string(), "{key}: {value}");
    }
}

/// One of the space-separated `allowed` values (a Java enum fails on any other).
#[track_caller]
fn assert_one_of(value: &Value, allowed: &str) {
    let found = allowed.split(' ').any(|a| value.as_str() == Some(a));
    assert!(found, "{value} is not one of {allowed}");
}

/// Absent, or a list or map of strings only (Go `[]string` / `map[string]string`, Java
/// `List<String>` / `Map<String, String>`).
fn strings(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(list) => list.iter().all(Value::is_string),
        Value::Object(map) => map.values().all(Value::is_string),
        _ => false,
    }
}

/// What both decoders read from an instance: cari `MicroServiceInstance` (times as
/// strings, the health check as int32) and java-chassis `MicroserviceInstance`, whose
/// enums (`status`, `healthCheck.mode`) fail the whole reply on an unknown value.
#[track_caller]
fn assert_instance(i: &Value) {
    assert_strings(
        i,
        "instanceId serviceId hostName version timestamp modTimestamp",
    );
    assert_one_of(&i["status"], "UP DOWN STARTING TESTING OUTOFSERVICE");
    assert!(i["endpoints"].is_array() && strings(&i["endpoints"]), "{i}");
    assert!(
        !i["properties"].is_array() && strings(&i["properties"]),
        "{i}"
    );
    let health = &i["healthCheck"];
    if !health.is_null() {
        assert_one_of(&health["mode"], "push pull");
        assert!(
            health["interval"].is_u64() && health["times"].is_u64(),
            "{i}"
        );
    }
}

#[track_caller]
fn assert_instances(list: &Value) {
    list.as_array()
        .expect("instances")
        .iter()
        .for_each(assert_instance);
}

/// What java-chassis (`Microservice`) and go-chassis (`ToMicroService`) read from
/// `GET /microservices/{id}`.
#[track_caller]
fn assert_service(s: &Value) {
    assert_strings(
        s,
        "serviceId appId serviceName version timestamp modTimestamp",
    );
    assert_one_of(&s["status"], "UP DOWN");
    assert!(
        !s["properties"].is_array() && strings(&s["properties"]),
        "{s}"
    );
    assert!(!s["schemas"].is_object() && strings(&s["schemas"]), "{s}");
    assert!(
        s["framework"].is_null() || s["framework"].is_object(),
        "{s}"
    );
}

/// The `X-Resource-Revision` of a discovery answer, which must be there.
#[track_caller]
fn revision(reply: &Reply) -> String {
    let rev = reply.headers.get("x-resource-revision");
    let rev = rev.and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(!rev.is_empty(), "{}: no X-Resource-Revision", reply.request);
    rev.to_owned()
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The watcher handshake, with the headers the client sends on it.
async fn open_watcher(srv: &TestServer, consumer: &str, headers: &[(&str, &str)]) -> Socket {
    let addr = srv.addr;
    let url = format!("ws://{addr}{REGISTRY}/microservices/{consumer}/watcher");
    let mut request = url.into_client_request().expect("request");
    for (name, value) in headers {
        let name: HeaderName = name.parse().expect("header name");
        let value = value.parse().expect("header value");
        request.headers_mut().insert(name, value);
    }
    let upgrade = tokio_tungstenite::connect_async(request).await;
    let (socket, response) = upgrade.expect("upgrade");
    assert_eq!(response.status(), 101);
    socket
}

/// The next text frame, within 5 s, as JSON.
async fn next_event(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), socket.next()).await;
        let frame = frame.expect("an event in time").expect("open");
        if let Message::Text(text) = frame.expect("a frame") {
            return serde_json::from_str(text.as_str()).expect("a JSON event");
        }
    }
}

/// go-chassis reads `action`, `key.appId/serviceName/version` and the whole instance
/// (`core/registry/servicecenter/cache.go` `watch`, `createAction`, `deleteAction`).
#[track_caller]
fn assert_event(event: &Value, action: &str, instance_id: &str) {
    let key = &event["key"];
    assert_eq!(event["action"], action, "{event}");
    assert_eq!(key["appId"], "shop", "{event}");
    assert_eq!(key["serviceName"], "stock", "{event}");
    assert!(key["version"].is_string(), "{event}");
    assert_eq!(event["instance"]["instanceId"], instance_id, "{event}");
    assert_instance(&event["instance"]);
}

/// go-chassis start-up (`core/registry/bootstrap.go` `RegisterService`, then
/// `RegisterServiceInstances` with schema upload and instance properties configured)
/// through sc-client `GetMicroServiceID`, `RegisterService`, `AddSchemas`,
/// `RegisterMicroServiceInstance` and `UpdateMicroServiceInstanceProperties`.
/// The service and instance ids.
async fn go_chassis_start(go: &Sdk<'_>, name: &str, port: u16) -> (String, String) {
    // Empty values (env) are left out; any status below 500 is decoded as
    // `{"serviceId"}`, so an error body means "" (not registered).
    let query = format!("type=microservice&appId=shop&serviceName={name}&version=1.0.0");
    let found = go.get(&format!("/existence?{query}"), &[]).await;
    let decodable = found.status < 500 && found.json.is_object();
    assert!(decodable, "{}", found.text);
    let sid = match found.json["serviceId"].as_str() {
        Some(sid) if !sid.is_empty() => sid.to_owned(),
        _ => {
            // cari `MicroService`, omitempty: no environment, level, paths, properties.
            let service = json!({"service": {
                "appId": "shop", "serviceName": name, "version": "1.0.0",
                "schemas": [SCHEMA_ID], "status": "UP", "registerBy": "SDK",
                "alias": format!("shop:{name}"),
                "framework": {"name": "Go-Chassis", "version": "v2.7.0"}
            }});
            id(&ok(go.post("/microservices", service).await), "serviceId")
        }
    };
    let schema = json!({
        "serviceId": sid, "schemaId": SCHEMA_ID, "schema": SCHEMA, "summary": summary()
    });
    let path = format!("/microservices/{sid}/schemas/{SCHEMA_ID}");
    ok(go.put(&path, Some(schema)).await);
    // `ToSCInstance`: no instanceId on a first start and no healthCheck (30 s × 3).
    let instance = json!({"instance": {
        "serviceId": sid, "endpoints": [format!("rest://127.0.0.1:{port}")],
        "hostName": format!("{name}-host"), "status": "UP", "properties": {"nodeIP": "127.0.0.1"}
    }});
    let path = format!("/microservices/{sid}/instances");
    let iid = id(&ok(go.post(&path, instance).await), "instanceId");
    // The body is the whole cari instance, only `properties` set.
    let path = format!("{path}/{iid}/properties");
    ok(go
        .put(&path, Some(json!({"properties": {"zone": "az1"}})))
        .await);
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
    let body = Some(json!({"consumerServiceId": consumer, "services": [key]}));
    let path = "/instances/action?type=query&rev=0";
    let headers = [("X-ConsumerId", consumer)];
    ok(go.send(Method::POST, path, &headers, body).await)["services"].take()
}

/// go-chassis: provider and consumer start, the HTTP heartbeat (mode non-keep-alive,
/// `core/registry/heartbeat.go`), batch discovery, the watcher's events for a second
/// provider instance, the periodic refresh, and deregistration on a graceful stop.
#[tokio::test]
async fn go_chassis_register_discover_watch() {
    let (srv, reg) = server().await;
    let go = Sdk(&reg, GO);
    let (stock, first) = go_chassis_start(&go, "stock", 5001).await;
    let (cart, cart_instance) = go_chassis_start(&go, "cart", 5002).await;
    let own = format!("/microservices/{cart}/instances/{cart_instance}");
    ok(go.put(&format!("{own}/heartbeat"), None).await);

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
    let path = format!("/microservices/{stock}/instances/{second}");
    ok(go.delete(&path).await);
    assert_event(&next_event(&mut socket).await, "DELETE", &second);

    // The periodic refresh (`refreshInterval`), then with the revision it returned.
    let refreshed = batch_find(&go, &cart, None).await;
    let item = &refreshed["updated"][0];
    assert_eq!(ids(&item["instances"], "instanceId"), [first.as_str()]);
    let unchanged = batch_find(&go, &cart, Some(&id(item, "rev"))).await;
    assert_eq!(unchanged["notModified"], json!([0]), "{unchanged}");
    assert!(unchanged.get("updated").is_none(), "{unchanged}");

    ok(go.delete(&own).await);
    socket.close(None).await.expect("close");
}

/// go-chassis after its lease lapsed (`core/registry/heartbeat.go`): the heartbeat
/// fails, `RetryRegister` finds the service still there (`GetMicroService`), and
/// `reRegisterSelfMSI` registers the instance again under its old id.
#[tokio::test]
async fn go_chassis_reregisters_its_instance_after_a_failed_heartbeat() {
    let (srv, reg) = server().await;
    let go = Sdk(&reg, GO);
    let (sid, iid) = go_chassis_start(&go, "stock", 5001).await;
    let clock = json!({"advance_secs": 600});
    let admin = srv.admin();
    let advanced = admin
        .send(Method::POST, "/_cloudtwin/clock", Some(&clock))
        .await;
    assert_eq!(advanced.status, 200, "{}", advanced.text);
    let beat = format!("/microservices/{sid}/instances/{iid}/heartbeat");
    assert_error(&go.put(&beat, None).await, 400, "400017");
    let service = ok(go.get(&format!("/microservices/{sid}"), &[]).await);
    assert_service(&service["service"]);
    // sc-client fills serviceId from its argument; the properties are those set at start.
    let instance = json!({"instance": {
        "instanceId": iid, "serviceId": sid, "endpoints": ["rest://127.0.0.1:5001"],
        "hostName": "stock-host", "status": "UP", "properties": {"zone": "az1"}
    }});
    let path = format!("/microservices/{sid}/instances");
    assert_eq!(id(&ok(go.post(&path, instance).await), "instanceId"), iid);
    ok(go.put(&beat, None).await);
}

/// sc-client's own discovery (`client.go` `FindInstances` → `findInstances`, HEAD):
/// `version` is the already escaped `0%2B` escaped again by `url.QueryEscape`
/// (`url.go` `encodeParams`), `rev` from `WithRevision` comes last. It maps 200 (with
/// `X-Resource-Revision`), 304 (`ErrNotModified`) and a 400 whose body contains
/// `"errorCode":"400012"` (`ErrMicroServiceNotExists`). Then `UnregisterMicroService`.
#[tokio::test]
async fn sc_client_find_instances_double_encoded_version() {
    let (_srv, reg) = server().await;
    let sc = Sdk(&reg, GO);
    let stock = reg.create_service("shop", "stock", "1.0.0").await;
    let first = reg.register(&stock, instance_body(7001)).await;
    let cart = reg.create_service("shop", "cart", "1.0.0").await;
    let consumer = [("X-ConsumerId", cart.as_str())];
    let query = "/instances?appId=shop&serviceName=stock&version=0%252B";

    let found = sc.get(query, &consumer).await;
    let rev = revision(&found);
    let found = ok(found);
    assert_eq!(ids(&found["instances"], "instanceId"), [first.as_str()]);
    assert_instances(&found["instances"]);

    let same = sc.get(&format!("{query}&rev={rev}"), &consumer).await;
    assert_eq!(same.status, 304, "{}", same.text);
    assert!(same.text.is_empty(), "{}", same.text);

    let second = reg.register(&stock, instance_body(7002)).await;
    let changed = sc.get(&format!("{query}&rev={rev}"), &consumer).await;
    assert_ne!(revision(&changed), rev);
    let mut got = ids(&ok(changed)["instances"], "instanceId");
    got.sort();
    let mut want = vec![first, second];
    want.sort();
    assert_eq!(got, want);

    let missing = "/instances?appId=shop&serviceName=nosuch&version=0%252B";
    let missing = sc.get(missing, &consumer).await;
    assert_eq!(missing.status, 400, "{}", missing.text);
    let code = missing.text.contains(r#""errorCode":"400012""#);
    assert!(code, "{}", missing.text);

    ok(sc.delete(&format!("/microservices/{cart}?force=1")).await);
    let gone = sc.get(&format!("/microservices/{cart}"), &[]).await;
    assert_error(&gone, 400, "400012");
}

/// java-chassis 3.x: `ServiceCenterRegistration` (existence, register, schemas,
/// instance, heartbeats; then the already-registered branch of a restart),
/// `ServiceCenterWatch`, and `ServiceCenterDiscovery.pullInstance` with `rev`, all
/// through `ServiceCenterClient`; at shutdown `SCBEngine.turnDownInstanceStatus`, then
/// the delete the demo `RegistryClientTest` sends after `stop()` (the task sends none).
#[tokio::test]
async fn java_chassis_register_schemas_heartbeat_shutdown() {
    let (srv, reg) = server().await;
    let java = Sdk(&reg, JAVA);
    let stock = reg.create_service("shop", "stock", "1.0.0").await;
    let first = reg.register(&stock, instance_body(7001)).await;

    // `queryServiceId` (URIBuilder, environment "" by default): non-200 = not registered.
    let existence = "/existence?type=microservice&appId=shop&serviceName=order&version=1.0.0&env=";
    assert_ne!(java.get(existence, &[]).await.status, 200);
    // `MicroserviceHandler.createMicroservice` as Jackson writes it, nulls included.
    let service = json!({"service": {
        "serviceId": null, "framework": {"name": "ServiceComb", "version": "3.3.0"},
        "registerBy": null, "environment": "", "appId": "shop", "serviceName": "order",
        "alias": null, "version": "1.0.0", "description": null, "level": null,
        "schemas": [SCHEMA_ID], "paths": [], "status": "UP", "properties": {"owner": "team-a"},
        "instances": null, "timestamp": null, "modTimestamp": null
    }});
    let sid = id(&ok(java.post("/microservices", service).await), "serviceId");
    // `RegisterSchemaTask` → `registerSchema`: a `CreateSchemaRequest`.
    let schema = json!({"schema": SCHEMA, "summary": summary()});
    let path = format!("/microservices/{sid}/schemas/{SCHEMA_ID}");
    ok(java.put(&path, Some(schema)).await);
    // `createMicroserviceInstance`: the client's own id (`RegistrationId`, a dashed
    // UUID), push 15 s × 3, times in milliseconds as strings.
    let iid = uuid::Uuid::new_v4().to_string();
    let instance = json!({"instance": {
        "instanceId": iid, "serviceId": sid, "version": "1.0.0",
        "endpoints": ["rest://127.0.0.1:8080"], "hostName": "order-host", "status": "UP",
        "properties": {"owner": "team-a"},
        "healthCheck": {"mode": "push", "port": 0, "interval": 15, "times": 3},
        "dataCenterInfo": null, "timestamp": "1700000000000", "modTimestamp": "1700000000000"
    }});
    let instances = format!("/microservices/{sid}/instances");
    let registered = ok(java.post(&instances, instance.clone()).await);
    assert_eq!(id(&registered, "instanceId"), iid);
    // `SendHeartBeatTask` → `sendHeartBeat`: a PUT without a body, only 200 counts.
    let beat = format!("{instances}/{iid}/heartbeat");
    ok(java.put(&beat, None).await);
    // `sendHeartBeats` (public API; `HeartbeatsRequest` serialises as `instances`).
    let beats = json!({"instances": [{"serviceId": sid, "instanceId": iid}]});
    ok(java.put("/heartbeats", Some(beats)).await);

    // `SCRegistration.onMicroserviceInstanceRegistrationEvent` → `startWatch`: only the
    // tenant header (and auth, off here) on the handshake.
    let mut socket = open_watcher(&srv, &sid, &[("x-domain-name", "default")]).await;
    // `findMicroserviceInstance`: `0+` URL-encoded once, `rev` empty until a 200 gave one.
    let consumer = [("X-ConsumerId", sid.as_str())];
    let find =
        |rev: &str| format!("/instances?appId=shop&serviceName=stock&version=0%2B&rev={rev}");
    let found = java.get(&find(""), &consumer).await;
    let rev = revision(&found);
    let found = ok(found);
    assert_eq!(ids(&found["instances"], "instanceId"), [first.as_str()]);
    assert_instances(&found["instances"]);
    // `setMicroserviceInfo`: each provider service id once.
    let provider = ok(java.get(&format!("/microservices/{stock}"), &[]).await);
    assert_service(&provider["service"]);
    assert_eq!(java.get(&find(&rev), &consumer).await.status, 304);

    // Any text frame makes java-chassis pull again (`ServiceCenterWatch.onMessage`).
    let second = reg.register(&stock, instance_body(7002)).await;
    let event = next_event(&mut socket).await;
    assert_eq!(event["instance"]["instanceId"], second.as_str(), "{event}");
    let pulled = java.get(&find(&rev), &consumer).await;
    assert_ne!(revision(&pulled), rev);
    assert_eq!(ok(pulled)["instances"].as_array().map(Vec::len), Some(2));

    // A restart: the id is found, the service read (the same schema ids, so no upload:
    // `isSwaggerDifferent`), its properties updated, the same instance id registered.
    assert_eq!(id(&ok(java.get(existence, &[]).await), "serviceId"), sid);
    let service = ok(java.get(&format!("/microservices/{sid}"), &[]).await);
    assert_service(&service["service"]);
    assert_eq!(service["service"]["schemas"], json!([SCHEMA_ID]));
    let properties = json!({
        "properties": {"owner": "team-a"},
        "framework": {"name": "ServiceComb", "version": "3.3.0"}
    });
    ok(java
        .put(
            &format!("/microservices/{sid}/properties"),
            Some(properties),
        )
        .await);
    let registered = ok(java.post(&instances, instance).await);
    assert_eq!(id(&registered, "instanceId"), iid);

    // Shutdown: DOWN first, then the delete; a heartbeat after it fails.
    let status = format!("{instances}/{iid}/status?value=DOWN");
    ok(java.put(&status, None).await);
    ok(java.delete(&format!("{instances}/{iid}")).await);
    assert_error(&java.put(&beat, None).await, 400, "400017");
    socket.close(None).await.expect("close");
}

/// java-chassis run from an IDE or exploded classes has no jar manifest, so Jackson
/// writes the framework version as `null`; Service Center reads it as empty, and so must
/// the twin, or the client retries its registration forever.
#[tokio::test]
async fn java_chassis_without_a_jar_manifest_registers() {
    let (_srv, reg) = server().await;
    let java = Sdk(&reg, JAVA);
    let service = json!({"service": {
        "serviceId": null, "framework": {"name": "ServiceComb", "version": null},
        "appId": "shop", "serviceName": "ide-run", "version": "1.0.0",
        "paths": [{"path": "/hello", "property": null}], "status": "UP"
    }});
    let sid = id(&ok(java.post("/microservices", service).await), "serviceId");
    let service = ok(java.get(&format!("/microservices/{sid}"), &[]).await);
    assert_eq!(
        service["service"]["framework"],
        json!({"name": "ServiceComb"})
    );
    assert_eq!(service["service"]["paths"], json!([{"path": "/hello"}]));
}
