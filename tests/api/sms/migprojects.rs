//! Migration projects: the default one, uniqueness, moving servers, refused deletes.

use reqwest::Method;
use serde_json::{Value, json};

use super::Sms;

async fn create(sms: &Sms, body: Value) -> (u16, Value) {
    sms.call(Method::POST, "/v3/migprojects", Some(body)).await
}

fn default_of(list: &Value) -> &Value {
    let defaults: Vec<&Value> = list["migprojects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["isdefault"] == true)
        .collect();
    assert_eq!(defaults.len(), 1, "exactly one default: {list}");
    defaults[0]
}

#[tokio::test]
async fn a_project_always_has_one_default_that_new_servers_join() {
    let sms = Sms::start().await;
    let (status, list) = sms.call(Method::GET, "/v3/migprojects", None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["count"], 1);
    let default = default_of(&list).clone();
    assert_eq!(default["name"], "SystemProject");
    for field in [
        "id",
        "name",
        "description",
        "isdefault",
        "region",
        "start_target_server",
        "speed_limit",
        "use_public_ip",
        "exist_server",
        "type",
        "enterprise_project",
        "syncing",
        "start_network_check",
    ] {
        assert!(default.get(field).is_some(), "{field} missing in {default}");
    }

    let source = sms.register("web-1", "10.0.0.1").await;
    let (_, shown) = sms
        .call(Method::GET, &format!("/v3/sources/{source}"), None)
        .await;
    assert_eq!(shown["migprojectid"], default["id"]);

    // A new default takes over; the old one stops being it.
    let (status, created) = create(
        &sms,
        json!({"name": "wave-2", "region": "cn-north-4", "type": "MIGRATE_FILE", "isdefault": true}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let wave = created["id"].as_str().unwrap().to_owned();
    let (_, list) = sms.call(Method::GET, "/v3/migprojects", None).await;
    assert_eq!(default_of(&list)["id"], wave.as_str());
    let second = sms.register("web-2", "10.0.0.2").await;
    let (_, shown) = sms
        .call(Method::GET, &format!("/v3/sources/{second}"), None)
        .await;
    assert_eq!(shown["migprojectid"], wave.as_str());

    // The listing filter by migration project.
    let (_, filtered) = sms
        .call(Method::GET, &format!("/v3/sources?migproject={wave}"), None)
        .await;
    assert_eq!(filtered["count"], 1);
    assert_eq!(filtered["source_servers"][0]["id"], second.as_str());

    // Making the first one default again through its own route.
    let old = default["id"].as_str().unwrap();
    let (status, body) = sms
        .call(Method::PUT, &format!("/v3/migprojects/{old}/default"), None)
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, shown) = sms
        .call(Method::GET, &format!("/v3/migprojects/{old}"), None)
        .await;
    assert_eq!(shown["isdefault"], true);
    assert!(
        shown.get("id").is_none(),
        "show answers MigProject without id: {shown}"
    );
}

#[tokio::test]
async fn names_are_unique_fields_are_checked_and_updates_apply() {
    let sms = Sms::start().await;
    let body = json!({"name": "wave-1", "region": "cn-north-4", "type": "MIGRATE_BLOCK",
                      "speed_limit": 100, "description": "first wave"});
    let (status, created) = create(&sms, body.clone()).await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let (status, dup) = create(&sms, body).await;
    assert_eq!(
        (status, dup["error_code"].as_str()),
        (400, Some("SMS.7312")),
        "{dup}"
    );

    for (bad, param) in [
        (json!({"region": "r", "type": "MIGRATE_BLOCK"}), "name"),
        (json!({"name": "x", "type": "MIGRATE_BLOCK"}), "region"),
        (
            json!({"name": "x", "region": "r", "type": "MIGRATE_DISK"}),
            "type",
        ),
        (
            json!({"name": "bad name!", "region": "r", "type": "MIGRATE_BLOCK"}),
            "name",
        ),
        (
            json!({"name": "x", "region": "r", "type": "MIGRATE_BLOCK", "speed_limit": 5000}),
            "speed_limit",
        ),
    ] {
        let (status, body) = create(&sms, bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error_code"], "SMS.7303", "{bad}: {body}");
        assert_eq!(body["error_param"][0], param, "{bad}: {body}");
    }

    let (status, body) = sms
        .call(
            Method::PUT,
            &format!("/v3/migprojects/{id}"),
            Some(json!({"speed_limit": 0, "syncing": true, "description": "changed"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, shown) = sms
        .call(Method::GET, &format!("/v3/migprojects/{id}"), None)
        .await;
    assert_eq!(shown["speed_limit"], 0);
    assert_eq!(shown["syncing"], true);
    assert_eq!(shown["description"], "changed");
    assert_eq!(shown["name"], "wave-1");

    let (status, body) = sms.call(Method::GET, "/v3/migprojects/nope", None).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (404, Some("SMS.2112")),
        "{body}"
    );
    let (status, body) = sms
        .call(
            Method::PUT,
            "/v3/migprojects/nope",
            Some(json!({"name": "y"})),
        )
        .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (404, Some("SMS.7301")),
        "{body}"
    );
}

#[tokio::test]
async fn a_project_with_servers_or_the_default_cannot_be_deleted() {
    let sms = Sms::start().await;
    let (_, created) = create(
        &sms,
        json!({"name": "wave-1", "region": "cn-north-4", "type": "MIGRATE_BLOCK"}),
    )
    .await;
    let wave = created["id"].as_str().unwrap().to_owned();
    let source = sms.register("web-1", "10.0.0.1").await;
    let (status, body) = sms
        .call(
            Method::PUT,
            &format!("/v3/sources/{source}"),
            Some(json!({"migprojectid": wave})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = sms
        .call(
            Method::PUT,
            &format!("/v3/sources/{source}"),
            Some(json!({"migprojectid": "no-such-project"})),
        )
        .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (404, Some("SMS.7301")),
        "{body}"
    );

    let (status, body) = sms
        .call(Method::DELETE, &format!("/v3/migprojects/{wave}"), None)
        .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (400, Some("SMS.7311")),
        "{body}"
    );

    let (_, list) = sms.call(Method::GET, "/v3/migprojects", None).await;
    let default = default_of(&list)["id"].as_str().unwrap().to_owned();
    let (status, body) = sms
        .call(Method::DELETE, &format!("/v3/migprojects/{default}"), None)
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = sms
        .call(
            Method::PUT,
            &format!("/v3/migprojects/{default}"),
            Some(json!({"isdefault": false})),
        )
        .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (400, Some("SMS.7303")),
        "{body}"
    );

    // Once its server moves back, the project can go.
    sms.call(
        Method::PUT,
        &format!("/v3/sources/{source}"),
        Some(json!({"migprojectid": default})),
    )
    .await;
    let (status, body) = sms
        .call(Method::DELETE, &format!("/v3/migprojects/{wave}"), None)
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, list) = sms.call(Method::GET, "/v3/migprojects", None).await;
    assert_eq!(list["count"], 1);
}
