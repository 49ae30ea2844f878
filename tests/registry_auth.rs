//! The registry behind IAM (the default, like Huawei CSE) and with auth off.

mod common;

use reqwest::Method;
use serde_json::{Value, json};

fn service_body(name: &str) -> Value {
    json!({"service": {"appId": "shop", "serviceName": name, "version": "1.0.0"}})
}

#[tokio::test]
async fn registry_needs_a_credential_by_default() {
    let srv = common::spawn().await;
    let path = "/v4/default/registry/microservices";
    let res = srv.client.get(srv.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error_code"], "APIGW.0301");

    let token = common::token_for(&srv, "demo", "demo", "demo-password").await;
    let res = srv
        .client
        .post(srv.url(path))
        .header("X-Auth-Token", &token)
        .json(&service_body("cart"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let id = res.json::<Value>().await.unwrap()["serviceId"]
        .as_str()
        .unwrap()
        .to_owned();

    // The signed path works too, and sees the same tenant (the demo domain).
    let res = common::signed(&srv, Method::GET, &format!("{path}/{id}"), b"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["service"]["serviceName"], "cart");

    // With a token, X-Domain-Name cannot switch tenants.
    let res = srv
        .client
        .get(srv.url(&format!("{path}/{id}")))
        .header("X-Auth-Token", &token)
        .header("X-Domain-Name", "someone-else")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn registry_403_is_in_its_own_format() {
    let srv = common::spawn().await;
    let token = common::user_with(
        &srv,
        "demo",
        "reader",
        &["cse:microservice:get", "cse:microservice:list"],
    )
    .await;
    let res = srv
        .client
        .post(srv.url("/v4/default/registry/microservices"))
        .header("X-Auth-Token", &token)
        .json(&service_body("cart"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errorCode"], "403001");
    assert_eq!(body["errorMessage"], "Forbidden");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("cse:microservice:create")
    );

    let res = srv
        .client
        .get(srv.url("/v4/default/registry/microservices"))
        .header("X-Auth-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // Permission first, body second: a malformed body from this reader is still a 403.
    let res = srv
        .client
        .post(srv.url("/v4/default/registry/microservices"))
        .header("X-Auth-Token", &token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn with_auth_off_the_tenant_is_x_domain_name() {
    let srv = common::spawn_with(|s| s.auth.registry = cloudtwin::config::Switch::Off).await;
    let path = "/v4/default/registry/microservices";
    let res = srv
        .client
        .post(srv.url(path))
        .header("X-Domain-Name", "team-a")
        .json(&service_body("cart"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = srv
        .client
        .get(srv.url(path))
        .header("X-Domain-Name", "team-b")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({}));
    let res = srv
        .client
        .get(srv.url(path))
        .header("X-Domain-Name", "team-a")
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["services"].as_array().unwrap().len(), 1);
    // SMS stays protected whatever the registry's switch says.
    let res = srv.client.get(srv.url("/v3/tasks")).send().await.unwrap();
    assert_eq!(res.status(), 401);
}
