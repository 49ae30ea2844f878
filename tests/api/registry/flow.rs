//! The whole client flow of the issue: register, heartbeat, discover, then a batch
//! delete refused and forced.

use serde_json::json;

use super::{assert_error, count, ids, instance_body, server};

#[tokio::test]
async fn servicecomb_client_flow() {
    let (srv, reg) = server().await;
    let provider = reg.create_service("flow", "provider", "1.0.0").await;
    let consumer = reg.create_service("flow", "consumer", "1.0.0").await;
    let iid = reg.register(&provider, instance_body(8080)).await;
    let cid = reg.register(&consumer, instance_body(8081)).await;
    let hb = format!("/microservices/{provider}/instances/{iid}/heartbeat");
    assert_eq!(reg.put(&hb, None).await.status, 200);
    let reply = reg
        .find(
            "appId=flow&serviceName=provider&version=latest",
            Some(&consumer),
        )
        .await;
    assert_eq!(ids(&reply.json["instances"], "instanceId"), [iid.as_str()]);

    let reply = reg
        .batch_delete("", json!({"serviceIds": [provider]}))
        .await;
    assert_eq!(
        reply.json["services"][0]["errMessage"],
        "Consumer(s) depends on this micro-service(Can not delete this service, other service rely it.)"
    );
    let reply = reg
        .batch_delete(
            "",
            json!({"serviceIds": [provider, consumer], "force": true}),
        )
        .await;
    assert_eq!(
        reply.json,
        json!({"services": [{"serviceId": provider}, {"serviceId": consumer}]})
    );
    assert_error(&reg.put(&hb, None).await, 400, "400017");
    assert_error(
        &reg.find("appId=flow&serviceName=provider", None).await,
        400,
        "400012",
    );
    assert_error(
        &reg.get(&format!("/microservices/{consumer}/instances/{cid}"))
            .await,
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
