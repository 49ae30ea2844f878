//! The simulated clock: read, switched, advanced, never backwards (not across restarts),
//! and read by what the twin simulates (tokens: `iam::token_expires`; leases:
//! `registry::instances`; migrations: `sms::simulation`), so tests never sleep for it.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{self, AdminClient};

async fn clock(admin: &AdminClient, body: Option<Value>) -> (u16, Value) {
    let method = if body.is_some() {
        Method::POST
    } else {
        Method::GET
    };
    admin
        .send(method, "/_cloudtwin/clock", body.as_ref())
        .await
        .parts()
}

fn wall_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_millis(),
    )
    .expect("fits")
}

#[tokio::test]
async fn manual_time_stands_still_and_moves_only_forward() {
    let srv = common::spawn().await;
    let admin = srv.admin();
    let (status, real) = clock(&admin, None).await;
    assert_eq!(status, 200, "{real}");
    assert_eq!(real["mode"], "real");
    let now = real["now_ms"].as_i64().expect("now_ms");
    assert!(
        (now - wall_ms()).abs() < 5_000,
        "real mode follows the wall clock: {now}"
    );

    let (status, manual) = clock(&admin, Some(json!({"mode": "manual"}))).await;
    assert_eq!((status, manual["mode"].as_str()), (200, Some("manual")));
    let stood = manual["now_ms"].as_i64().expect("now_ms");
    assert!(stood >= now, "switching never moves time back");
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    assert_eq!(
        clock(&admin, None).await.1["now_ms"],
        stood,
        "manual time stands still"
    );

    let (status, later) = clock(&admin, Some(json!({"advance_secs": 3600}))).await;
    assert_eq!(status, 200, "{later}");
    assert_eq!(later["now_ms"].as_i64(), Some(stood + 3_600_000));

    for bad in [
        json!({"advance_secs": -1}),
        json!({"advance_secs": 1.5}),
        json!({"mode": "fast"}),
        json!({"speed": 2}),
        json!({}),
    ] {
        let (status, body) = clock(&admin, Some(bad.clone())).await;
        assert_eq!(status, 400, "{bad} → {body}");
        assert!(body["message"].is_string(), "{body}");
    }
    assert_eq!(
        clock(&admin, None).await.1["now_ms"].as_i64(),
        Some(stood + 3_600_000),
        "a refused change changes nothing"
    );

    // Back to real: time continues from where it stood, an hour ahead of the wall clock.
    let (_, back) = clock(&admin, Some(json!({"mode": "real"}))).await;
    let resumed = back["now_ms"].as_i64().expect("now_ms");
    assert!(resumed >= stood + 3_600_000, "{resumed}");
    assert!(resumed - wall_ms() > 3_500_000);
}

#[tokio::test]
async fn simulated_time_survives_a_restart() {
    let srv = common::spawn().await;
    let admin = srv.admin();
    clock(
        &admin,
        Some(json!({"mode": "manual", "advance_secs": 86_400})),
    )
    .await;
    let (_, before) = clock(&admin, None).await;
    let before = before["now_ms"].as_i64().expect("now_ms");
    let (dir, settings) = srv.stop().await;
    // The setting (real) decides the mode at start; time continues from the stored instant.
    let srv = common::spawn_on(dir, settings).await;
    let (_, after) = clock(&srv.admin(), None).await;
    assert_eq!(after["mode"], "real");
    let after = after["now_ms"].as_i64().expect("now_ms");
    assert!(after >= before, "{after} < {before}");
    assert!(after - wall_ms() > 86_000_000, "still a day ahead");
    let stored: i64 = srv
        .sqlite()
        .query_row("SELECT at_ms FROM clock", [], |r| r.get(0))
        .expect("clock row");
    assert!(stored >= before);
}
