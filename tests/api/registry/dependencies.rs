//! Dependencies: PUT overrides and POST adds, providers and consumers, and how a
//! dependency blocks deleting its provider.

use serde_json::json;

use super::{assert_error, ids, server};

#[tokio::test]
async fn deleting_the_consumer_first_frees_the_provider() {
    let (_srv, reg) = server().await;
    let provider = reg.create_service("a", "p", "1.0.0").await;
    let consumer = reg.create_service("a", "c", "1.0.0").await;
    let reply = reg.put("/dependencies",
        Some(json!({"dependencies": [{"consumer": {"appId": "a", "serviceName": "c", "version": "1.0.0"},
                     "providers": [{"appId": "a", "serviceName": "p", "version": "1.0.0"}]}]})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_error(
        &reg.delete(&format!("/microservices/{provider}")).await,
        400,
        "400023",
    );
    assert_eq!(
        reg.delete(&format!("/microservices/{consumer}"))
            .await
            .status,
        200
    );
    assert_eq!(
        reg.delete(&format!("/microservices/{provider}"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_dependency_blocks_every_version_of_the_provider_but_not_self() {
    let (_srv, reg) = server().await;
    let v1 = reg.create_service("a", "p", "1.0.0").await;
    let v2 = reg.create_service("a", "p", "2.0.0").await;
    // v2 depends on its own name: that blocks v1 (another service) but not v2 itself.
    let reply = reg.find("appId=a&serviceName=p", Some(&v2)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json, json!({}), "no instances yet");
    assert_error(
        &reg.delete(&format!("/microservices/{v1}")).await,
        400,
        "400023",
    );
    assert_eq!(
        reg.delete(&format!("/microservices/{v2}")).await.status,
        200
    );
    // With v2 gone nothing depends on the name any more.
    assert_eq!(
        reg.delete(&format!("/microservices/{v1}")).await.status,
        200
    );

    let only = reg.create_service("a", "self", "1.0.0").await;
    let reply = reg.post("/dependencies",
        json!({"dependencies": [{"consumer": {"appId": "a", "serviceName": "self", "version": "1.0.0"},
                "providers": [{"serviceName": "self"}]}]}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = reg.get(&format!("/microservices/{only}/providers")).await;
    assert_eq!(ids(&reply.json["providers"], "serviceId"), [only.as_str()]);
    assert_eq!(
        reg.delete(&format!("/microservices/{only}")).await.status,
        200
    );
}

#[tokio::test]
async fn dependencies_put_overrides_and_post_adds() {
    let (_srv, reg) = server().await;
    let provider = reg
        .create_service("integrationtestAppId", "prov", "0.0.1")
        .await;
    let consumer = reg.create_service("consumerAppId", "cons", "2.0.0").await;
    let consumer_key = json!({"appId": "consumerAppId", "serviceName": "cons", "version": "2.0.0"});
    let reply = reg.put("/dependencies",
        Some(json!({"dependencies": [{"consumer": consumer_key,
            "providers": [{"appId": "integrationtestAppId", "serviceName": "prov", "version": "0.0.1"}]}]})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.headers["deprecation"], "version=\"v4\"");
    let reply = reg.post("/dependencies",
        json!({"dependencies": [{"consumer": consumer_key, "providers": [{"serviceName": "cons"}]}]}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = reg
        .get(&format!("/microservices/{consumer}/providers"))
        .await;
    let mut names = ids(&reply.json["providers"], "serviceName");
    names.sort();
    assert_eq!(names, ["cons", "prov"], "the provider and itself");
    let reply = reg
        .get(&format!("/microservices/{consumer}/providers?noSelf=1"))
        .await;
    assert_eq!(ids(&reply.json["providers"], "serviceName"), ["prov"]);
    let reply = reg
        .get(&format!("/microservices/{provider}/consumers"))
        .await;
    assert_eq!(
        ids(&reply.json["consumers"], "serviceId"),
        [consumer.as_str()]
    );

    let reply = reg
        .put(
            "/dependencies",
            Some(json!({"dependencies": [{"consumer": consumer_key, "providers": []}]})),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reg.get(&format!("/microservices/{consumer}/providers"))
            .await
            .json,
        json!({})
    );

    // Refusals.
    let missing = json!({"dependencies": [{"consumer": {"appId": "consumerAppId", "serviceName": "cons", "version": "9.0.0"},
        "providers": [{"serviceName": "prov"}]}]});
    assert_error(
        &reg.put("/dependencies", Some(missing)).await,
        400,
        "400012",
    );
    let no_providers = json!({"dependencies": [{"consumer": consumer_key, "providers": []}]});
    assert_error(
        &reg.post("/dependencies", no_providers).await,
        400,
        "400001",
    );
    let dup = json!({"dependencies": [{"consumer": consumer_key,
        "providers": [{"serviceName": "prov", "appId": "x"}, {"serviceName": "prov", "appId": "x"}]}]});
    assert_error(&reg.post("/dependencies", dup).await, 400, "400001");
    let nameless =
        json!({"dependencies": [{"consumer": consumer_key, "providers": [{"appId": "x"}]}]});
    assert_error(&reg.post("/dependencies", nameless).await, 400, "400001");
    assert_error(
        &reg.put("/dependencies", Some(json!({"dependencies": []})))
            .await,
        400,
        "400001",
    );
}
