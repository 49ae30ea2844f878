//! Microservices: create (idempotent, validated, with tags and instances), get,
//! list, existence, properties, and the single delete in Service Center's order.

use reqwest::Method;
use serde_json::json;

use super::{assert_error, count, ids, instance_body, server};

#[tokio::test]
async fn create_is_idempotent_and_ids_are_deterministic() {
    let (_srv, reg) = server().await;
    let id = reg.create_service("app", "orders", "1.0.0").await;
    assert_eq!(id.len(), 40, "sha1 hex id: {id}");
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(reg.create_service("app", "orders", "1.0.0").await, id);
    assert_ne!(reg.create_service("app", "orders", "1.0.1").await, id);

    // Deleted and re-created: the same id again.
    assert_eq!(
        reg.delete(&format!("/microservices/{id}")).await.status,
        200
    );
    assert_eq!(reg.create_service("app", "orders", "1.0.0").await, id);

    // A custom id is kept; a different custom id for an existing key is a conflict.
    let reply = reg
        .post(
            "/microservices",
            json!({"service": {"serviceId": "my-id", "serviceName": "custom", "version": "1.0"}}),
        )
        .await;
    assert_eq!(reply.json["serviceId"], "my-id", "{}", reply.text);
    let reply = reg.post("/microservices",
        json!({"service": {"serviceId": "other-id", "serviceName": "custom", "version": "1.0"}}),
    )
    .await;
    assert_error(&reply, 400, "400010");
    let reply = reg
        .post(
            "/microservices",
            json!({"service": {"serviceId": "my-id", "serviceName": "another", "version": "1.0"}}),
        )
        .await;
    assert_error(&reply, 400, "400010");

    // Defaults as Service Center fills them.
    let reply = reg.get("/microservices/my-id").await;
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
    let (srv, reg) = server().await;
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
        let reply = reg.post("/microservices", body.clone()).await;
        assert_error(&reply, 400, "400001");
        assert!(reply.json.get("detail").is_some(), "detail for {body}");
    }
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM microservices"), 0);
}

