//! The registry behind IAM (the default, like Huawei CSE) and with auth off.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{self, RegistryClient, Switch};

fn service_body(name: &str) -> Value {
    json!({"service": {"appId": "shop", "serviceName": name, "version": "1.0.0"}})
}

#[tokio::test]
async fn registry_needs_a_credential_by_default() {
    let srv = common::spawn().await;
    let path = "/microservices";
    let (status, body) = srv.registry().call(Method::GET, path, None).await;
    assert_eq!(status, 401);
    assert_eq!(body["error_code"], "APIGW.0301");

    let token = srv.demo_token().await;
    let registry = srv.registry_as(&token);
    let (status, body) = registry
        .call(Method::POST, path, Some(service_body("cart")))
        .await;
    assert_eq!(status, 200);
    let id = body["serviceId"].as_str().unwrap().to_owned();

    // The signed path works too, and sees the same tenant (the demo domain).
    let (status, body) = RegistryClient::new(srv.demo_key(), "default")
        .call(Method::GET, &format!("{path}/{id}"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["service"]["serviceName"], "cart");

    // With a token, X-Domain-Name cannot switch tenants.
    let reply = registry
        .with_domain("someone-else")
        .get(&format!("{path}/{id}"))
        .await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn registry_403_is_in_its_own_format() {
    let srv = common::spawn().await;
    let token = srv
        .user_with(
            "demo",
            "reader",
            &["cse:microservice:get", "cse:microservice:list"],
        )
        .await;
    let registry = srv.registry_as(&token);
    let (status, body) = registry
        .call(Method::POST, "/microservices", Some(service_body("cart")))
        .await;
    assert_eq!(status, 403);
    assert_eq!(body["errorCode"], "403001");
    assert_eq!(body["errorMessage"], "Forbidden");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("cse:microservice:create")
    );

    let reply = registry.get("/microservices").await;
    assert_eq!(reply.status, 200);

    // Permission first, body second: a malformed body from this reader is still a 403.
    let res = registry
        .api()
        .request(Method::POST, &registry.path("/microservices"), None)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn with_auth_off_the_tenant_is_x_domain_name() {
    let srv = common::spawn_with(|s| s.auth.registry = Switch::Off).await;
    let path = "/microservices";
    let team_a = srv.registry().with_domain("team-a");
    let (status, _) = team_a
        .call(Method::POST, path, Some(service_body("cart")))
        .await;
    assert_eq!(status, 200);
    let (status, body) = srv
        .registry()
        .with_domain("team-b")
        .call(Method::GET, path, None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({}));
    let (_, body) = team_a.call(Method::GET, path, None).await;
    assert_eq!(body["services"].as_array().unwrap().len(), 1);
    // SMS stays protected whatever the registry's switch says.
    let reply = srv.api().send(Method::GET, "/v3/tasks", &[], None).await;
    assert_eq!(reply.status, 401);
}

/// sc-client and java-chassis probe health and version before they hold a token, and
/// take their address pool from health: it must answer, and name this twin's address.
#[tokio::test]
async fn health_and_version_answer_without_a_credential() {
    let srv = common::spawn().await;
    let http = common::http_client();
    let get = async |path: &str| {
        let reply = http.get(srv.url(path)).send().await.unwrap();
        let status = reply.status().as_u16();
        (status, reply.json::<Value>().await.unwrap())
    };

    let (status, body) = get("/v4/default/registry/health").await;
    assert_eq!(status, 200, "{body}");
    let instance = &body["instances"][0];
    assert_eq!(instance["serviceId"], "SERVICECENTER");
    assert_eq!(instance["status"], "UP");
    let endpoint = instance["endpoints"][0].as_str().unwrap();
    let host = srv.url("").trim_start_matches("http://").to_owned();
    assert_eq!(endpoint, format!("rest://{host}/"));

    let (status, body) = get("/v4/default/registry/version").await;
    assert_eq!((status, &body["apiVersion"]), (200, &json!("4.0.0")));
    let (status, body) = get("/version").await;
    assert_eq!(
        (status, &body["apiVersion"]),
        (200, &json!("3.0.0")),
        "{body}"
    );

    // Governance is not public: it needs the credential the registry needs.
    let (status, body) = get("/v4/default/govern/apps").await;
    assert_eq!((status, &body["error_code"]), (401, &json!("APIGW.0301")));

    // The synthesized instance is not stored: the registry's own lists stay empty.
    let token = srv.demo_token().await;
    let (status, body) = srv
        .registry_as(&token)
        .call(Method::GET, "/microservices", None)
        .await;
    assert_eq!(status, 200);
    assert!(
        body["services"].as_array().is_none_or(|s| s.is_empty()),
        "{body}"
    );
}
