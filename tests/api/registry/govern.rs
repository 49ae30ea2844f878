//! Governance views, after Service Center's `govern_resource_test.go` and the governance
//! part of its integration tests: details with options, filters, statistics, relations,
//! apps, one service with everything.

use reqwest::Method;
use serde_json::{Value, json};

use super::{assert_error, instance_body, server};
use crate::common::{RegistryClient, Reply};

async fn govern(reg: &RegistryClient, path: &str) -> Reply {
    let root = reg.path("").replace("/registry", "/govern");
    reg.api()
        .send(Method::GET, &format!("{root}{path}"), &[], None)
        .await
}

async fn ok(reg: &RegistryClient, path: &str) -> Value {
    let reply = govern(reg, path).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.text);
    reply.json
}

#[tokio::test]
async fn governance_views() {
    let (_srv, reg) = server().await;
    let reply = reg
        .post(
            "/microservices",
            json!({"service": {"appId": "gov", "serviceName": "prov", "version": "1.0.0",
                   "schemas": ["s1"], "properties": {"test": "list"}}}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let prov = reply.json["serviceId"].as_str().unwrap().to_owned();
    let cons = reg.create_service("gov", "cons", "1.0.0").await;
    reg.register(&prov, instance_body(7001)).await;
    let found = reg.find("appId=gov&serviceName=prov", Some(&cons)).await;
    assert_eq!(found.status, 200, "the lookup records cons → prov");

    // TestGovernRouter: options=all&serviceName=X gives exactly that service, its
    // properties kept and its schema ids left out; instance properties stripped.
    let all = ok(&reg, "/microservices?options=all&serviceName=prov").await;
    let details = all["allServicesDetail"].as_array().unwrap();
    assert_eq!(details.len(), 1, "{all}");
    let detail = &details[0];
    assert_eq!(detail["microService"]["serviceId"], prov.as_str());
    assert_eq!(
        detail["microService"]["properties"],
        json!({"test": "list"})
    );
    assert!(detail["microService"].get("schemas").is_none(), "{detail}");
    assert_eq!(detail["instances"].as_array().unwrap().len(), 1);
    assert!(detail["instances"][0].get("properties").is_none());
    assert_eq!(detail["schemaInfos"][0]["schemaId"], "s1");
    assert_eq!(detail["consumers"][0]["serviceId"], cons.as_str());
    let statistics = json!({"services": {"count": 2, "onlineCount": 1},
                            "instances": {"count": 1, "countByDomain": 1},
                            "apps": {"count": 1}});
    assert_eq!(all["statistics"], statistics);

    // Unknown name: no details, but the tenant's statistics.
    let none = ok(&reg, "/microservices?options=all&serviceName=not-exist").await;
    assert!(none.get("allServicesDetail").is_none(), "{none}");
    assert_eq!(none["statistics"], statistics);
    // Property filters.
    let by_property = ok(&reg, "/microservices?property=test:list").await;
    assert_eq!(
        by_property["allServicesDetail"].as_array().unwrap().len(),
        1
    );
    assert_eq!(
        ok(&reg, "/microservices?property=none:none").await,
        json!({})
    );
    // No options: each entry only its microService; both services.
    let plain = ok(&reg, "/microservices").await;
    let plain = plain["allServicesDetail"].as_array().unwrap();
    assert_eq!(plain.len(), 2);
    assert!(plain.iter().all(|d| d.as_object().unwrap().len() == 1));
    // countOnly and statistics alone.
    let counted = ok(
        &reg,
        "/microservices?options=instances&countOnly=1&serviceName=prov",
    )
    .await;
    assert_eq!(
        counted["allServicesDetail"][0]["statics"],
        json!({"instances": {"count": 1}})
    );
    assert_error(
        &govern(&reg, "/microservices?countOnly=2").await,
        400,
        "400001",
    );
    assert_eq!(
        ok(&reg, "/microservices?options=statistics").await,
        json!({ "statistics": statistics })
    );
    assert_eq!(
        ok(&reg, "/statistics").await,
        json!({ "statistics": statistics })
    );

    // One service: everything, schema ids and versions included.
    let one = ok(&reg, &format!("/microservices/{prov}")).await;
    assert_eq!(one["service"]["microService"]["serviceId"], prov.as_str());
    assert_eq!(one["service"]["microService"]["schemas"], json!(["s1"]));
    assert_eq!(one["service"]["microServiceVersions"], json!(["1.0.0"]));
    assert_error(
        &govern(&reg, "/microservices/statistics").await,
        400,
        "400012",
    );

    // Relations: a node per service, a line from consumer to provider.
    let graph = ok(&reg, "/relations").await;
    let nodes: Vec<&str> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert!(nodes.contains(&prov.as_str()) && nodes.contains(&cons.as_str()));
    assert_eq!(graph["lines"][0]["from"]["id"], cons.as_str());
    assert_eq!(graph["lines"][0]["to"]["id"], prov.as_str());
    assert_eq!(graph["circles"], Value::Null);

    // Apps: a missing env means the empty one.
    assert_eq!(ok(&reg, "/apps").await, json!({"appIds": ["gov"]}));
    assert_eq!(ok(&reg, "/apps?env=production").await, json!({}));
    assert_error(&govern(&reg, "/apps?env=bogus").await, 400, "400001");

    // Another tenant sees nothing of this one.
    let other = reg.with_domain("someone-else");
    assert_eq!(
        ok(&other, "/statistics").await,
        json!({"statistics": {"services": {}, "instances": {}, "apps": {}}})
    );
    assert_eq!(
        ok(&other, "/relations").await,
        json!({"nodes": null, "lines": null, "circles": null})
    );
}
