//! The OpenAPI document describes routes that exist, and `/docs/` explores them.

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

/// `/docs/` is Swagger UI, served from the binary, pointed at `/openapi.json`, with
/// "try it out" on and the IAM token as the way to authorize.
#[tokio::test]
async fn docs_is_the_explorer_served_from_the_binary() {
    let srv = common::spawn().await;
    let get = async |path: &str| {
        let res = srv.client.get(srv.url(path)).send().await.unwrap();
        let status = res.status().as_u16();
        let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
        (status, kind, res.text().await.unwrap())
    };
    // `/docs` leads to the explorer's page (the client follows the redirect).
    let (status, kind, page) = get("/docs").await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(page.contains("swagger-ui"), "{page}");
    assert!(
        page.contains("<script src=\"./cloudtwin.js\""),
        "the demo-token bar: {page}"
    );
    let (status, kind, bar) = get("/docs/cloudtwin.js").await;
    assert_eq!(status, 200);
    assert!(kind.contains("javascript"), "{kind}");
    assert!(bar.contains("/_cloudtwin/demo-token"), "{bar}");
    let (status, kind, script) = get("/docs/swagger-initializer.js").await;
    assert_eq!(status, 200);
    assert!(kind.contains("javascript"), "{kind}");
    assert!(script.contains("/openapi.json"), "{script}");
    assert!(script.contains("\"tryItOutEnabled\": true"), "{script}");
    let (status, _, bundle) = get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(status, 200);
    assert!(bundle.len() > 100_000, "the whole bundle is in the binary");
    let (status, kind, body) = get("/docs/nope.js").await;
    assert_eq!(status, 404);
    assert!(kind.starts_with("application/json"), "{kind}: {body}");

    let (_, _, doc) = get("/openapi.json").await;
    let doc: Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(
        doc["components"]["securitySchemes"]["iam_token"]["name"],
        "X-Auth-Token"
    );
}
