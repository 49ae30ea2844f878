//! Instances: register, get, status, properties, heartbeats single and batched,
//! deregister, and leases that expire.

use std::time::Duration;

use serde_json::json;

use super::{assert_error, count, ids, instance_body, server};

#[tokio::test]
async fn instance_lifecycle() {
    let (_srv, reg) = server().await;
    let sid = reg.create_service("inst", "svc", "0.0.2").await;
    let iid = reg.register(&sid, instance_body(9984)).await;
    assert_eq!(iid.len(), 32);

    // Registering an existing id only renews it.
    let mut again = instance_body(1);
    again["instance"]["instanceId"] = json!(iid);
    assert_eq!(reg.register(&sid, again).await, iid);
    let second = reg.register(&sid, instance_body(9985)).await;
    assert_ne!(second, iid);

    let reply = reg
        .post(
            &format!("/microservices/{sid}/instances"),
            json!({"instancse": {}}),
        )
        .await;
    assert_error(&reply, 400, "400001");
    let reply = reg
        .post("/microservices/nope/instances", instance_body(1))
        .await;
    assert_error(&reply, 400, "400012");

    let reply = reg.get(&format!("/microservices/{sid}/instances")).await;
    let mut listed = ids(&reply.json["instances"], "instanceId");
    listed.sort();
    let mut expected = vec![iid.clone(), second.clone()];
    expected.sort();
    assert_eq!(listed, expected);
    assert_error(&reg.get("/microservices/XX/instances").await, 400, "400012");

    let path = format!("/microservices/{sid}/instances/{iid}");
    let reply = reg.get(&path).await;
    assert_eq!(reply.json["instance"]["instanceId"], iid.as_str());
    assert_eq!(
        reply.json["instance"]["endpoints"],
        json!(["rest://127.0.0.1:9984"])
    );
    assert_eq!(
        reply.json["instance"]["healthCheck"],
        json!({"mode": "push", "interval": 30, "times": 2})
    );
    assert_error(
        &reg.get(&format!("/microservices/{sid}/instances/XX")).await,
        400,
        "400017",
    );

    // Status.
    assert_eq!(
        reg.put(&format!("{path}/status?value=DOWN"), None)
            .await
            .status,
        200
    );
    assert_eq!(reg.get(&path).await.json["instance"]["status"], "DOWN");
    assert_error(
        &reg.put(&format!("{path}/status?value=INVALID"), None).await,
        400,
        "400001",
    );
    assert_error(
        &reg.put(&format!("{path}/status"), None).await,
        400,
        "400001",
    );
    assert_eq!(reg.get(&path).await.json["instance"]["status"], "DOWN");

    // Properties are replaced.
    let props = json!({"_TAGS": "A,B", "attr1": "NewValue", "nodeIP": "two"});
    assert_eq!(
        reg.put(
            &format!("{path}/properties"),
            Some(json!({"properties": props}))
        )
        .await
        .status,
        200
    );
    assert_eq!(reg.get(&path).await.json["instance"]["properties"], props);
    assert_error(
        &reg.put(
            &format!("/microservices/{sid}/instances/WRONGINSTANCEID/properties"),
            Some(json!({"properties": {}})),
        )
        .await,
        400,
        "400017",
    );

    // Heartbeats and their id checks.
    assert_eq!(
        reg.put(&format!("{path}/heartbeat"), None).await.status,
        200
    );
    assert_error(
        &reg.put(
            &format!("/microservices/{sid}/instances/XXX/heartbeat"),
            None,
        )
        .await,
        400,
        "400017",
    );
    assert_error(
        &reg.put(
            &format!("/microservices/not-exist-id/instances/{iid}/heartbeat"),
            None,
        )
        .await,
        400,
        "400017",
    );
    let long = "x".repeat(65);
    assert_error(
        &reg.put(
            &format!("/microservices/{long}/instances/{iid}/heartbeat"),
            None,
        )
        .await,
        400,
        "400001",
    );
    assert_error(
        &reg.put(
            &format!("/microservices/{sid}/instances/{long}/heartbeat"),
            None,
        )
        .await,
        400,
        "400001",
    );
    assert_error(
        &reg.put(
            &format!("/microservices/{sid}/instances/%40/heartbeat"),
            None,
        )
        .await,
        400,
        "400001",
    );

    // Deregister.
    assert_eq!(reg.delete(&path).await.status, 200);
    assert_error(&reg.delete(&path).await, 400, "400017");
    assert_error(&reg.get(&path).await, 400, "400017");
    assert_error(
        &reg.delete(&format!("/microservices/{sid}/instances/%40"))
            .await,
        400,
        "400001",
    );
}

/// An instance body asking for its own id.
fn with_id(id: String) -> serde_json::Value {
    let mut body = instance_body(1);
    body["instance"]["instanceId"] = json!(id);
    body
}