#[tokio::test]
async fn create_with_tags_and_instances() {
    let (_srv, reg) = server().await;
    let reply = reg
        .post(
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
    let tags = reg.get(&format!("/microservices/{id}/tags")).await;
    assert_eq!(tags.json, json!({"tags": {"team": "red"}}));
    let instances = reg.get(&format!("/microservices/{id}/instances")).await;
    let list = instances.json["instances"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["hostName"], "h1");
    assert_eq!(list[0]["version"], "1.0.0");
    assert_eq!(list[0]["healthCheck"]["interval"], 30);
    assert_eq!(list[0]["healthCheck"]["times"], 3);
}

#[tokio::test]
async fn get_list_existence_and_properties() {
    let (_srv, reg) = server().await;
    let id = reg
        .create_service("integrationtestAppId", "svc1", "0.0.1")
        .await;

    let reply = reg.get(&format!("/microservices/{id}")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json["service"]["serviceName"], "svc1");
    assert_eq!(reply.json["service"]["serviceId"], id.as_str());
    assert_error(&reg.get("/microservices/abcd").await, 400, "400012");

    let reply = reg.get("/microservices").await;
    assert_eq!(ids(&reply.json["services"], "serviceName"), ["svc1"]);
    let reply = reg.get("/microservices?appId=nope").await;
    assert_eq!(reply.json, json!({}));

    // Another tenant sees nothing.
    let reply = reg
        .send(Method::GET, "/microservices", Some("default1"), &[], None)
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text.trim(), "{}");
    let reply = reg
        .send(
            Method::GET,
            &format!("/microservices/{id}"),
            Some("default1"),
            &[],
            None,
        )
        .await;
    assert_error(&reply, 400, "400012");

    let q = "/existence?type=microservice&appId=integrationtestAppId&serviceName=svc1";
    let reply = reg.get(&format!("{q}&version=0.0.1")).await;
    assert_eq!(reply.json, json!({"serviceId": id}));
    assert_error(&reg.get(&format!("{q}&version=9.9.9")).await, 400, "400026");
    assert_error(
        &reg.get("/existence?type=microservice&appId=integrationtestAppId&serviceName=nope&version=0.0.1").await,
        400,
        "400012",
    );
    assert_error(
        &reg.get("/existence?type=microservice&appId=&serviceName=svc1&version=0.0.1")
            .await,
        400,
        "400001",
    );
    assert_error(&reg.get("/existence?type=planet").await, 400, "400001");

    let reply = reg
        .put(
            &format!("/microservices/{id}/properties"),
            Some(json!({"properties": {"attr2": "bb"}})),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.text, "");
    let reply = reg.get(&format!("/microservices/{id}")).await;
    assert_eq!(reply.json["service"]["properties"], json!({"attr2": "bb"}));
    assert_error(
        &reg.put(
            "/microservices/WrongID/properties",
            Some(json!({"properties": {"a": "b"}})),
        )
        .await,
        400,
        "400012",
    );
    assert_error(
        &reg.put(
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
    let (_srv, reg) = server().await;
    let reply = reg
        .send(Method::PATCH, "/microservices", None, &[], None)
        .await;
    assert_error(&reply, 405, "405001");
    let reply = reg.get("/microservices/a/nothing").await;
    assert_error(&reply, 404, "404001");
}

#[tokio::test]
async fn single_delete_checks_in_service_center_order() {
    let (srv, reg) = server().await;
    assert_error(
        &reg.delete("/microservices/56565?force=true").await,
        400,
        "400012",
    );

    let with_inst = reg
        .create_service("delete_service", "with_inst", "1.0.0")
        .await;
    reg.register(&with_inst, instance_body(1)).await;
    let reply = reg
        .delete(&format!("/microservices/{with_inst}?force=yes"))
        .await;
    assert_error(&reply, 400, "400001");
    assert_eq!(
        reply.json["detail"],
        "parameter force must be false or true"
    );
    assert_error(
        &reg.delete(&format!("/microservices/{with_inst}?force=True"))
            .await,
        400,
        "400001",
    );

    let reply = reg.delete(&format!("/microservices/{with_inst}")).await;
    assert_error(&reply, 400, "400013");
    assert_eq!(
        reply.json["detail"],
        "Can not delete the service deployed instance(s)."
    );
    assert_error(
        &reg.delete(&format!("/microservices/{with_inst}?force=0"))
            .await,
        400,
        "400013",
    );

    let provider = reg
        .create_service("delete_service", "no_inst", "1.0.0")
        .await;
    reg.register(&provider, instance_body(2)).await;
    let consumer = reg
        .create_service("delete_service", "consumer", "1.0.0")
        .await;
    let reply = reg
        .find("appId=delete_service&serviceName=no_inst", Some(&consumer))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    // Depended on and with instances: the dependency is reported first.
    let reply = reg
        .delete(&format!("/microservices/{provider}?force=false"))
        .await;
    assert_error(&reply, 400, "400023");
    assert_eq!(
        reply.json["detail"],
        "Can not delete this service, other service rely it."
    );

    let reply = reg
        .delete(&format!("/microservices/{with_inst}?force=1"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.text, "", "success has an empty body");
    assert_eq!(
        reg.delete(&format!("/microservices/{provider}?force=true"))
            .await
            .status,
        200
    );
    assert_eq!(
        reg.delete(&format!("/microservices/{consumer}"))
            .await
            .status,
        200
    );
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM microservices"), 0);
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM instances"), 0);
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM dependencies"), 0);
}

/// Service Center keys services and instances by tenant: a custom id used in one tenant
/// is free in another (cloudtwin refused it with 400010 until schema version 14), and
/// the two never see or touch each other.
#[tokio::test]
async fn the_same_custom_ids_live_side_by_side_in_two_tenants() {
    let (srv, reg) = server().await;
    let team_a = reg.with_domain("team-a");
    let team_b = reg.with_domain("team-b");
    for (team, name) in [(&team_a, "orders"), (&team_b, "cart")] {
        let reply = team
            .post(
                "/microservices",
                json!({"service": {"serviceId": "shared-id", "serviceName": name, "version": "1.0"},
                       "tags": {"owner": name}}),
            )
            .await;
        assert_eq!(reply.json["serviceId"], "shared-id", "{}", reply.text);
        let mut body = instance_body(8080);
        body["instance"]["instanceId"] = json!("inst-1");
        body["instance"]["hostName"] = json!(name);
        assert_eq!(team.register("shared-id", body).await, "inst-1");
    }
    for (team, name) in [(&team_a, "orders"), (&team_b, "cart")] {
        let reply = team.get("/microservices/shared-id").await;
        assert_eq!(reply.json["service"]["serviceName"], name, "{}", reply.text);
        let reply = team.get("/microservices/shared-id/instances/inst-1").await;
        assert_eq!(reply.json["instance"]["hostName"], name, "{}", reply.text);
        let reply = team.get("/microservices/shared-id/tags").await;
        assert_eq!(reply.json["tags"], json!({"owner": name}));
    }

    // Deleting one tenant's service leaves the other's service, instance and tags.
    let reply = team_a.delete("/microservices/shared-id?force=true").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_error(&team_a.get("/microservices/shared-id").await, 400, "400012");
    let reply = team_b
        .put("/microservices/shared-id/instances/inst-1/heartbeat", None)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = team_b.get("/microservices/shared-id/tags").await;
    assert_eq!(reply.json["tags"], json!({"owner": "cart"}));

    // Re-created in the first tenant, the id is its own again.
    let reply = team_a
        .post(
            "/microservices",
            json!({"service": {"serviceId": "shared-id", "serviceName": "orders", "version": "2.0"}}),
        )
        .await;
    assert_eq!(reply.json["serviceId"], "shared-id", "{}", reply.text);
    let shared = "SELECT COUNT(*) FROM microservices WHERE service_id = 'shared-id'";
    assert_eq!(count(&srv, shared), 2);
    assert_eq!(
        count(
            &srv,
            "SELECT COUNT(*) FROM instances WHERE instance_id = 'inst-1'"
        ),
        1
    );
    assert_eq!(super::orphans(&srv), 0);
}
