//! The ServiceComb v4 registry over HTTP, with auth off (tenant from `X-Domain-Name`).

mod common;

use std::time::Duration;

use cloudtwin::config::Switch;
use reqwest::Method;
use serde_json::{Value, json};

use common::TestServer;

const BASE: &str = "/v4/default/registry";

async fn server() -> TestServer {
    common::spawn_with(|s| {
        s.auth.registry = Switch::Off;
        s.registry.reaper_period_ms = 100;
    })
    .await
}

/// Status, body text and body JSON (`Null` when the body is empty or not JSON).
struct Reply {
    status: u16,
    text: String,
    json: Value,
    headers: reqwest::header::HeaderMap,
}

async fn send(
    srv: &TestServer,
    method: Method,
    path: &str,
    domain: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Reply {
    let mut req = srv
        .client
        .request(method, srv.url(&format!("{BASE}{path}")));
    if let Some(domain) = domain {
        req = req.header("X-Domain-Name", domain);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(body) = body {
        req = req.json(body);
    }
    let res = req.send().await.expect("request is sent");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.expect("body is read");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        text,
        json,
        headers,
    }
}

async fn get(srv: &TestServer, path: &str) -> Reply {
    send(srv, Method::GET, path, None, &[], None).await
}

async fn post(srv: &TestServer, path: &str, body: Value) -> Reply {
    send(srv, Method::POST, path, None, &[], Some(&body)).await
}

async fn put(srv: &TestServer, path: &str, body: Option<Value>) -> Reply {
    send(srv, Method::PUT, path, None, &[], body.as_ref()).await
}

async fn delete(srv: &TestServer, path: &str) -> Reply {
    send(srv, Method::DELETE, path, None, &[], None).await
}

async fn batch_delete(srv: &TestServer, query: &str, body: Value) -> Reply {
    send(
        srv,
        Method::DELETE,
        &format!("/microservices{query}"),
        None,
        &[],
        Some(&body),
    )
    .await
}

#[track_caller]
fn assert_error(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(reply.json["errorCode"], code, "{}", reply.text);
    assert!(reply.json["errorMessage"].is_string(), "{}", reply.text);
}

async fn create_service(srv: &TestServer, app: &str, name: &str, version: &str) -> String {
    let reply = post(
        srv,
        "/microservices",
        json!({"service": {"appId": app, "serviceName": name, "version": version}}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json["serviceId"]
        .as_str()
        .expect("serviceId")
        .to_owned()
}

fn instance_body(port: u16) -> Value {
    json!({"instance": {
        "hostName": "cse",
        "endpoints": [format!("rest://127.0.0.1:{port}")],
        "status": "UP",
        "properties": {"attr1": "a"},
        "healthCheck": {"mode": "push", "interval": 30, "times": 2}
    }})
}

async fn register(srv: &TestServer, service_id: &str, body: Value) -> String {
    let reply = post(srv, &format!("/microservices/{service_id}/instances"), body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json["instanceId"]
        .as_str()
        .expect("instanceId")
        .to_owned()
}

async fn find(srv: &TestServer, query: &str, consumer: Option<&str>) -> Reply {
    let headers: Vec<(&str, &str)> = consumer.map(|c| ("X-ConsumerId", c)).into_iter().collect();
    send(
        srv,
        Method::GET,
        &format!("/instances?{query}"),
        None,
        &headers,
        None,
    )
    .await
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i[key].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn count(srv: &TestServer, sql: &str) -> i64 {
    srv.sqlite()
        .query_row(sql, [], |row| row.get(0))
        .expect("count query")
}

/// Rows left behind that name a service that no longer exists.
fn orphans(srv: &TestServer) -> i64 {
    count(
        srv,
        "SELECT (SELECT COUNT(*) FROM instances WHERE service_id NOT IN (SELECT service_id FROM microservices)) \
         + (SELECT COUNT(*) FROM service_schemas WHERE service_id NOT IN (SELECT service_id FROM microservices)) \
         + (SELECT COUNT(*) FROM service_tags WHERE service_id NOT IN (SELECT service_id FROM microservices)) \
         + (SELECT COUNT(*) FROM dependencies WHERE consumer_id NOT IN (SELECT service_id FROM microservices))",
    )
}

// ---------------------------------------------------------------------------------------
// Microservices

#[tokio::test]
async fn create_is_idempotent_and_ids_are_deterministic() {
    let srv = server().await;
    let id = create_service(&srv, "app", "orders", "1.0.0").await;
    assert_eq!(id.len(), 40, "sha1 hex id: {id}");
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(create_service(&srv, "app", "orders", "1.0.0").await, id);
    assert_ne!(create_service(&srv, "app", "orders", "1.0.1").await, id);

    // Deleted and re-created: the same id again.
    assert_eq!(
        delete(&srv, &format!("/microservices/{id}")).await.status,
        200
    );
    assert_eq!(create_service(&srv, "app", "orders", "1.0.0").await, id);

    // A custom id is kept; a different custom id for an existing key is a conflict.
    let reply = post(
        &srv,
        "/microservices",
        json!({"service": {"serviceId": "my-id", "serviceName": "custom", "version": "1.0"}}),
    )
    .await;
    assert_eq!(reply.json["serviceId"], "my-id", "{}", reply.text);
    let reply = post(
        &srv,
        "/microservices",
        json!({"service": {"serviceId": "other-id", "serviceName": "custom", "version": "1.0"}}),
    )
    .await;
    assert_error(&reply, 400, "400010");
    let reply = post(
        &srv,
        "/microservices",
        json!({"service": {"serviceId": "my-id", "serviceName": "another", "version": "1.0"}}),
    )
    .await;
    assert_error(&reply, 400, "400010");

    // Defaults as Service Center fills them.
    let reply = get(&srv, "/microservices/my-id").await;
    let service = &reply.json["service"];
    assert_eq!(service["appId"], "default");
    assert_eq!(service["level"], "BACK");
    assert_eq!(service["status"], "UP");
    assert!(
        service["timestamp"]
            .as_str()
            .unwrap()
            .parse::<i64>()
            .is_ok()
    );
}

#[tokio::test]
async fn create_rejects_invalid_services() {
    let srv = server().await;
    for body in [
        json!({}),
        json!({"service": {"serviceName": "", "version": "1.0.0"}}),
        json!({"service": {"serviceName": "-bad", "version": "1.0.0"}}),
        json!({"service": {"serviceName": "ok", "version": "1.a.0"}}),
        json!({"service": {"serviceName": "ok", "version": "1.32768.0"}}),
        json!({"service": {"serviceName": "ok", "version": "1.1.0.0.0"}}),
        json!({"service": {"serviceName": "ok", "environment": "staging"}}),
        json!({"service": {"serviceName": "ok", "level": "TOP"}}),
        json!({"service": {"serviceName": "ok", "serviceId": "has space"}}),
        json!({"service": {"serviceName": "ok"}, "tags": {"1bad": "v"}}),
        json!({"service": {"serviceName": "ok"}, "instances": [{"hostName": ""}]}),
    ] {
        let reply = post(&srv, "/microservices", body.clone()).await;
        assert_error(&reply, 400, "400001");
        assert!(reply.json.get("detail").is_some(), "detail for {body}");
    }
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM microservices"), 0);
}

#[tokio::test]
async fn create_with_tags_and_instances() {
    let srv = server().await;
    let reply = post(
        &srv,
        "/microservices",
        json!({
            "service": {"appId": "shop", "serviceName": "cart", "version": "1.0.0"},
            "tags": {"team": "red"},
            "instances": [{"hostName": "h1", "endpoints": ["rest://10.0.0.1:80"]}]
        }),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let id = reply.json["serviceId"].as_str().unwrap().to_owned();
    let tags = get(&srv, &format!("/microservices/{id}/tags")).await;
    assert_eq!(tags.json, json!({"tags": {"team": "red"}}));
    let instances = get(&srv, &format!("/microservices/{id}/instances")).await;
    let list = instances.json["instances"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["hostName"], "h1");
    assert_eq!(list[0]["version"], "1.0.0");
    assert_eq!(list[0]["healthCheck"]["interval"], 30);
    assert_eq!(list[0]["healthCheck"]["times"], 3);
}

#[tokio::test]
async fn get_list_existence_and_properties() {
    let srv = server().await;
    let id = create_service(&srv, "integrationtestAppId", "svc1", "0.0.1").await;

    let reply = get(&srv, &format!("/microservices/{id}")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json["service"]["serviceName"], "svc1");
    assert_eq!(reply.json["service"]["serviceId"], id.as_str());
    assert_error(&get(&srv, "/microservices/abcd").await, 400, "400012");

    let reply = get(&srv, "/microservices").await;
    assert_eq!(ids(&reply.json["services"], "serviceName"), ["svc1"]);
    let reply = get(&srv, "/microservices?appId=nope").await;
    assert_eq!(reply.json, json!({}));

    // Another tenant sees nothing.
    let reply = send(
        &srv,
        Method::GET,
        "/microservices",
        Some("default1"),
        &[],
        None,
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text.trim(), "{}");
    let reply = send(
        &srv,
        Method::GET,
        &format!("/microservices/{id}"),
        Some("default1"),
        &[],
        None,
    )
    .await;
    assert_error(&reply, 400, "400012");

    let q = "/existence?type=microservice&appId=integrationtestAppId&serviceName=svc1";
    let reply = get(&srv, &format!("{q}&version=0.0.1")).await;
    assert_eq!(reply.json, json!({"serviceId": id}));
    assert_error(
        &get(&srv, &format!("{q}&version=9.9.9")).await,
        400,
        "400026",
    );
    assert_error(
        &get(&srv, "/existence?type=microservice&appId=integrationtestAppId&serviceName=nope&version=0.0.1").await,
        400,
        "400012",
    );
    assert_error(
        &get(
            &srv,
            "/existence?type=microservice&appId=&serviceName=svc1&version=0.0.1",
        )
        .await,
        400,
        "400001",
    );
    assert_error(&get(&srv, "/existence?type=planet").await, 400, "400001");

    let reply = put(
        &srv,
        &format!("/microservices/{id}/properties"),
        Some(json!({"properties": {"attr2": "bb"}})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.text, "");
    let reply = get(&srv, &format!("/microservices/{id}")).await;
    assert_eq!(reply.json["service"]["properties"], json!({"attr2": "bb"}));
    assert_error(
        &put(
            &srv,
            "/microservices/WrongID/properties",
            Some(json!({"properties": {"a": "b"}})),
        )
        .await,
        400,
        "400012",
    );
    assert_error(
        &put(
            &srv,
            &format!("/microservices/{id}/properties"),
            Some(json!({"wrongtype": {}})),
        )
        .await,
        400,
        "400001",
    );
}

#[tokio::test]
async fn wrong_method_is_405_and_unknown_path_404() {
    let srv = server().await;
    let reply = send(&srv, Method::PATCH, "/microservices", None, &[], None).await;
    assert_error(&reply, 405, "405001");
    let reply = get(&srv, "/microservices/a/nothing").await;
    assert_error(&reply, 404, "404001");
}

// ---------------------------------------------------------------------------------------
// Single delete

#[tokio::test]
async fn single_delete_checks_in_service_center_order() {
    let srv = server().await;
    assert_error(
        &delete(&srv, "/microservices/56565?force=true").await,
        400,
        "400012",
    );

    let with_inst = create_service(&srv, "delete_service", "with_inst", "1.0.0").await;
    register(&srv, &with_inst, instance_body(1)).await;
    let reply = delete(&srv, &format!("/microservices/{with_inst}?force=yes")).await;
    assert_error(&reply, 400, "400001");
    assert_eq!(
        reply.json["detail"],
        "parameter force must be false or true"
    );
    assert_error(
        &delete(&srv, &format!("/microservices/{with_inst}?force=True")).await,
        400,
        "400001",
    );

    let reply = delete(&srv, &format!("/microservices/{with_inst}")).await;
    assert_error(&reply, 400, "400013");
    assert_eq!(
        reply.json["detail"],
        "Can not delete the service deployed instance(s)."
    );
    assert_error(
        &delete(&srv, &format!("/microservices/{with_inst}?force=0")).await,
        400,
        "400013",
    );

    let provider = create_service(&srv, "delete_service", "no_inst", "1.0.0").await;
    register(&srv, &provider, instance_body(2)).await;
    let consumer = create_service(&srv, "delete_service", "consumer", "1.0.0").await;
    let reply = find(
        &srv,
        "appId=delete_service&serviceName=no_inst",
        Some(&consumer),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    // Depended on and with instances: the dependency is reported first.
    let reply = delete(&srv, &format!("/microservices/{provider}?force=false")).await;
    assert_error(&reply, 400, "400023");
    assert_eq!(
        reply.json["detail"],
        "Can not delete this service, other service rely it."
    );

    let reply = delete(&srv, &format!("/microservices/{with_inst}?force=1")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.text, "", "success has an empty body");
    assert_eq!(
        delete(&srv, &format!("/microservices/{provider}?force=true"))
            .await
            .status,
        200
    );
    assert_eq!(
        delete(&srv, &format!("/microservices/{consumer}"))
            .await
            .status,
        200
    );
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM microservices"), 0);
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM instances"), 0);
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM dependencies"), 0);
}

#[tokio::test]
async fn deleting_the_consumer_first_frees_the_provider() {
    let srv = server().await;
    let provider = create_service(&srv, "a", "p", "1.0.0").await;
    let consumer = create_service(&srv, "a", "c", "1.0.0").await;
    let reply = put(
        &srv,
        "/dependencies",
        Some(json!({"dependencies": [{"consumer": {"appId": "a", "serviceName": "c", "version": "1.0.0"},
                     "providers": [{"appId": "a", "serviceName": "p", "version": "1.0.0"}]}]})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_error(
        &delete(&srv, &format!("/microservices/{provider}")).await,
        400,
        "400023",
    );
    assert_eq!(
        delete(&srv, &format!("/microservices/{consumer}"))
            .await
            .status,
        200
    );
    assert_eq!(
        delete(&srv, &format!("/microservices/{provider}"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_dependency_blocks_every_version_of_the_provider_but_not_self() {
    let srv = server().await;
    let v1 = create_service(&srv, "a", "p", "1.0.0").await;
    let v2 = create_service(&srv, "a", "p", "2.0.0").await;
    // v2 depends on its own name: that blocks v1 (another service) but not v2 itself.
    let reply = find(&srv, "appId=a&serviceName=p", Some(&v2)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json, json!({}), "no instances yet");
    assert_error(
        &delete(&srv, &format!("/microservices/{v1}")).await,
        400,
        "400023",
    );
    assert_eq!(
        delete(&srv, &format!("/microservices/{v2}")).await.status,
        200
    );
    // With v2 gone nothing depends on the name any more.
    assert_eq!(
        delete(&srv, &format!("/microservices/{v1}")).await.status,
        200
    );

    let only = create_service(&srv, "a", "self", "1.0.0").await;
    let reply = post(
        &srv,
        "/dependencies",
        json!({"dependencies": [{"consumer": {"appId": "a", "serviceName": "self", "version": "1.0.0"},
                "providers": [{"serviceName": "self"}]}]}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = get(&srv, &format!("/microservices/{only}/providers")).await;
    assert_eq!(ids(&reply.json["providers"], "serviceId"), [only.as_str()]);
    assert_eq!(
        delete(&srv, &format!("/microservices/{only}")).await.status,
        200
    );
}

// ---------------------------------------------------------------------------------------
// Batch delete

#[tokio::test]
async fn batch_delete_reports_each_service_in_request_order() {
    let srv = server().await;
    let bare = create_service(&srv, "b", "bare", "1.0.0").await;
    let with_inst = create_service(&srv, "b", "inst", "1.0.0").await;
    register(&srv, &with_inst, instance_body(1)).await;
    let provider = create_service(&srv, "b", "prov", "1.0.0").await;
    let consumer = create_service(&srv, "b", "cons", "1.0.0").await;
    assert_eq!(
        find(&srv, "appId=b&serviceName=prov", Some(&consumer))
            .await
            .status,
        200
    );

    let reply = batch_delete(
        &srv,
        "",
        json!({"serviceIds": ["missing", with_inst, bare, provider, bare, "missing"], "force": false}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.json,
        json!({"services": [
            {"serviceId": "missing", "errMessage": "Micro-service does not exist(Service does not exist.)"},
            {"serviceId": with_inst, "errMessage": "Micro-service has deployed instance(s)(Can not delete the service deployed instance(s).)"},
            {"serviceId": bare},
            {"serviceId": provider, "errMessage": "Consumer(s) depends on this micro-service(Can not delete this service, other service rely it.)"},
        ]})
    );
    // Failed ones changed nothing; the succeeded one is gone.
    assert_eq!(
        get(&srv, &format!("/microservices/{with_inst}/instances"))
            .await
            .json["instances"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        get(&srv, &format!("/microservices/{provider}"))
            .await
            .status,
        200
    );
    assert_error(
        &get(&srv, &format!("/microservices/{bare}")).await,
        400,
        "400012",
    );

    // Force in the body takes both refused services down, instances and rules with them.
    let reply = batch_delete(
        &srv,
        "",
        json!({"serviceIds": [provider, with_inst], "force": true}),
    )
    .await;
    assert_eq!(
        reply.json,
        json!({"services": [{"serviceId": provider}, {"serviceId": with_inst}]})
    );
    assert_error(
        &get(&srv, &format!("/microservices/{with_inst}/instances")).await,
        400,
        "400012",
    );
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM instances"), 0);
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM dependencies"), 0);
    assert_eq!(orphans(&srv), 0);
}

#[tokio::test]
async fn batch_delete_takes_force_from_the_query() {
    let srv = server().await;
    let a = create_service(&srv, "q", "a", "1.0.0").await;
    register(&srv, &a, instance_body(1)).await;
    let reply = batch_delete(&srv, "?force=true", json!({"serviceIds": [a]})).await;
    assert_eq!(
        reply.json,
        json!({"services": [{"serviceId": a}]}),
        "{}",
        reply.text
    );

    let b = create_service(&srv, "q", "b", "1.0.0").await;
    register(&srv, &b, instance_body(2)).await;
    let reply = batch_delete(&srv, "?force=0", json!({"serviceIds": [b]})).await;
    assert!(
        reply.json["services"][0]["errMessage"].is_string(),
        "{}",
        reply.text
    );
    let reply = batch_delete(
        &srv,
        "?force=maybe",
        json!({"serviceIds": [b], "force": true}),
    )
    .await;
    assert_error(&reply, 400, "400001");
    assert_eq!(
        reply.json["detail"],
        "parameter force must be false or true"
    );
    assert_eq!(
        get(&srv, &format!("/microservices/{b}")).await.status,
        200,
        "nothing deleted"
    );
}

#[tokio::test]
async fn batch_delete_validates_the_whole_request_first() {
    let srv = server().await;
    let keep = create_service(&srv, "v", "keep", "1.0.0").await;
    let id64 = "x".repeat(64);
    let id65 = "x".repeat(65);
    for body in [
        json!({}),
        json!({"force": true}),
        json!({"serviceIds": []}),
        json!({"serviceIds": null}),
        json!({"serviceIds": [keep, ""]}),
        json!({"serviceIds": [keep, "has space"]}),
        json!({"serviceIds": [keep, "tab\there"]}),
        json!({"serviceIds": [keep, id65]}),
        json!({"serviceIds": "x"}),
        json!({"serviceIds": [keep], "force": "true"}),
    ] {
        let reply = batch_delete(&srv, "?force=true", body.clone()).await;
        assert_error(&reply, 400, "400001");
        assert_eq!(reply.json["errorMessage"], "Invalid parameter(s)", "{body}");
    }
    // Not JSON at all, and no body.
    for raw in ["serviceIds=a", ""] {
        let res = srv
            .client
            .delete(srv.url(&format!("{BASE}/microservices")))
            .header("Content-Type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["errorCode"], "400001");
    }
    assert_eq!(
        get(&srv, &format!("/microservices/{keep}")).await.status,
        200,
        "nothing deleted"
    );

    // 64 characters is a valid id (that does not exist).
    let reply = batch_delete(&srv, "", json!({"serviceIds": [id64]})).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json["services"][0]["serviceId"], id64.as_str());
    assert!(reply.json["services"][0]["errMessage"].is_string());
}

#[tokio::test]
async fn batch_delete_cannot_reach_another_tenant() {
    let srv = server().await;
    let mine = create_service(&srv, "t", "mine", "1.0.0").await;
    let reply = send(
        &srv,
        Method::DELETE,
        "/microservices",
        Some("other"),
        &[],
        Some(&json!({"serviceIds": [mine], "force": true})),
    )
    .await;
    assert_eq!(
        reply.json,
        json!({"services": [{"serviceId": mine, "errMessage": "Micro-service does not exist(Service does not exist.)"}]})
    );
    // Nor another project of the same domain.
    let reply = send(&srv, Method::DELETE, "/microservices/x", None, &[], None).await;
    assert_error(&reply, 400, "400012");
    let other_project = srv
        .client
        .delete(srv.url("/v4/elsewhere/registry/microservices"))
        .json(&json!({"serviceIds": [mine], "force": true}))
        .send()
        .await
        .unwrap();
    let body: Value = other_project.json().await.unwrap();
    assert!(body["services"][0]["errMessage"].is_string(), "{body}");
    assert_eq!(
        get(&srv, &format!("/microservices/{mine}")).await.status,
        200
    );
}

#[tokio::test]
async fn force_delete_leaves_no_orphans() {
    let srv = server().await;
    let p1 = create_service(&srv, "o", "p", "1.0.0").await;
    let p2 = create_service(&srv, "o", "p", "2.0.0").await;
    let c = create_service(&srv, "o", "c", "1.0.0").await;
    for id in [&p1, &p2, &c] {
        register(&srv, id, instance_body(1)).await;
        register(&srv, id, instance_body(2)).await;
        let reply = post(
            &srv,
            &format!("/microservices/{id}/schemas"),
            json!({"schemas": [{"schemaId": "s1", "schema": "openapi: 3.0.0", "summary": "abc"}]}),
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(
            post(
                &srv,
                &format!("/microservices/{id}/tags"),
                json!({"tags": {"k": "v"}})
            )
            .await
            .status,
            200
        );
    }
    assert_eq!(
        find(&srv, "appId=o&serviceName=p", Some(&c)).await.status,
        200
    );
    assert_eq!(
        find(&srv, "appId=o&serviceName=c", Some(&p1)).await.status,
        200
    );
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM dependencies"), 2);

    // p1 goes, but p2 still carries the name, so c's rule on it stays.
    let reply = batch_delete(&srv, "", json!({"serviceIds": [p1], "force": true})).await;
    assert_eq!(reply.json, json!({"services": [{"serviceId": p1}]}));
    assert_eq!(
        count(
            &srv,
            "SELECT COUNT(*) FROM dependencies WHERE provider_name = 'p'"
        ),
        1
    );
    let reply = get(&srv, &format!("/microservices/{c}/providers")).await;
    assert_eq!(ids(&reply.json["providers"], "serviceId"), [p2.as_str()]);

    let reply = batch_delete(&srv, "", json!({"serviceIds": [p2, c], "force": true})).await;
    assert_eq!(
        reply.json,
        json!({"services": [{"serviceId": p2}, {"serviceId": c}]})
    );
    for table in [
        "microservices",
        "instances",
        "service_schemas",
        "service_tags",
        "dependencies",
    ] {
        assert_eq!(
            count(&srv, &format!("SELECT COUNT(*) FROM {table}")),
            0,
            "{table}"
        );
    }
}

#[tokio::test]
async fn force_delete_racing_registrations_leaves_no_instance_behind() {
    let srv = server().await;
    let id = create_service(&srv, "race", "svc", "1.0.0").await;
    let mut clients = Vec::new();
    for port in 0..20u16 {
        let client = srv.client.clone();
        let base = srv.url(&format!("{BASE}/microservices/{id}/instances"));
        // Staggered so that the delete lands in the middle of the registrations.
        clients.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(u64::from(port) * 5)).await;
            let res = client
                .post(&base)
                .json(&instance_body(port))
                .send()
                .await
                .unwrap();
            let registered = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            let heartbeat = match body["instanceId"].as_str() {
                Some(iid) => {
                    let res = client
                        .put(format!("{base}/{iid}/heartbeat"))
                        .send()
                        .await
                        .unwrap();
                    let status = res.status().as_u16();
                    let body: Value = res.json().await.unwrap_or(Value::Null);
                    Some((status, body))
                }
                None => None,
            };
            (registered, body, heartbeat)
        }));
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while count(&srv, "SELECT COUNT(*) FROM instances") < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "registrations did not start"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let reply = batch_delete(&srv, "", json!({"serviceIds": [id], "force": true})).await;
    assert_eq!(
        reply.json,
        json!({"services": [{"serviceId": id}]}),
        "{}",
        reply.text
    );
    let mut registered = 0;
    for client in clients {
        let (status, body, heartbeat) = tokio::time::timeout(Duration::from_secs(5), client)
            .await
            .expect("registration finishes")
            .unwrap();
        // Each one either got in before the delete (and went with it) or was refused.
        assert!(
            status == 200 || (status == 400 && body["errorCode"] == "400012"),
            "{status} {body}"
        );
        if status == 200 {
            registered += 1;
        }
        if let Some((status, body)) = heartbeat {
            assert!(
                status == 200 || (status == 400 && body["errorCode"] == "400017"),
                "heartbeat {status} {body}"
            );
        }
    }
    assert!(
        registered >= 3,
        "the delete took registered instances with it"
    );
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM microservices"), 0);
    assert_eq!(orphans(&srv), 0);
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM instances"), 0);
    let reply = post(
        &srv,
        &format!("/microservices/{id}/instances"),
        instance_body(99),
    )
    .await;
    assert_error(&reply, 400, "400012");
}

// ---------------------------------------------------------------------------------------
// Instances

#[tokio::test]
async fn instance_lifecycle() {
    let srv = server().await;
    let sid = create_service(&srv, "inst", "svc", "0.0.2").await;
    let iid = register(&srv, &sid, instance_body(9984)).await;
    assert_eq!(iid.len(), 32);

    // Registering an existing id only renews it.
    let mut again = instance_body(1);
    again["instance"]["instanceId"] = json!(iid);
    assert_eq!(register(&srv, &sid, again).await, iid);
    let second = register(&srv, &sid, instance_body(9985)).await;
    assert_ne!(second, iid);

    let reply = post(
        &srv,
        &format!("/microservices/{sid}/instances"),
        json!({"instancse": {}}),
    )
    .await;
    assert_error(&reply, 400, "400001");
    let reply = post(&srv, "/microservices/nope/instances", instance_body(1)).await;
    assert_error(&reply, 400, "400012");

    let reply = get(&srv, &format!("/microservices/{sid}/instances")).await;
    let mut listed = ids(&reply.json["instances"], "instanceId");
    listed.sort();
    let mut expected = vec![iid.clone(), second.clone()];
    expected.sort();
    assert_eq!(listed, expected);
    assert_error(
        &get(&srv, "/microservices/XX/instances").await,
        400,
        "400012",
    );

    let path = format!("/microservices/{sid}/instances/{iid}");
    let reply = get(&srv, &path).await;
    assert_eq!(reply.json["instance"]["instanceId"], iid.as_str());
    assert_eq!(
        reply.json["instance"]["endpoints"],
        json!(["rest://127.0.0.1:9984"])
    );
    assert_eq!(
        reply.json["instance"]["healthCheck"],
        json!({"mode": "push", "interval": 30, "times": 2})
    );
    assert_error(
        &get(&srv, &format!("/microservices/{sid}/instances/XX")).await,
        400,
        "400017",
    );

    // Status.
    assert_eq!(
        put(&srv, &format!("{path}/status?value=DOWN"), None)
            .await
            .status,
        200
    );
    assert_eq!(get(&srv, &path).await.json["instance"]["status"], "DOWN");
    assert_error(
        &put(&srv, &format!("{path}/status?value=INVALID"), None).await,
        400,
        "400001",
    );
    assert_error(
        &put(&srv, &format!("{path}/status"), None).await,
        400,
        "400001",
    );
    assert_eq!(get(&srv, &path).await.json["instance"]["status"], "DOWN");

    // Properties are replaced.
    let props = json!({"_TAGS": "A,B", "attr1": "NewValue", "nodeIP": "two"});
    assert_eq!(
        put(
            &srv,
            &format!("{path}/properties"),
            Some(json!({"properties": props}))
        )
        .await
        .status,
        200
    );
    assert_eq!(get(&srv, &path).await.json["instance"]["properties"], props);
    assert_error(
        &put(
            &srv,
            &format!("/microservices/{sid}/instances/WRONGINSTANCEID/properties"),
            Some(json!({"properties": {}})),
        )
        .await,
        400,
        "400017",
    );

    // Heartbeats and their id checks.
    assert_eq!(
        put(&srv, &format!("{path}/heartbeat"), None).await.status,
        200
    );
    assert_error(
        &put(
            &srv,
            &format!("/microservices/{sid}/instances/XXX/heartbeat"),
            None,
        )
        .await,
        400,
        "400017",
    );
    assert_error(
        &put(
            &srv,
            &format!("/microservices/not-exist-id/instances/{iid}/heartbeat"),
            None,
        )
        .await,
        400,
        "400017",
    );
    let long = "x".repeat(65);
    assert_error(
        &put(
            &srv,
            &format!("/microservices/{long}/instances/{iid}/heartbeat"),
            None,
        )
        .await,
        400,
        "400001",
    );
    assert_error(
        &put(
            &srv,
            &format!("/microservices/{sid}/instances/{long}/heartbeat"),
            None,
        )
        .await,
        400,
        "400001",
    );
    assert_error(
        &put(
            &srv,
            &format!("/microservices/{sid}/instances/%40/heartbeat"),
            None,
        )
        .await,
        400,
        "400001",
    );

    // Deregister.
    assert_eq!(delete(&srv, &path).await.status, 200);
    assert_error(&delete(&srv, &path).await, 400, "400017");
    assert_error(&get(&srv, &path).await, 400, "400017");
    assert_error(
        &delete(&srv, &format!("/microservices/{sid}/instances/%40")).await,
        400,
        "400001",
    );
}

#[tokio::test]
async fn batch_heartbeat_reports_each_instance() {
    let srv = server().await;
    let sid = create_service(&srv, "hb", "svc", "1.0.0").await;
    let iid = register(&srv, &sid, instance_body(1)).await;
    for body in [json!({}), json!({"instances": []})] {
        assert_error(&put(&srv, "/heartbeats", Some(body)).await, 400, "400001");
    }
    let reply = put(
        &srv,
        "/heartbeats",
        Some(json!({"instances": [
            {"serviceId": sid, "instanceId": iid},
            {"serviceId": sid, "instanceId": "notexisted"},
            {"serviceId": sid, "instanceId": iid},
            {"serviceId": sid, "instanceId": "@"}
        ]})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let items = reply.json["instances"].as_array().unwrap();
    assert_eq!(items.len(), 3, "duplicates count once: {}", reply.text);
    assert!(items[0].get("errMessage").is_none());
    assert_eq!(
        items[1]["errMessage"],
        "Instance does not exist(Instance does not exist.)"
    );
    assert!(
        items[2]["errMessage"]
            .as_str()
            .unwrap()
            .starts_with("Invalid parameter(s)")
    );
}

#[tokio::test]
async fn leases_expire_from_discovery_then_from_the_table() {
    let srv = server().await;
    let sid = create_service(&srv, "lease", "short", "1.0.0").await;
    let short = register(
        &srv,
        &sid,
        json!({"instance": {"hostName": "h", "endpoints": ["rest://a:1"],
               "healthCheck": {"mode": "push", "interval": 1, "times": 0}}}),
    )
    .await;
    let long = register(&srv, &sid, instance_body(2)).await;
    let reply = find(&srv, "appId=lease&serviceName=short", None).await;
    assert_eq!(ids(&reply.json["instances"], "instanceId").len(), 2);

    // Heartbeats keep it alive past its first lease.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let reply = put(
            &srv,
            &format!("/microservices/{sid}/instances/{short}/heartbeat"),
            None,
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM instances"), 2);

    // Then silence: gone from discovery within about a lease.
    let deadline = tokio::time::Instant::now() + Duration::from_millis(2500);
    loop {
        let reply = find(&srv, "appId=lease&serviceName=short", None).await;
        let listed = ids(&reply.json["instances"], "instanceId");
        if listed == [long.clone()] {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still listed: {listed:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_error(
        &get(&srv, &format!("/microservices/{sid}/instances/{short}")).await,
        400,
        "400017",
    );
    assert_error(
        &put(
            &srv,
            &format!("/microservices/{sid}/instances/{short}/heartbeat"),
            None,
        )
        .await,
        400,
        "400017",
    );

    // And the reaper (every 100 ms here) removes the row.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while count(&srv, "SELECT COUNT(*) FROM instances") != 1 {
        assert!(tokio::time::Instant::now() < deadline, "reaper did not run");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // An expired instance does not block a plain delete once the long one is gone.
    assert_eq!(
        delete(&srv, &format!("/microservices/{sid}/instances/{long}"))
            .await
            .status,
        200
    );
    assert_eq!(
        delete(&srv, &format!("/microservices/{sid}")).await.status,
        200
    );
}

// ---------------------------------------------------------------------------------------
// Discovery and dependencies

#[tokio::test]
async fn discovery_with_version_rules() {
    let srv = server().await;
    let mut by_version = Vec::new();
    for version in ["1.0.0", "1.5.0", "2.0.0"] {
        let sid = create_service(&srv, "disc", "prov", version).await;
        let iid = register(&srv, &sid, instance_body(1)).await;
        by_version.push(iid);
    }
    let found = async |version: &str| {
        let reply = find(
            &srv,
            &format!("appId=disc&serviceName=prov&version={version}"),
            None,
        )
        .await;
        assert_eq!(reply.status, 200, "{version}: {}", reply.text);
        let mut got = ids(&reply.json["instances"], "instanceId");
        got.sort();
        got
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(found("").await, sorted(by_version.clone()));
    assert_eq!(found("latest").await, [by_version[2].clone()]);
    assert_eq!(found("1.5.0%2B").await, sorted(by_version[1..].to_vec()));
    assert_eq!(found("0.0.0.0%2B").await, sorted(by_version.clone()));
    assert_eq!(
        found("1.5.0+").await,
        sorted(by_version[1..].to_vec()),
        "unencoded +"
    );
    assert_eq!(found("1.0.0-2.0.0").await, sorted(by_version[..2].to_vec()));
    assert_eq!(found("1.5").await, [by_version[1].clone()]);

    assert_error(
        &find(&srv, "appId=disc&serviceName=prov&version=3.0.0", None).await,
        400,
        "400012",
    );
    assert_error(
        &find(&srv, "appId=disc&serviceName=prov&version=abc", None).await,
        400,
        "400001",
    );
    assert_error(
        &find(&srv, "appId=XXXX&serviceName=prov", None).await,
        400,
        "400012",
    );
    assert_error(&find(&srv, "serviceName=prov", None).await, 400, "400001");
    assert_error(
        &find(&srv, "appId=disc&serviceName=prov", Some("nobody")).await,
        400,
        "400012",
    );
    assert_error(
        &find(&srv, "appId=disc&serviceName=prov&env=production", None).await,
        400,
        "400012",
    );

    // Revisions: the same list answers 304 to a client that already has it.
    let first = find(&srv, "appId=disc&serviceName=prov", None).await;
    let rev = first.headers["x-resource-revision"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(rev.len(), 40);
    let again = find(
        &srv,
        &format!("appId=disc&serviceName=prov&rev={rev}"),
        None,
    )
    .await;
    assert_eq!(again.status, 304);
    assert_eq!(again.headers["x-resource-revision"], rev.as_str());
    let sid = first.json["instances"][0]["serviceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let iid = first.json["instances"][0]["instanceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let hb = format!("/microservices/{sid}/instances/{iid}/heartbeat");
    assert_eq!(put(&srv, &hb, None).await.status, 200);
    let after_heartbeat = find(
        &srv,
        &format!("appId=disc&serviceName=prov&rev={rev}"),
        None,
    )
    .await;
    assert_eq!(
        after_heartbeat.status, 304,
        "a heartbeat changes nothing visible"
    );
    let path = format!("/microservices/{sid}/instances/{iid}/status?value=DOWN");
    assert_eq!(put(&srv, &path, None).await.status, 200);
    let changed = find(
        &srv,
        &format!("appId=disc&serviceName=prov&rev={rev}"),
        None,
    )
    .await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.headers["x-resource-revision"], rev.as_str());

    let lonely = create_service(&srv, "disc", "lonely", "1.0.0").await;
    let reply = find(&srv, "appId=disc&serviceName=lonely", None).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json, json!({}));
    let reply = get(&srv, &format!("/microservices/{lonely}/instances")).await;
    assert_eq!(reply.json, json!({}));
}

#[tokio::test]
async fn discovery_with_a_consumer_records_the_dependency() {
    let srv = server().await;
    let provider = create_service(&srv, "dep", "prov", "0.0.2").await;
    let iid = register(&srv, &provider, instance_body(1)).await;
    let consumer = create_service(&srv, "dep", "C_prov", "0.0.2").await;
    assert_eq!(
        get(&srv, &format!("/microservices/{consumer}/providers"))
            .await
            .json,
        json!({})
    );

    let reply = find(
        &srv,
        "appId=dep&serviceName=prov&version=0.0.2",
        Some(&consumer),
    )
    .await;
    assert_eq!(ids(&reply.json["instances"], "instanceId"), [iid]);
    // Immediately, not after a queue is processed.
    let reply = get(&srv, &format!("/microservices/{consumer}/providers")).await;
    assert_eq!(
        ids(&reply.json["providers"], "serviceId"),
        [provider.as_str()]
    );
    let reply = get(&srv, &format!("/microservices/{provider}/consumers")).await;
    assert_eq!(
        ids(&reply.json["consumers"], "serviceId"),
        [consumer.as_str()]
    );
    // Asking again records nothing twice.
    find(&srv, "appId=dep&serviceName=prov", Some(&consumer)).await;
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM dependencies"), 1);

    assert_error(
        &get(&srv, "/microservices/wrongID/providers").await,
        400,
        "400012",
    );
    assert_error(
        &get(&srv, "/microservices/wrongID/consumers").await,
        400,
        "400012",
    );
}

#[tokio::test]
async fn discovery_by_alias_records_the_real_name() {
    let srv = server().await;
    let reply = post(
        &srv,
        "/microservices",
        json!({"service": {"appId": "al", "serviceName": "prov", "version": "1.0.0",
                           "alias": "al:prov"}}),
    )
    .await;
    let provider = reply.json["serviceId"].as_str().unwrap().to_owned();
    assert_eq!(
        get(&srv, &format!("/microservices/{provider}")).await.json["service"]["alias"],
        "al:prov"
    );
    let iid = register(&srv, &provider, instance_body(1)).await;
    let consumer = create_service(&srv, "al", "cons", "1.0.0").await;
    let reply = find(&srv, "appId=al&serviceName=al:prov", Some(&consumer)).await;
    assert_eq!(ids(&reply.json["instances"], "instanceId"), [iid.as_str()]);
    assert_error(
        &delete(&srv, &format!("/microservices/{provider}")).await,
        400,
        "400023",
    );
}

#[tokio::test]
async fn dependencies_put_overrides_and_post_adds() {
    let srv = server().await;
    let provider = create_service(&srv, "integrationtestAppId", "prov", "0.0.1").await;
    let consumer = create_service(&srv, "consumerAppId", "cons", "2.0.0").await;
    let consumer_key = json!({"appId": "consumerAppId", "serviceName": "cons", "version": "2.0.0"});
    let reply = put(
        &srv,
        "/dependencies",
        Some(json!({"dependencies": [{"consumer": consumer_key,
            "providers": [{"appId": "integrationtestAppId", "serviceName": "prov", "version": "0.0.1"}]}]})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.headers["deprecation"], "version=\"v4\"");
    let reply = post(
        &srv,
        "/dependencies",
        json!({"dependencies": [{"consumer": consumer_key, "providers": [{"serviceName": "cons"}]}]}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = get(&srv, &format!("/microservices/{consumer}/providers")).await;
    let mut names = ids(&reply.json["providers"], "serviceName");
    names.sort();
    assert_eq!(names, ["cons", "prov"], "the provider and itself");
    let reply = get(
        &srv,
        &format!("/microservices/{consumer}/providers?noSelf=1"),
    )
    .await;
    assert_eq!(ids(&reply.json["providers"], "serviceName"), ["prov"]);
    let reply = get(&srv, &format!("/microservices/{provider}/consumers")).await;
    assert_eq!(
        ids(&reply.json["consumers"], "serviceId"),
        [consumer.as_str()]
    );

    let reply = put(
        &srv,
        "/dependencies",
        Some(json!({"dependencies": [{"consumer": consumer_key, "providers": []}]})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        get(&srv, &format!("/microservices/{consumer}/providers"))
            .await
            .json,
        json!({})
    );

    // Refusals.
    let missing = json!({"dependencies": [{"consumer": {"appId": "consumerAppId", "serviceName": "cons", "version": "9.0.0"},
        "providers": [{"serviceName": "prov"}]}]});
    assert_error(
        &put(&srv, "/dependencies", Some(missing)).await,
        400,
        "400012",
    );
    let no_providers = json!({"dependencies": [{"consumer": consumer_key, "providers": []}]});
    assert_error(
        &post(&srv, "/dependencies", no_providers).await,
        400,
        "400001",
    );
    let dup = json!({"dependencies": [{"consumer": consumer_key,
        "providers": [{"serviceName": "prov", "appId": "x"}, {"serviceName": "prov", "appId": "x"}]}]});
    assert_error(&post(&srv, "/dependencies", dup).await, 400, "400001");
    let nameless =
        json!({"dependencies": [{"consumer": consumer_key, "providers": [{"appId": "x"}]}]});
    assert_error(&post(&srv, "/dependencies", nameless).await, 400, "400001");
    assert_error(
        &put(&srv, "/dependencies", Some(json!({"dependencies": []}))).await,
        400,
        "400001",
    );
}

// ---------------------------------------------------------------------------------------
// Schemas and tags

#[tokio::test]
async fn schemas() {
    let srv = server().await;
    let sid = create_service(&srv, "sch", "svc", "1.0.0").await;
    let base = format!("/microservices/{sid}/schemas");
    let reply = put(
        &srv,
        &format!("{base}/first"),
        Some(json!({"schema": "a: 1", "summary": "sum1"})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = get(&srv, &format!("{base}/first")).await;
    assert_eq!(reply.json, json!({"schema": "a: 1"}));
    assert_eq!(reply.headers["x-schema-summary"], "sum1");
    assert_eq!(
        get(&srv, &format!("/microservices/{sid}")).await.json["service"]["schemas"],
        json!(["first"])
    );

    let reply = get(
        &srv,
        &format!("/existence?type=schema&serviceId={sid}&schemaId=first"),
    )
    .await;
    assert_eq!(reply.json["schemaId"], "first");
    assert_eq!(reply.headers["x-schema-summary"], "sum1");
    assert_error(
        &get(
            &srv,
            &format!("/existence?type=schema&serviceId={sid}&schemaId=nope"),
        )
        .await,
        400,
        "400016",
    );

    // POST replaces the whole set.
    let reply = post(
        &srv,
        &base,
        json!({"schemas": [{"schemaId": "s1", "schema": "x", "summary": "a"}, {"schemaId": "s2", "schema": "y"}]}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = get(&srv, &base).await;
    assert_eq!(
        reply.json,
        json!({"schemas": [{"schemaId": "s1", "summary": "a"}, {"schemaId": "s2"}]})
    );
    let reply = get(&srv, &format!("{base}?withSchema=1")).await;
    assert_eq!(reply.json["schemas"][1]["schema"], "y");
    assert_error(&get(&srv, &format!("{base}/first")).await, 400, "400016");
    assert_error(
        &post(&srv, &base, json!({"schemas": []})).await,
        400,
        "400001",
    );

    assert_eq!(delete(&srv, &format!("{base}/s1")).await.status, 200);
    assert_error(&delete(&srv, &format!("{base}/s1")).await, 400, "400016");
    assert_error(
        &get(&srv, "/microservices/nope/schemas").await,
        400,
        "400012",
    );
    assert_error(
        &put(
            &srv,
            &format!("{base}/bad%20id"),
            Some(json!({"schema": "x"})),
        )
        .await,
        400,
        "400001",
    );
}

#[tokio::test]
async fn tags() {
    let srv = server().await;
    let sid = create_service(&srv, "tag", "svc", "1.0.0").await;
    let base = format!("/microservices/{sid}/tags");
    assert_eq!(get(&srv, &base).await.json, json!({}));
    assert_eq!(
        post(&srv, &base, json!({"tags": {"a": "1x", "b": "v2"}}))
            .await
            .status,
        400,
        "values follow the tag rule"
    );
    assert_eq!(
        post(&srv, &base, json!({"tags": {"a": "x1", "b": "v2"}}))
            .await
            .status,
        200
    );
    assert_eq!(post(&srv, &base, json!({})).await.status, 200);
    assert_error(
        &post(
            &srv,
            "/microservices/nope/tags",
            json!({"tags": {"a": "b"}}),
        )
        .await,
        400,
        "400012",
    );
    assert_eq!(
        get(&srv, &base).await.json,
        json!({"tags": {"a": "x1", "b": "v2"}})
    );

    assert_eq!(
        put(&srv, &format!("{base}/a?value=y2"), None).await.status,
        200
    );
    assert_error(
        &put(&srv, &format!("{base}/zz?value=y2"), None).await,
        400,
        "400018",
    );
    assert_error(
        &put(&srv, "/microservices/nope/tags/a?value=y2", None).await,
        400,
        "400012",
    );
    assert_eq!(get(&srv, &base).await.json["tags"]["a"], "y2");

    let reply = delete(&srv, &format!("{base}/a,zz")).await;
    assert_error(&reply, 400, "400018");
    assert_eq!(
        get(&srv, &base).await.json["tags"]["a"],
        "y2",
        "nothing deleted"
    );
    assert_eq!(delete(&srv, &format!("{base}/a,b")).await.status, 200);
    assert_eq!(get(&srv, &base).await.json, json!({}));
    assert_error(
        &delete(&srv, "/microservices/nope/tags/a").await,
        400,
        "400012",
    );
}

// ---------------------------------------------------------------------------------------
// The whole client flow of the issue

#[tokio::test]
async fn servicecomb_client_flow() {
    let srv = server().await;
    let provider = create_service(&srv, "flow", "provider", "1.0.0").await;
    let consumer = create_service(&srv, "flow", "consumer", "1.0.0").await;
    let iid = register(&srv, &provider, instance_body(8080)).await;
    let cid = register(&srv, &consumer, instance_body(8081)).await;
    let hb = format!("/microservices/{provider}/instances/{iid}/heartbeat");
    assert_eq!(put(&srv, &hb, None).await.status, 200);
    let reply = find(
        &srv,
        "appId=flow&serviceName=provider&version=latest",
        Some(&consumer),
    )
    .await;
    assert_eq!(ids(&reply.json["instances"], "instanceId"), [iid.as_str()]);

    let reply = batch_delete(&srv, "", json!({"serviceIds": [provider]})).await;
    assert_eq!(
        reply.json["services"][0]["errMessage"],
        "Consumer(s) depends on this micro-service(Can not delete this service, other service rely it.)"
    );
    let reply = batch_delete(
        &srv,
        "",
        json!({"serviceIds": [provider, consumer], "force": true}),
    )
    .await;
    assert_eq!(
        reply.json,
        json!({"services": [{"serviceId": provider}, {"serviceId": consumer}]})
    );
    assert_error(&put(&srv, &hb, None).await, 400, "400017");
    assert_error(
        &find(&srv, "appId=flow&serviceName=provider", None).await,
        400,
        "400012",
    );
    assert_error(
        &get(&srv, &format!("/microservices/{consumer}/instances/{cid}")).await,
        400,
        "400012",
    );
    for table in [
        "microservices",
        "instances",
        "service_schemas",
        "service_tags",
        "dependencies",
    ] {
        assert_eq!(
            count(&srv, &format!("SELECT COUNT(*) FROM {table}")),
            0,
            "{table}"
        );
    }
}
