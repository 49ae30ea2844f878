//! Every JSON endpoint of SMS, IAM, the registry and the admin routes, each with a
//! valid body as the seed of the mutations, and the resources they act on.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Area, Endpoint};
use crate::common::{REGISTRY, TestServer, password_body};

pub(super) struct Fixtures {
    source: String,
    free_source: String,
    task: String,
    service: String,
    instance: String,
}

pub(super) async fn fixtures(srv: &TestServer, token: &str) -> Fixtures {
    let api = srv.api().with_token(token);
    let post = async |path: &str, body: Value| {
        let (status, created) = api.call(Method::POST, path, Some(body)).await;
        assert_eq!(status, 200, "fixture {path} created");
        created
    };
    let source = post("/v3/sources", json!({"name": "a", "ip": "10.0.0.1"})).await;
    let free = post("/v3/sources", json!({"name": "b", "ip": "10.0.0.2"})).await;
    let task = post(
        "/v3/tasks",
        json!({"name": "t", "type": "MIGRATE_BLOCK", "os_type": "LINUX",
               "source_server": {"id": source["id"]}}),
    )
    .await;
    let service = post(
        &format!("{REGISTRY}/microservices"),
        json!({"service": {"appId": "fz", "serviceName": "svc", "version": "1.0.0"}}),
    )
    .await;
    let service = service["serviceId"].as_str().expect("id").to_owned();
    let instance = post(
        &format!("{REGISTRY}/microservices/{service}/instances"),
        instance_template(),
    )
    .await;
    Fixtures {
        source: source["id"].as_str().expect("id").to_owned(),
        free_source: free["id"].as_str().expect("id").to_owned(),
        task: task["id"].as_str().expect("id").to_owned(),
        service,
        instance: instance["instanceId"].as_str().expect("id").to_owned(),
    }
}

fn instance_template() -> Value {
    json!({"instance": {
        "hostName": "h", "endpoints": ["rest://127.0.0.1:8080"], "status": "UP",
        "properties": {"a": "b"}, "version": "1.0.0",
        "healthCheck": {"mode": "push", "interval": 30, "times": 3},
        "dataCenterInfo": {"name": "dc", "region": "r", "availableZone": "z"}
    }})
}

