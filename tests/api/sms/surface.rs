//! The smaller operations around the core: versions, agent configuration, privacy
//! agreements, the source overview and the error list.

use reqwest::Method;
use serde_json::json;

use super::Sms;

#[tokio::test]
async fn versions_answer_without_a_credential_and_browsers_go_to_the_console() {
    let sms = Sms::start().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = http.get(sms.srv.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let versions: serde_json::Value = res.json().await.unwrap();
    let v3 = &versions["versions"][0];
    assert_eq!(v3["id"], "v3");
    assert!(v3["links"][0]["href"].as_str().unwrap().ends_with("/v3"));
    for field in ["id", "links", "status", "updated"] {
        assert!(v3.get(field).is_some(), "{field} missing in {v3}");
    }
    let res = http.get(sms.srv.url("/v3")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let shown: serde_json::Value = res.json().await.unwrap();
    assert_eq!(shown["id"], "v3", "a Version at the top level: {shown}");
    let res = http.get(sms.srv.url("/v9")).send().await.unwrap();
    assert_eq!(res.status(), 404);

    let res = http
        .get(sms.srv.url("/"))
        .header("Accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "/_cloudtwin/console/");
}

#[tokio::test]
async fn config_and_privacy_agreement() {
    let sms = Sms::start().await;
    let (status, config) = sms.call(Method::GET, "/v3/config", None).await;
    assert_eq!(status, 200, "{config}");
    assert_eq!(config["config"]["mainRegion"], "cn-north-4");
    assert!(
        config["config"]
            .as_object()
            .unwrap()
            .values()
            .all(|v| v.is_string())
    );
    assert_eq!(config["regions"][0]["region_name"], "cn-north-4");

    let (_, flag) = sms.call(Method::GET, "/v3/privacy-agreements", None).await;
    assert_eq!(flag, json!({"flag": false}));
    for _ in 0..2 {
        let (status, body) = sms.call(Method::POST, "/v3/privacy-agreements", None).await;
        assert_eq!(status, 200, "{body}");
    }
    let (_, flag) = sms.call(Method::GET, "/v3/privacy-agreements", None).await;
    assert_eq!(flag, json!({"flag": true}));
}

#[tokio::test]
async fn overview_counts_servers_and_errors_list_failed_ones() {
    let sms = Sms::start().await;
    let (a, task_a) = sms.server_with_task(1).await;
    let b = sms.register("host-b", "10.0.9.9").await;
    sms.set_source(&b, "stopped", true).await;
    let (status, overview) = sms.call(Method::GET, "/v3/sources/overview", None).await;
    assert_eq!(status, 200, "{overview}");
    assert_eq!(overview["waiting"], 1);
    assert_eq!(overview["stopped"], 1);
    assert_eq!(overview["unconfigured"], 1, "b has no task");
    for field in [
        "waiting",
        "replicate",
        "syncing",
        "stopped",
        "deleting",
        "cutovering",
        "unavailable",
        "stopping",
        "skipping",
        "finished",
        "initialize",
        "error",
        "cloning",
        "unconfigured",
    ] {
        assert!(overview[field].is_i64(), "{field} in {overview}");
    }

    let (_, errors) = sms.call(Method::GET, "/v3/errors", None).await;
    assert_eq!(errors, json!({"count": 0, "migration_errors": []}));
    let reply = sms.srv.admin().set_sms_task(&task_a, "MIGRATE_FAIL").await;
    assert_eq!(reply.status, 200);
    let (status, errors) = sms
        .call(Method::GET, "/v3/errors?limit=10&offset=0", None)
        .await;
    assert_eq!(status, 200, "{errors}");
    assert_eq!(errors["count"], 1);
    let entry = &errors["migration_errors"][0];
    assert_eq!(entry["source_id"], a.as_str());
    let error_json: serde_json::Value =
        serde_json::from_str(entry["error_json"].as_str().unwrap()).unwrap();
    assert!(
        error_json["error_code"]
            .as_str()
            .unwrap()
            .starts_with("SMS.")
    );
    let (status, _) = sms.call(Method::GET, "/v3/errors?limit=101", None).await;
    assert_eq!(status, 400);
}
