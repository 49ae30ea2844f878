//! Discovery (`GET /instances` and the batch find): versions, revisions, and the
//! dependency a consumer's lookup records.

use serde_json::json;

use super::{assert_error, count, ids, instance_body, server, server_with};

/// Service Center 1.x's version rules, kept behind `registry.version_rules`.
#[tokio::test]
async fn discovery_with_version_rules() {
    let (_srv, reg) = server_with(|s| s.registry.version_rules = true).await;
    let mut by_version = Vec::new();
    for version in ["1.0.0", "1.5.0", "2.0.0"] {
        let sid = reg.create_service("disc", "prov", version).await;
        let iid = reg.register(&sid, instance_body(1)).await;
        by_version.push(iid);
    }
    let found = async |version: &str| {
        let reply = reg
            .find(
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
        &reg.find("appId=disc&serviceName=prov&version=3.0.0", None)
            .await,
        400,
        "400012",
    );
    assert_error(
        &reg.find("appId=disc&serviceName=prov&version=abc", None)
            .await,
        400,
        "400001",
    );
    assert_error(
        &reg.find("appId=XXXX&serviceName=prov", None).await,
        400,
        "400012",
    );
    assert_error(&reg.find("serviceName=prov", None).await, 400, "400001");
    assert_error(
        &reg.find("appId=disc&serviceName=prov", Some("nobody"))
            .await,
        400,
        "400012",
    );
    assert_error(
        &reg.find("appId=disc&serviceName=prov&env=production", None)
            .await,
        400,
        "400012",
    );

    // Revisions: the same list answers 304 to a client that already has it.
    let first = reg.find("appId=disc&serviceName=prov", None).await;
    let rev = first.headers["x-resource-revision"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(rev.len(), 40);
    let again = reg
        .find(&format!("appId=disc&serviceName=prov&rev={rev}"), None)
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
    assert_eq!(reg.put(&hb, None).await.status, 200);
    let after_heartbeat = reg
        .find(&format!("appId=disc&serviceName=prov&rev={rev}"), None)
        .await;
    assert_eq!(
        after_heartbeat.status, 304,
        "a heartbeat changes nothing visible"
    );
    let path = format!("/microservices/{sid}/instances/{iid}/status?value=DOWN");
    assert_eq!(reg.put(&path, None).await.status, 200);
    let changed = reg
        .find(&format!("appId=disc&serviceName=prov&rev={rev}"), None)
        .await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.headers["x-resource-revision"], rev.as_str());

    let lonely = reg.create_service("disc", "lonely", "1.0.0").await;
    let reply = reg.find("appId=disc&serviceName=lonely", None).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json, json!({}));
    let reply = reg.get(&format!("/microservices/{lonely}/instances")).await;
    assert_eq!(reply.json, json!({}));
}

#[tokio::test]
async fn discovery_with_a_consumer_records_the_dependency() {
    let (srv, reg) = server().await;
    let provider = reg.create_service("dep", "prov", "0.0.2").await;
    let iid = reg.register(&provider, instance_body(1)).await;
    let consumer = reg.create_service("dep", "C_prov", "0.0.2").await;
    assert_eq!(
        reg.get(&format!("/microservices/{consumer}/providers"))
            .await
            .json,
        json!({})
    );

    let reply = reg
        .find("appId=dep&serviceName=prov&version=0.0.2", Some(&consumer))
        .await;
    assert_eq!(ids(&reply.json["instances"], "instanceId"), [iid]);
    // Immediately, not after a queue is processed.
    let reply = reg
        .get(&format!("/microservices/{consumer}/providers"))
        .await;
    assert_eq!(
        ids(&reply.json["providers"], "serviceId"),
        [provider.as_str()]
    );
    let reply = reg
        .get(&format!("/microservices/{provider}/consumers"))
        .await;
    assert_eq!(
        ids(&reply.json["consumers"], "serviceId"),
        [consumer.as_str()]
    );
    // Asking again records nothing twice.
    reg.find("appId=dep&serviceName=prov", Some(&consumer))
        .await;
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM dependencies"), 1);

    assert_error(
        &reg.get("/microservices/wrongID/providers").await,
        400,
        "400012",
    );
    assert_error(
        &reg.get("/microservices/wrongID/consumers").await,
        400,
        "400012",
    );
}