/// Registrations in flight together share one commit (group commit); each still gets
/// its own answer, and a refused one takes nothing of the others with it.
#[tokio::test]
async fn registrations_in_flight_together_each_get_their_own_answer() {
    let (srv, reg) = server().await;
    let sid = reg.create_service("group", "svc", "1.0.0").await;
    let mut calls = Vec::new();
    for i in 0..30 {
        calls.push((sid.clone(), with_id(format!("fresh-{i}"))));
    }
    for i in 0..6 {
        // The same id twice at once: one registers it, the other only renews it.
        calls.push((sid.clone(), with_id(format!("twice-{i}"))));
        calls.push((sid.clone(), with_id(format!("twice-{i}"))));
        calls.push(("missing".to_owned(), with_id(format!("lost-{i}"))));
    }
    let paths: Vec<String> = calls
        .iter()
        .map(|(service, _)| format!("/microservices/{service}/instances"))
        .collect();
    let replies = futures_util::future::join_all(
        calls
            .iter()
            .zip(&paths)
            .map(|((_, body), path)| reg.post(path, body.clone())),
    )
    .await;
    for ((service, body), reply) in calls.iter().zip(&replies) {
        if service == "missing" {
            assert_error(reply, 400, "400012");
        } else {
            assert_eq!(reply.status, 200, "{}", reply.text);
            assert_eq!(reply.json["instanceId"], body["instance"]["instanceId"]);
        }
    }
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM instances"), 36);
    assert_eq!(
        count(
            &srv,
            "SELECT COUNT(*) FROM instances WHERE instance_id LIKE 'lost-%'"
        ),
        0
    );
    let listed = reg.get(&format!("/microservices/{sid}/instances")).await;
    assert_eq!(ids(&listed.json["instances"], "instanceId").len(), 36);
}

