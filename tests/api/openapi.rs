//! The OpenAPI document describes routes that exist, and `/docs` lists them.

use serde_json::Value;

use crate::common;

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let srv = common::spawn().await;
    let token = srv.demo_token().await;
    let api = srv.api().with_token(&token);
    let doc: Value = srv
        .client
        .get(srv.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"].as_str().unwrap().chars().next(), Some('3'));
    let paths = doc["paths"].as_object().unwrap();
    for centre in [
        "/v3/tasks/delete",
        "/v4/{project_id}/registry/microservices",
        "/v3/auth/tokens",
    ] {
        assert!(paths.contains_key(centre), "{centre} documented");
    }
    let mut checked = 0;
    for (path, item) in paths {
        let concrete = path
            .replace("{project_id}", "default")
            .replace("{version}", "v3")
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for method in ["get", "post", "put", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            let reply = api
                .send(
                    method.to_uppercase().parse().unwrap(),
                    &concrete,
                    &[],
                    Some(&serde_json::json!({})),
                )
                .await;
            let (status, body) = (reply.status, reply.json);
            let unknown_route = status == 405
                || body["error_code"] == "APIGW.0101"
                || body["errorCode"] == "404001"
                || body["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("no route for"));
            assert!(
                !unknown_route,
                "{method} {path} is documented but not routed: {status} {body}"
            );
            assert!(status < 500, "{method} {concrete}: {status} {body}");
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} operations documented");
}

#[tokio::test]
async fn docs_page_lists_the_operations() {
    let srv = common::spawn().await;
    let res = srv.client.get(srv.url("/docs")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("/v3/tasks/delete"));
    assert!(html.contains("/v4/{project_id}/registry/microservices"));
    assert!(html.contains("/openapi.json"));
}
