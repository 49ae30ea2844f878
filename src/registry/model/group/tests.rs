//! The group commit's order within one batch, which only a batch formed on purpose
//! shows.

use super::*;
use crate::config::{Overrides, Settings};
use crate::registry::domain::InstanceBody;

fn instance(id: &str, host: &str) -> NewInstance {
    let body: InstanceBody = serde_json::from_value(serde_json::json!({
        "instanceId": id, "hostName": host, "endpoints": ["rest://10.0.0.1:80"]}))
    .expect("body");
    NewInstance::parse(body).expect("instance")
}

/// A client restarting with a fixed id deregisters and registers again at once. On
/// a current-thread runtime both wait in the queue before the draining task runs,
/// so they share one batch, the deregistration first: the registration must
/// register the id again, not renew the instance the model still shows.
#[tokio::test]
async fn an_id_deregistered_earlier_in_the_batch_is_registered_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::load_from(&Overrides::default(), std::path::Path::new("config"))
        .expect("settings");
    settings.database = dir.path().join("group.db");
    let db = Db::open(&settings).await.expect("open");
    db.write(async |conn| {
        sqlx::query(
            "INSERT INTO microservices (domain, project, service_id, environment, app_id,
                 service_name, version, level, status, created_at, modified_at)
             VALUES ('d', 'p', 'svc', '', 'app', 'svc', '1.0.0', 'BACK', 'UP', 1, 1)",
        )
        .execute(conn)
        .await
        .map(|_| ())
    })
    .await
    .expect("a service");
    let now = 1_000_000;
    let model = Model::open(&db, now, crate::registry::instance_json)
        .await
        .expect("model");
    let tenant = Tenant {
        domain: "d".into(),
        project: "p".into(),
    };
    let sid = ServiceId::parse("svc").expect("id");
    model
        .register(
            &db,
            tenant.clone(),
            sid.clone(),
            instance("x", "first"),
            now,
        )
        .await
        .expect("first registration");

    let (gone, again) = tokio::join!(
        model.deregister(
            &db,
            tenant.clone(),
            sid.clone(),
            InstanceId::parse("x").expect("id"),
            now
        ),
        model.register(&db, tenant.clone(), sid, instance("x", "second"), now),
    );
    assert_eq!(gone.expect("deregistered").instance.host_name, "first");
    let (_, created) = again.expect("registered");
    assert!(created.is_some(), "registered anew, not renewed");
    let host: String =
        sqlx::query_scalar("SELECT host_name FROM instances WHERE instance_id = 'x'")
            .fetch_one(db.reader())
            .await
            .expect("the instance is in the file");
    assert_eq!(host, "second");
    assert!(model.instance(&tenant, "svc", "x", now).is_ok());
    db.close().await;
}
