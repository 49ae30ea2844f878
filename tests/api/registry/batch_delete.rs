//! `DELETE /microservices` with a body: per-service results in request order, force
//! from the body or the query, validation first, tenants, and no orphans left, even
//! while instances register.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::RegistryClient;

use super::{BASE, assert_error, count, ids, instance_body, orphans, server};

#[tokio::test]
async fn batch_delete_reports_each_service_in_request_order() {
    let (srv, reg) = server().await;
    let bare = reg.create_service("b", "bare", "1.0.0").await;
    let with_inst = reg.create_service("b", "inst", "1.0.0").await;
    reg.register(&with_inst, instance_body(1)).await;
    let provider = reg.create_service("b", "prov", "1.0.0").await;
    let consumer = reg.create_service("b", "cons", "1.0.0").await;
    assert_eq!(
        reg.find("appId=b&serviceName=prov", Some(&consumer))
            .await
            .status,
        200
    );

    let reply = reg.batch_delete("",
        json!({"serviceIds": ["missing", with_inst, bare, provider, bare, "missing"], "force": false}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.json,
        json!({"services": [
            {"serviceId": "missing", "errMessage": "Micro-service does not exist(Service does not exist.)"},
            {"serviceId": with_inst, "errMessage": "Micro-service has deployed instance(s)(Can not delete the service deployed instance(s).)"},
            {"serviceId": bare},
            {"serviceId": provider, "errMessage": "Consumer(s) depends on this micro-service(Can not delete this service, other service rely it.)"},
        ]})
    );
    // Failed ones changed nothing; the succeeded one is gone.
    assert_eq!(
        reg.get(&format!("/microservices/{with_inst}/instances"))
            .await
            .json["instances"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        reg.get(&format!("/microservices/{provider}")).await.status,
        200
    );
    assert_error(
        &reg.get(&format!("/microservices/{bare}")).await,
        400,
        "400012",
    );

    // Force in the body takes both refused services down, instances and rules with them.
    let reply = reg
        .batch_delete(
            "",
            json!({"serviceIds": [provider, with_inst], "force": true}),
        )
        .await;
    assert_eq!(
        reply.json,
        json!({"services": [{"serviceId": provider}, {"serviceId": with_inst}]})
    );
    assert_error(
        &reg.get(&format!("/microservices/{with_inst}/instances"))
            .await,
        400,
        "400012",
    );
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM instances"), 0);
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM dependencies"), 0);
    assert_eq!(orphans(&srv), 0);
}

#[tokio::test]
async fn batch_delete_takes_force_from_the_query() {
    let (_srv, reg) = server().await;
    let a = reg.create_service("q", "a", "1.0.0").await;
    reg.register(&a, instance_body(1)).await;
    let reply = reg
        .batch_delete("?force=true", json!({"serviceIds": [a]}))
        .await;
    assert_eq!(
        reply.json,
        json!({"services": [{"serviceId": a}]}),
        "{}",
        reply.text
    );

    let b = reg.create_service("q", "b", "1.0.0").await;
    reg.register(&b, instance_body(2)).await;
    let reply = reg
        .batch_delete("?force=0", json!({"serviceIds": [b]}))
        .await;
    assert!(
        reply.json["services"][0]["errMessage"].is_string(),
        "{}",
        reply.text
    );
    let reply = reg
        .batch_delete("?force=maybe", json!({"serviceIds": [b], "force": true}))
        .await;
    assert_error(&reply, 400, "400001");
    assert_eq!(
        reply.json["detail"],
        "parameter force must be false or true"
    );
    assert_eq!(
        reg.get(&format!("/microservices/{b}")).await.status,
        200,
        "nothing deleted"
    );
}

#[tokio::test]
async fn batch_delete_validates_the_whole_request_first() {
    let (srv, reg) = server().await;
    let keep = reg.create_service("v", "keep", "1.0.0").await;
    let id64 = "x".repeat(64);
    let id65 = "x".repeat(65);
    for body in [
        json!({}),
        json!({"force": true}),
        json!({"serviceIds": []}),
        json!({"serviceIds": null}),
        json!({"serviceIds": [keep, ""]}),
        json!({"serviceIds": [keep, "has space"]}),
        json!({"serviceIds": [keep, "tab\there"]}),
        json!({"serviceIds": [keep, id65]}),
        json!({"serviceIds": "x"}),
        json!({"serviceIds": [keep], "force": "true"}),
    ] {
        let reply = reg.batch_delete("?force=true", body.clone()).await;
        assert_error(&reply, 400, "400001");
        assert_eq!(reply.json["errorMessage"], "Invalid parameter(s)", "{body}");
    }
    // Not JSON at all, and no body.
    for raw in ["serviceIds=a", ""] {
        let res = srv
            .client
            .delete(srv.url(&format!("{BASE}/microservices")))
            .header("Content-Type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["errorCode"], "400001");
    }
    assert_eq!(
        reg.get(&format!("/microservices/{keep}")).await.status,
        200,
        "nothing deleted"
    );

    // 64 characters is a valid id (that does not exist).
    let reply = reg.batch_delete("", json!({"serviceIds": [id64]})).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json["services"][0]["serviceId"], id64.as_str());
    assert!(reply.json["services"][0]["errMessage"].is_string());
}

#[tokio::test]
async fn batch_delete_cannot_reach_another_tenant() {
    let (srv, reg) = server().await;
    let mine = reg.create_service("t", "mine", "1.0.0").await;
    let reply = reg
        .send(
            Method::DELETE,
            "/microservices",
            Some("other"),
            &[],
            Some(&json!({"serviceIds": [mine], "force": true})),
        )
        .await;
    assert_eq!(
        reply.json,
        json!({"services": [{"serviceId": mine, "errMessage": "Micro-service does not exist(Service does not exist.)"}]})
    );
    // Nor another project of the same domain.
    let reply = reg
        .send(Method::DELETE, "/microservices/x", None, &[], None)
        .await;
    assert_error(&reply, 400, "400012");
    let other_project = RegistryClient::new(srv.api(), "elsewhere");
    let (_, body) = other_project
        .call(
            Method::DELETE,
            "/microservices",
            Some(json!({"serviceIds": [mine], "force": true})),
        )
        .await;
    assert!(body["services"][0]["errMessage"].is_string(), "{body}");
    assert_eq!(reg.get(&format!("/microservices/{mine}")).await.status, 200);
}

#[tokio::test]
async fn force_delete_leaves_no_orphans() {
    let (srv, reg) = server().await;
    let p1 = reg.create_service("o", "p", "1.0.0").await;
    let p2 = reg.create_service("o", "p", "2.0.0").await;
    let c = reg.create_service("o", "c", "1.0.0").await;
    for id in [&p1, &p2, &c] {
        reg.register(id, instance_body(1)).await;
        reg.register(id, instance_body(2)).await;
        let reply = reg.post(&format!("/microservices/{id}/schemas"),
            json!({"schemas": [{"schemaId": "s1", "schema": "openapi: 3.0.0", "summary": "abc"}]}),
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(
            reg.post(
                &format!("/microservices/{id}/tags"),
                json!({"tags": {"k": "v"}})
            )
            .await
            .status,
            200
        );
    }
    assert_eq!(
        reg.find("appId=o&serviceName=p", Some(&c)).await.status,
        200
    );
    assert_eq!(
        reg.find("appId=o&serviceName=c", Some(&p1)).await.status,
        200
    );
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM dependencies"), 2);

    // p1 goes, but p2 still carries the name, so c's rule on it stays.
    let reply = reg
        .batch_delete("", json!({"serviceIds": [p1], "force": true}))
        .await;
    assert_eq!(reply.json, json!({"services": [{"serviceId": p1}]}));
    assert_eq!(
        count(
            &srv,
            "SELECT COUNT(*) FROM dependencies WHERE provider_name = 'p'"
        ),
        1
    );
    let reply = reg.get(&format!("/microservices/{c}/providers")).await;
    assert_eq!(ids(&reply.json["providers"], "serviceId"), [p2.as_str()]);

    let reply = reg
        .batch_delete("", json!({"serviceIds": [p2, c], "force": true}))
        .await;
    assert_eq!(
        reply.json,
        json!({"services": [{"serviceId": p2}, {"serviceId": c}]})
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

#[tokio::test]
async fn force_delete_racing_registrations_leaves_no_instance_behind() {
    let (srv, reg) = server().await;
    let id = reg.create_service("race", "svc", "1.0.0").await;
    let mut clients = Vec::new();
    for port in 0..20u16 {
        let client = srv.client.clone();
        let base = srv.url(&format!("{BASE}/microservices/{id}/instances"));
        // Staggered so that the delete lands in the middle of the registrations.
        clients.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(u64::from(port) * 5)).await;
            let res = client
                .post(&base)
                .json(&instance_body(port))
                .send()
                .await
                .unwrap();
            let registered = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            let heartbeat = match body["instanceId"].as_str() {
                Some(iid) => {
                    let res = client
                        .put(format!("{base}/{iid}/heartbeat"))
                        .send()
                        .await
                        .unwrap();
                    let status = res.status().as_u16();
                    let body: Value = res.json().await.unwrap_or(Value::Null);
                    Some((status, body))
                }
                None => None,
            };
            (registered, body, heartbeat)
        }));
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while count(&srv, "SELECT COUNT(*) FROM instances") < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "registrations did not start"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let reply = reg
        .batch_delete("", json!({"serviceIds": [id], "force": true}))
        .await;
    assert_eq!(
        reply.json,
        json!({"services": [{"serviceId": id}]}),
        "{}",
        reply.text
    );
    let mut registered = 0;
    for client in clients {
        let (status, body, heartbeat) = tokio::time::timeout(Duration::from_secs(5), client)
            .await
            .expect("registration finishes")
            .unwrap();
        // Each one either got in before the delete (and went with it) or was refused.
        assert!(
            status == 200 || (status == 400 && body["errorCode"] == "400012"),
            "{status} {body}"
        );
        if status == 200 {
            registered += 1;
        }
        if let Some((status, body)) = heartbeat {
            assert!(
                status == 200 || (status == 400 && body["errorCode"] == "400017"),
                "heartbeat {status} {body}"
            );
        }
    }
    assert!(
        registered >= 3,
        "the delete took registered instances with it"
    );
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM microservices"), 0);
    assert_eq!(orphans(&srv), 0);
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM instances"), 0);
    let reply = reg
        .post(&format!("/microservices/{id}/instances"), instance_body(99))
        .await;
    assert_error(&reply, 400, "400012");
}
