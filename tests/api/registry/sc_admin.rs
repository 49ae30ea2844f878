//! Service Center's admin API, after its `integration/admin_test.go`: the dump holds
//! the caller's services under Service Center's key layout; alarms and clusters answer.

use reqwest::Method;
use serde_json::json;

use super::{instance_body, server};
use crate::common::{RegistryClient, Reply};

async fn admin(reg: &RegistryClient, method: Method, path: &str) -> Reply {
    let root = reg.path("").replace("/registry", "/admin");
    reg.api()
        .send(method, &format!("{root}{path}"), &[], None)
        .await
}

#[tokio::test]
async fn dump_alarms_and_clusters() {
    let (_srv, reg) = server().await;
    let sid = reg.create_service("adm", "dumped", "1.0.0").await;
    let iid = reg.register(&sid, instance_body(7002)).await;

    let dump = admin(&reg, Method::GET, "/dump").await;
    assert_eq!(dump.status, 200, "{}", dump.text);
    let cache = &dump.json["cache"];
    let services = cache["services"].as_array().unwrap();
    assert_eq!(services.len(), 1, "{cache}");
    let project = reg.path("").split('/').nth(2).unwrap().to_owned();
    let dp = format!("default/{project}");
    assert_eq!(services[0]["key"], format!("/cse-sr/ms/files/{dp}/{sid}"));
    assert_eq!(services[0]["value"]["serviceName"], "dumped");
    assert_eq!(
        cache["serviceIndexes"][0]["key"],
        format!("/cse-sr/ms/indexes/{dp}//adm/dumped/1.0.0")
    );
    assert_eq!(
        cache["instances"][0]["key"],
        format!("/cse-sr/inst/files/{dp}/{sid}/{iid}")
    );
    assert!(dump.json.get("info").is_none(), "cache only by default");
    let all = admin(&reg, Method::GET, "/dump?options=all").await;
    assert!(all.json["info"]["version"].is_string(), "{}", all.text);
    assert!(all.json["info"].get("apiVersion").is_none());

    // Another tenant's dump holds nothing of this one.
    let other = admin(&reg.with_domain("someone-else"), Method::GET, "/dump").await;
    assert_eq!(other.json, json!({"cache": {}}));

    assert_eq!(admin(&reg, Method::GET, "/alarms").await.json, json!({}));
    assert_eq!(admin(&reg, Method::DELETE, "/alarms").await.status, 200);
    assert_eq!(admin(&reg, Method::GET, "/clusters").await.json, json!({}));
}