#[tokio::test]
async fn discovery_by_alias_records_the_real_name() {
    let (_srv, reg) = server().await;
    let reply = reg
        .post(
            "/microservices",
            json!({"service": {"appId": "al", "serviceName": "prov", "version": "1.0.0",
                           "alias": "al:prov"}}),
        )
        .await;
    let provider = reply.json["serviceId"].as_str().unwrap().to_owned();
    assert_eq!(
        reg.get(&format!("/microservices/{provider}")).await.json["service"]["alias"],
        "al:prov"
    );
    let iid = reg.register(&provider, instance_body(1)).await;
    let consumer = reg.create_service("al", "cons", "1.0.0").await;
    let reply = reg
        .find("appId=al&serviceName=al:prov", Some(&consumer))
        .await;
    assert_eq!(ids(&reply.json["instances"], "instanceId"), [iid.as_str()]);
    assert_error(
        &reg.delete(&format!("/microservices/{provider}")).await,
        400,
        "400023",
    );
}

/// Service Center 2.1+ (the default): `version` is not read, every version is found,
/// and sc-client's double-encoded `0%252B` is no error.
#[tokio::test]
async fn discovery_finds_every_version_whatever_version_says() {
    let (_srv, reg) = server().await;
    let mut all = Vec::new();
    for version in ["1.0.0", "1.5.0", "2.0.0"] {
        let sid = reg.create_service("disc", "prov", version).await;
        all.push(reg.register(&sid, instance_body(1)).await);
    }
    all.sort();
    for version in ["", "latest", "0%252B", "0%2B", "9.9.9", "abc"] {
        let reply = reg
            .find(
                &format!("appId=disc&serviceName=prov&version={version}"),
                None,
            )
            .await;
        assert_eq!(reply.status, 200, "{version}: {}", reply.text);
        let mut got = ids(&reply.json["instances"], "instanceId");
        got.sort();
        assert_eq!(got, all, "{version}");
    }
}

/// Ported from Service Center's `integration/instances_test.go`, "Batch Find
/// Micro-service Instance", plus revisions and the recorded dependency.
#[tokio::test]
async fn batch_find_answers_per_item() {
    let (_srv, reg) = server().await;
    let provider = reg.create_service("batch", "prov", "1.0.0").await;
    let consumer = reg.create_service("batch", "cons", "1.0.0").await;
    let iid = reg.register(&provider, instance_body(8080)).await;
    let body = |rev: &str| {
        json!({
            "services": [
                {"service": {"appId": "batch", "serviceName": "prov"}, "rev": rev},
                {"service": {"appId": "batch", "serviceName": "notexisted"}},
            ],
            "instances": [
                {"instance": {"serviceId": provider, "instanceId": iid}},
                {"instance": {"serviceId": provider, "instanceId": "notexisted"}},
            ],
        })
    };
    let reply = reg
        .send(
            reqwest::Method::POST,
            "/instances/action?type=query",
            None,
            &[("X-ConsumerId", consumer.as_str())],
            Some(&body("")),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let services = &reply.json["services"];
    assert_eq!(services["updated"][0]["index"], 0);
    assert_eq!(
        ids(&services["updated"][0]["instances"], "instanceId"),
        [iid.as_str()]
    );
    assert_eq!(services["failed"][0]["indexes"], json!([1]));
    assert_eq!(services["failed"][0]["error"]["errorCode"], "400012");
    let instances = &reply.json["instances"];
    assert_eq!(instances["updated"][0]["index"], 0);
    assert_eq!(instances["failed"][0]["indexes"], json!([1]));
    assert_eq!(instances["failed"][0]["error"]["errorCode"], "400017");

    // The revision is the one GET /instances sends; sent back, the item is not modified.
    let rev = services["updated"][0]["rev"].as_str().unwrap().to_owned();
    let single = reg.find("appId=batch&serviceName=prov", None).await;
    assert_eq!(single.headers["x-resource-revision"], rev.as_str());
    let again = reg
        .send(
            reqwest::Method::POST,
            "/instances/action?type=query",
            None,
            &[],
            Some(&body(&rev)),
        )
        .await;
    assert_eq!(again.json["services"]["notModified"], json!([0]));
    assert!(
        again.json["services"].get("updated").is_none(),
        "{}",
        again.text
    );

    // The consumer's lookup recorded its dependency, as GET /instances does.
    let providers = reg
        .get(&format!("/microservices/{consumer}/providers"))
        .await;
    assert_eq!(
        ids(&providers.json["providers"], "serviceId"),
        [provider.as_str()]
    );

    for (path, payload) in [
        ("/instances/action", body("")),
        ("/instances/action?type=watch", body("")),
        ("/instances/action?type=query", json!({})),
    ] {
        let reply = reg
            .send(reqwest::Method::POST, path, None, &[], Some(&payload))
            .await;
        assert_error(&reply, 400, "400001");
    }
}