/// Deregistrations share the group commit with registrations: each answers for itself,
/// and the file and discovery hold exactly what was answered.
#[tokio::test]
async fn deregistrations_in_flight_with_registrations_each_get_their_own_answer() {
    let (srv, reg) = server().await;
    let sid = reg.create_service("group-out", "svc", "1.0.0").await;
    for i in 0..20 {
        reg.register(&sid, with_id(format!("old-{i}"))).await;
    }
    let base = format!("/microservices/{sid}/instances");
    let gone: Vec<String> = (0..10).map(|i| format!("{base}/old-{i}")).collect();
    let missing: Vec<String> = (0..5).map(|i| format!("{base}/never-{i}")).collect();
    let (gone_replies, missing_replies, new_replies) = tokio::join!(
        futures_util::future::join_all(gone.iter().map(|path| reg.delete(path))),
        futures_util::future::join_all(missing.iter().map(|path| reg.delete(path))),
        futures_util::future::join_all(
            (0..10).map(|i| reg.post(&base, with_id(format!("new-{i}"))))
        ),
    );
    for reply in &gone_replies {
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    for reply in &missing_replies {
        assert_error(reply, 400, "400017");
    }
    for reply in &new_replies {
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    let mut expected: Vec<String> = (10..20)
        .map(|i| format!("old-{i}"))
        .chain((0..10).map(|i| format!("new-{i}")))
        .collect();
    expected.sort();
    let mut listed = ids(&reg.get(&base).await.json["instances"], "instanceId");
    listed.sort();
    assert_eq!(listed, expected);
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM instances"), 20);
}

#[tokio::test]
async fn batch_heartbeat_reports_each_instance() {
    let (_srv, reg) = server().await;
    let sid = reg.create_service("hb", "svc", "1.0.0").await;
    let iid = reg.register(&sid, instance_body(1)).await;
    for body in [json!({}), json!({"instances": []})] {
        assert_error(&reg.put("/heartbeats", Some(body)).await, 400, "400001");
    }
    let reply = reg
        .put(
            "/heartbeats",
            Some(json!({"instances": [
                {"serviceId": sid, "instanceId": iid},
                {"serviceId": sid, "instanceId": "notexisted"},
                {"serviceId": sid, "instanceId": iid},
                {"serviceId": sid, "instanceId": "@"}
            ]})),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let items = reply.json["instances"].as_array().unwrap();
    assert_eq!(items.len(), 3, "duplicates count once: {}", reply.text);
    assert!(items[0].get("errMessage").is_none());
    assert_eq!(
        items[1]["errMessage"],
        "Instance does not exist(Instance does not exist.)"
    );
    assert!(
        items[2]["errMessage"]
            .as_str()
            .unwrap()
            .starts_with("Invalid parameter(s)")
    );
}

#[tokio::test]
async fn leases_expire_from_discovery_then_from_the_table() {
    let (srv, reg) = server().await;
    let sid = reg.create_service("lease", "short", "1.0.0").await;
    let short = reg
        .register(
            &sid,
            json!({"instance": {"hostName": "h", "endpoints": ["rest://a:1"],
               "healthCheck": {"mode": "push", "interval": 1, "times": 0}}}),
        )
        .await;
    let long = reg.register(&sid, instance_body(2)).await;
    let reply = reg.find("appId=lease&serviceName=short", None).await;
    assert_eq!(ids(&reply.json["instances"], "instanceId").len(), 2);

    // Heartbeats keep it alive past its first lease.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let reply = reg
            .put(
                &format!("/microservices/{sid}/instances/{short}/heartbeat"),
                None,
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM instances"), 2);

    // Then silence: gone from discovery within about a lease.
    let deadline = tokio::time::Instant::now() + Duration::from_millis(2500);
    loop {
        let reply = reg.find("appId=lease&serviceName=short", None).await;
        let listed = ids(&reply.json["instances"], "instanceId");
        if listed == [long.clone()] {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still listed: {listed:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_error(
        &reg.get(&format!("/microservices/{sid}/instances/{short}"))
            .await,
        400,
        "400017",
    );
    assert_error(
        &reg.put(
            &format!("/microservices/{sid}/instances/{short}/heartbeat"),
            None,
        )
        .await,
        400,
        "400017",
    );

    // And the reaper (every 100 ms here) removes the row.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while count(&srv, "SELECT COUNT(*) FROM instances") != 1 {
        assert!(tokio::time::Instant::now() < deadline, "reaper did not run");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // An expired instance does not block a plain delete once the long one is gone.
    assert_eq!(
        reg.delete(&format!("/microservices/{sid}/instances/{long}"))
            .await
            .status,
        200
    );
    assert_eq!(
        reg.delete(&format!("/microservices/{sid}")).await.status,
        200
    );
}

/// `PUT /instances/status` (Service Center 2.2+): by property match within the tenant,
/// all pairs must match, no match changes nothing, an undocumented status is refused.
#[tokio::test]
async fn batch_status_by_property_match() {
    let (_srv, reg) = server().await;
    let sid = reg.create_service("inst", "batch-status", "1.0.0").await;
    let mut ids = Vec::new();
    for (port, zone) in [(1, "z1"), (2, "z1"), (3, "z2")] {
        let mut body = instance_body(port);
        body["instance"]["properties"] = json!({"zone": zone, "tier": "web"});
        ids.push(reg.register(&sid, body).await);
    }
    let other = reg.with_domain("other-tenant");
    let status_of = async |iid: &str| {
        reg.get(&format!("/microservices/{sid}/instances/{iid}"))
            .await
            .json["instance"]["status"]
            .clone()
    };

    let set = async |body: serde_json::Value| reg.put("/instances/status", Some(body)).await;
    let reply =
        set(json!({"matches": {"properties": {"zone": "z1", "tier": "web"}}, "status": "DOWN"}))
            .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(status_of(&ids[0]).await, "DOWN");
    assert_eq!(status_of(&ids[1]).await, "DOWN");
    assert_eq!(status_of(&ids[2]).await, "UP");

    // One pair that does not match is enough to leave an instance alone.
    let reply =
        set(json!({"matches": {"properties": {"zone": "z2", "tier": "db"}}, "status": "TESTING"}))
            .await;
    assert_eq!(reply.status, 200);
    assert_eq!(status_of(&ids[2]).await, "UP");

    assert_error(&set(json!({"status": "SLEEPY"})).await, 400, "400001");
    assert_error(&set(json!({"matches": {}})).await, 400, "400001");

    // No properties: every instance of the tenant — and only of this tenant.
    let reply = other
        .put("/instances/status", Some(json!({"status": "OUTOFSERVICE"})))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(status_of(&ids[2]).await, "UP", "another tenant's call");
    assert_eq!(set(json!({"status": "STARTING"})).await.status, 200);
    for iid in &ids {
        assert_eq!(status_of(iid).await, "STARTING");
    }
}

#[tokio::test]
async fn a_lease_runs_out_on_the_advanced_clock_without_sleeping() {
    let (_srv, reg) = server().await;
    let sid = reg.create_service("clocked", "svc", "1.0.0").await;
    // A lease of 30 s × (2 + 1).
    let iid = reg.register(&sid, instance_body(1)).await;
    let listed = || async {
        ids(
            &reg.find("appId=clocked&serviceName=svc", None).await.json["instances"],
            "instanceId",
        )
    };
    assert_eq!(listed().await, std::slice::from_ref(&iid));
    let admin = _srv.admin();
    let advance = |secs: i64| {
        let admin = admin.clone();
        async move {
            let reply = admin
                .send(
                    reqwest::Method::POST,
                    "/_cloudtwin/clock",
                    Some(&json!({"advance_secs": secs})),
                )
                .await;
            assert_eq!(reply.status, 200, "{}", reply.text);
        }
    };
    advance(60).await;
    assert_eq!(
        listed().await,
        std::slice::from_ref(&iid),
        "still inside its lease"
    );
    advance(61).await;
    assert!(listed().await.is_empty(), "expired on the simulated clock");
    assert_error(
        &reg.put(
            &format!("/microservices/{sid}/instances/{iid}/heartbeat"),
            None,
        )
        .await,
        400,
        "400017",
    );
}
