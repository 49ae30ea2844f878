//! Target-server templates, and tasks that name one.

use reqwest::Method;
use serde_json::{Value, json};

use super::Sms;

fn template(name: &str) -> Value {
    json!({"template": {
        "name": name, "is_template": true, "region": "cn-north-4", "projectid": "p-1",
        "target_server_name": "target-vm", "availability_zone": "cn-north-4a",
        "volumetype": "SAS", "flavor": "s6.large.2",
        "vpc": {"id": "autoCreate", "name": "vpc-sms", "cidr": "192.168.0.0/16"},
        "nics": [{"id": "autoCreate", "name": "subnet-sms", "cidr": "192.168.0.0/24"}],
        "security_groups": [{"id": "autoCreate", "name": "sg-sms"}],
        "publicip": {"type": "5_bgp", "bandwidth_size": 10, "bandwidth_share_type": "PER"},
        "disk": [{"index": 0, "name": "system", "disktype": "SAS", "size": 40}],
        "data_volume_type": "SAS", "target_password": "s3cret!Pass", "image_id": ""
    }})
}

#[tokio::test]
async fn templates_round_trip_with_every_declared_field() {
    let sms = Sms::start().await;
    let (status, created) = sms
        .call(Method::POST, "/v3/vm/templates", Some(template("tpl-1")))
        .await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let (status, shown) = sms
        .call(Method::GET, &format!("/v3/vm/templates/{id}"), None)
        .await;
    assert_eq!(status, 200, "{shown}");
    let t = &shown["template"];
    for field in [
        "id",
        "name",
        "is_template",
        "region",
        "projectid",
        "target_server_name",
        "availability_zone",
        "volumetype",
        "flavor",
        "vpc",
        "nics",
        "security_groups",
        "publicip",
        "disk",
        "data_volume_type",
        "target_password",
        "image_id",
    ] {
        assert!(t.get(field).is_some(), "{field} missing in {t}");
    }
    assert_eq!(t["is_template"], "true", "a string in the response model");
    assert_eq!(t["target_password"], "********");
    assert_eq!(t["nics"][0]["name"], "subnet-sms");
    let (_, secret) = sms
        .call(
            Method::GET,
            &format!("/v3/vm/templates/{id}/target-password"),
            None,
        )
        .await;
    assert_eq!(
        secret,
        json!({"template_id": id, "target_password": "s3cret!Pass"})
    );

    let (status, dup) = sms
        .call(Method::POST, "/v3/vm/templates", Some(template("tpl-1")))
        .await;
    assert_eq!(
        (status, dup["error_code"].as_str()),
        (400, Some("SMS.7112")),
        "{dup}"
    );

    let (status, body) = sms
        .call(
            Method::PUT,
            &format!("/v3/vm/templates/{id}"),
            Some(json!({"template": {"flavor": "s6.xlarge.2"}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, list) = sms
        .call(
            Method::GET,
            "/v3/vm/templates?availability_zone=cn-north-4a",
            None,
        )
        .await;
    assert_eq!(list["count"], 1);
    assert_eq!(list["templates"][0]["flavor"], "s6.xlarge.2");
    let (_, none) = sms
        .call(Method::GET, "/v3/vm/templates?region=elsewhere", None)
        .await;
    assert_eq!(none["count"], 0);

    let (status, body) = sms
        .call(Method::GET, "/v3/vm/templates/missing", None)
        .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (404, Some("SMS.7101")),
        "{body}"
    );
    let (status, body) = sms
        .call(
            Method::POST,
            "/v3/vm/templates",
            Some(json!({"template": {"name": "t", "publicip": {"type": "5_bgp", "bandwidth_size": 0}}})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error_param"][0], "template.publicip.bandwidth_size");
}

#[tokio::test]
async fn batch_delete_is_all_or_nothing_and_tasks_check_their_template() {
    let sms = Sms::start().await;
    let mut ids = Vec::new();
    for name in ["a", "b"] {
        let (_, created) = sms
            .call(Method::POST, "/v3/vm/templates", Some(template(name)))
            .await;
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let (status, body) = sms
        .call(
            Method::POST,
            "/v3/vm/templates/delete",
            Some(json!({"ids": [ids[0], "nope"]})),
        )
        .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (404, Some("SMS.7101")),
        "{body}"
    );
    let (_, list) = sms.call(Method::GET, "/v3/vm/templates", None).await;
    assert_eq!(list["count"], 2, "nothing deleted");

    // A task may only name a template that exists, and shows the one it names.
    let source = sms.register("web-1", "10.0.0.1").await;
    let task = |template: &str| {
        json!({"name": "t1", "type": "MIGRATE_BLOCK", "os_type": "LINUX",
               "source_server": {"id": source}, "vm_template_id": template})
    };
    let (status, body) = sms
        .call(Method::POST, "/v3/tasks", Some(task("ghost")))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error_param"][0], "vm_template_id");
    let (status, created) = sms
        .call(Method::POST, "/v3/tasks", Some(task(&ids[1])))
        .await;
    assert_eq!(status, 200, "{created}");
    let task_id = created["id"].as_str().unwrap();
    let (_, shown) = sms
        .call(Method::GET, &format!("/v3/tasks/{task_id}"), None)
        .await;
    assert_eq!(shown["vm_template_id"], ids[1].as_str());

    let (status, body) = sms
        .call(
            Method::POST,
            "/v3/vm/templates/delete",
            Some(json!({"ids": ids})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, list) = sms.call(Method::GET, "/v3/vm/templates", None).await;
    assert_eq!(list["count"], 0);
    // The task outlives its template and no longer names it.
    let (_, shown) = sms
        .call(Method::GET, &format!("/v3/tasks/{task_id}"), None)
        .await;
    assert_eq!(shown["vm_template_id"], Value::Null);
}