pub(super) fn endpoints(f: &Fixtures) -> Vec<Endpoint> {
    let ep = |method: Method, path: String, area: Area, template: Value| Endpoint {
        method,
        path,
        area,
        template,
    };
    let (source, free, task) = (&f.source, &f.free_source, &f.task);
    let (svc, inst) = (&f.service, &f.instance);
    let reg = |p: &str| format!("{REGISTRY}{p}");
    let dependency = json!({"dependencies": [{
        "consumer": {"appId": "fz", "serviceName": "c", "version": "1.0.0"},
        "providers": [{"appId": "fz", "serviceName": "svc", "version": "1.0.0+"}]}]});
    vec![
        ep(
            Method::POST,
            "/v3/auth/tokens".into(),
            Area::Iam,
            password_body("demo", "demo", "demo-password"),
        ),
        ep(
            Method::POST,
            "/v3/sources".into(),
            Area::Sms,
            json!({"name": "n", "ip": "10.1.1.1", "ipv6": "::1", "os_type": "LINUX",
                   "os_version": "7", "state": "waiting", "cpu_quantity": 2, "memory": 1024,
                   "enterprise_project_id": "0",
                   "disks": [{"name": "/dev/vda", "size": 42949672960u64}]}),
        ),
        ep(
            Method::PUT,
            format!("/v3/sources/{source}"),
            Area::Sms,
            json!({"name": "renamed", "migprojectid": "p"}),
        ),
        ep(
            Method::POST,
            "/v3/sources/delete".into(),
            Area::Sms,
            json!({"ids": ["no-such-source"]}),
        ),
        ep(
            Method::POST,
            "/v3/tasks".into(),
            Area::Sms,
            json!({"name": "t", "type": "MIGRATE_FILE", "os_type": "WINDOWS",
                   "source_server": {"id": free}, "target_server": {"name": "vm"},
                   "migration_ip": "10.2.2.2", "region_name": "r", "region_id": "r",
                   "project_name": "p", "project_id": "p", "priority": 2,
                   "start_target_server": true, "syncing": false, "speed_limit": 10,
                   "enterprise_project_id": "0"}),
        ),
        ep(
            Method::PUT,
            format!("/v3/tasks/{task}"),
            Area::Sms,
            json!({"name": "t2", "type": "MIGRATE_BLOCK", "migration_ip": "x", "region_name": "r",
                   "region_id": "r", "project_name": "p", "project_id": "p", "speed_limit": 3,
                   "target_server": {"name": "vm"}}),
        ),
        ep(
            Method::POST,
            "/v3/tasks/delete".into(),
            Area::Sms,
            json!({"ids": ["no-such-task"]}),
        ),
        ep(
            Method::POST,
            format!("/v3/tasks/{task}/action"),
            Area::Sms,
            json!({"operation": "clone_test", "template_id": "tpl"}),
        ),
        ep(
            Method::PUT,
            format!("/_cloudtwin/sms/sources/{source}"),
            Area::Service,
            json!({"state": "replicate", "connected": true}),
        ),
        ep(
            Method::PUT,
            format!("/_cloudtwin/sms/tasks/{task}"),
            Area::Service,
            json!({"state": "RUNNING"}),
        ),
        ep(
            Method::POST,
            reg("/microservices"),
            Area::Registry,
            json!({"service": {"serviceId": "fz-id", "appId": "fz", "serviceName": "s2",
                               "version": "1.0.0", "level": "BACK", "environment": "production",
                               "alias": "fz:s2", "description": "d", "registerBy": "SDK",
                               "schemas": ["s1"], "paths": [{"Path": "/x", "Property": {"a": "b"}}],
                               "properties": {"k": "v"},
                               "framework": {"name": "java", "version": "1"}},
                   "tags": {"k": "v"},
                   "instances": [instance_template()["instance"].clone()]}),
        ),
        ep(
            Method::DELETE,
            reg("/microservices"),
            Area::Registry,
            json!({"serviceIds": ["no-such-service"], "force": false}),
        ),
        ep(
            Method::PUT,
            reg(&format!("/microservices/{svc}/properties")),
            Area::Registry,
            json!({"properties": {"k": "v"}}),
        ),
        ep(
            Method::POST,
            reg(&format!("/microservices/{svc}/instances")),
            Area::Registry,
            instance_template(),
        ),
        ep(
            Method::PUT,
            reg(&format!("/microservices/{svc}/instances/{inst}/properties")),
            Area::Registry,
            json!({"properties": {"k": "v"}}),
        ),
        ep(
            Method::PUT,
            reg("/heartbeats"),
            Area::Registry,
            json!({"instances": [{"serviceId": svc, "instanceId": inst}]}),
        ),
        ep(
            Method::PUT,
            reg("/dependencies"),
            Area::Registry,
            dependency.clone(),
        ),
        ep(
            Method::POST,
            reg("/dependencies"),
            Area::Registry,
            dependency,
        ),
        ep(
            Method::POST,
            reg(&format!("/microservices/{svc}/schemas")),
            Area::Registry,
            json!({"schemas": [{"schemaId": "s1", "schema": "openapi: 3.0.0", "summary": "x"}]}),
        ),
        ep(
            Method::PUT,
            reg(&format!("/microservices/{svc}/schemas/s1")),
            Area::Registry,
            json!({"schema": "openapi: 3.0.0", "summary": "x"}),
        ),
        ep(
            Method::POST,
            reg(&format!("/microservices/{svc}/tags")),
            Area::Registry,
            json!({"tags": {"k": "v", "k2": "v2"}}),
        ),
    ]
}
