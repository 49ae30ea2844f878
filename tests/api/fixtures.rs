//! Fixtures black-box: `cloudtwin seed`, `export`, `serve --fixture`'s loader, and what
//! the APIs show afterwards.

use std::path::{Path, PathBuf};
use std::process::Output;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{self, DEMO, cli};

/// The task of the `replicate` + connected source in fixtures/demo.yaml.
const BUSY_TASK: &str = "7a5c0000-0000-4000-8000-000000000001";
/// The task of the `finished` source in fixtures/demo.yaml.
const DONE_TASK: &str = "7a5c0000-0000-4000-8000-000000000002";

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn count(db: &Path, table: &str) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

const TABLES: [&str; 12] = [
    "domains",
    "projects",
    "users",
    "user_actions",
    "access_keys",
    "source_servers",
    "tasks",
    "microservices",
    "instances",
    "service_schemas",
    "service_tags",
    "dependencies",
];

fn counts(db: &Path) -> Vec<i64> {
    TABLES.iter().map(|t| count(db, t)).collect()
}

#[tokio::test]
async fn a_seeded_estate_shows_in_both_apis_and_keeps_the_delete_rule() {
    let dir = tempfile::tempdir().unwrap();
    let settings = common::test_settings(dir.path());
    let db = settings.database.to_str().unwrap();
    let out = ok(&cli::run(dir.path(), &["--database", db, "seed", DEMO]));
    assert!(
        out.contains("4 source servers, 3 tasks, 5 microservices, 6 instances"),
        "{out}"
    );

    let srv = common::spawn_on(dir, settings).await;
    let token = srv.demo_token().await;
    let sms = srv.sms(&token);
    let registry = srv.registry_as(&token);
    let (status, body) = sms.call(Method::GET, "/v3/sources", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["count"], 4, "{body}");
    let (status, body) = sms
        .call(Method::GET, &format!("/v3/tasks/{BUSY_TASK}"), None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "RUNNING", "{body}");

    // The replicate + connected source keeps its task: 400, and nothing is deleted.
    let (status, body) = sms
        .call(
            Method::POST,
            "/v3/tasks/delete",
            Some(json!({"ids": [BUSY_TASK, DONE_TASK]})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(count(&srv.db_path(), "tasks"), 3);
    let (status, body) = sms
        .call(
            Method::POST,
            "/v3/tasks/delete",
            Some(json!({"ids": [DONE_TASK]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // The fixture's user logs in with its clear-text password and holds only its actions.
    let viewer = srv.token_for("demo", "viewer", "viewer-password").await;
    let viewer = sms.as_token(&viewer);
    let (status, _) = viewer.call(Method::GET, "/v3/sources", None).await;
    assert_eq!(status, 200);
    let (status, _) = viewer
        .call(
            Method::POST,
            "/v3/tasks/delete",
            Some(json!({"ids": [BUSY_TASK]})),
        )
        .await;
    assert_eq!(status, 403);

    // Registry: services, instances (permanent and leased), schemas, tags, dependencies.
    let (status, body) = registry.call(Method::GET, "/microservices", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["services"].as_array().map(Vec::len), Some(5), "{body}");
    let (status, body) = registry
        .call(
            Method::GET,
            "/microservices/shop-orders-120/instances",
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["instances"].as_array().map(Vec::len),
        Some(2),
        "{body}"
    );
    let (status, body) = registry
        .call(
            Method::GET,
            "/microservices/shop-orders-120/providers",
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut providers: Vec<&str> = body["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["serviceName"].as_str().unwrap())
        .collect();
    providers.sort_unstable();
    assert_eq!(providers, ["inventory", "payments"]);
    let (status, body) = registry
        .call(Method::GET, "/microservices/shop-payments-201/tags", None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tags"]["pci"], "yes", "{body}");
    let (status, body) = registry
        .call(
            Method::GET,
            "/microservices/shop-orders-120/schemas/OrdersEndpoint",
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["schema"].as_str().unwrap().contains("listOrders"),
        "{body}"
    );
    srv.stop().await;
}

#[test]
fn a_broken_fixture_changes_nothing_and_names_the_entity() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let db_arg = db.to_str().unwrap();
    ok(&cli::run(dir.path(), &["--database", db_arg, "seed", DEMO]));
    let before = counts(&db);
    let broken = dir.path().join("broken.yaml");
    let seed_broken = || {
        cli::run(
            dir.path(),
            &["--database", db_arg, "seed", broken.to_str().unwrap()],
        )
    };

    std::fs::write(
        &broken,
        r#"
domains:
  - name: acme
    projects:
      - name: eu-west-0
        source_servers:
          - {name: web-1, ip: 10.9.0.1}
        tasks:
          - {name: web-migrate, source_server: web-1, type: MIGRATE_FILE, os_type: LINUX}
          - {name: db-migrate, source_server: web-9, type: MIGRATE_FILE, os_type: LINUX}
"#,
    )
    .unwrap();
    let out = seed_broken();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(r#"tasks[1] "db-migrate": source server "web-9" is not defined"#),
        "{stderr}"
    );
    assert_eq!(counts(&db), before);

    // Fails only while writing (a service id that exists), after other rows went in:
    // the transaction takes them back.
    std::fs::write(
        &broken,
        r#"
domains:
  - name: acme
    projects:
      - name: eu-west-0
        source_servers:
          - {name: web-1, ip: 10.9.0.1, state: replicate}
registry:
  - domain: acme
    project: default
    microservices:
      - {id: fresh-one, service_name: fresh}
  - domain: demo
    project: default
    microservices:
      - {id: shop-orders-120, service_name: another}
"#,
    )
    .unwrap();
    let out = seed_broken();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(r#"registry[1] demo/default microservices[0] "another": already exists"#),
        "{stderr}"
    );
    assert_eq!(counts(&db), before);

    // Syntax and unknown fields point at the line.
    std::fs::write(&broken, "domains:\n  - name: acme\n    projcts: []\n").unwrap();
    let out = seed_broken();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("projcts") && stderr.contains("line 3"),
        "{stderr}"
    );
    assert_eq!(counts(&db), before);
}

fn export(db: &Path, file: &Path) -> String {
    ok(&cli::run(
        file.parent().unwrap(),
        &[
            "--database",
            db.to_str().unwrap(),
            "export",
            file.to_str().unwrap(),
        ],
    ));
    std::fs::read_to_string(file).unwrap()
}

#[tokio::test]
async fn export_then_seed_then_export_is_byte_identical() {
    // A served database: the demo account (hashed password, key) is part of the export.
    let srv = common::spawn().await;
    srv.load_fixture(Path::new(DEMO)).await;
    let dir = tempfile::tempdir().unwrap();
    let first = export(&srv.db_path(), &dir.path().join("first.yaml"));
    assert!(first.contains("password_hash: $argon2"), "{first}");
    assert!(!first.contains("demo-password"));

    let fresh: PathBuf = dir.path().join("fresh.db");
    ok(&cli::run(
        dir.path(),
        &[
            "--database",
            fresh.to_str().unwrap(),
            "seed",
            dir.path().join("first.yaml").to_str().unwrap(),
        ],
    ));
    let second = export(&fresh, &dir.path().join("second.yaml"));
    assert_eq!(first, second);
    // JSON is YAML: the same estate as JSON loads too.
    let json: Value = serde_norway::from_str(&first).unwrap();
    let json_file = dir.path().join("estate.json");
    std::fs::write(&json_file, serde_json::to_string_pretty(&json).unwrap()).unwrap();
    let from_json = dir.path().join("json.db");
    ok(&cli::run(
        dir.path(),
        &[
            "--database",
            from_json.to_str().unwrap(),
            "seed",
            json_file.to_str().unwrap(),
        ],
    ));
    assert_eq!(export(&from_json, &dir.path().join("third.yaml")), first);
    srv.stop().await;
}

#[tokio::test]
async fn serve_fixture_loads_only_into_a_database_without_fixture_data() {
    let srv = common::spawn().await;
    let demo = srv.settings.demo.domain.clone();
    let loaded = srv.load_fixture_at_start(Path::new(DEMO), &demo).await;
    assert_eq!(loaded.map(|s| s.source_servers), Some(4));
    let again = srv.load_fixture_at_start(Path::new(DEMO), &demo).await;
    assert_eq!(again, None);
    assert_eq!(count(&srv.db_path(), "source_servers"), 4);
    srv.stop().await;
}

#[tokio::test]
async fn migration_projects_and_templates_round_trip_too() {
    let srv = common::spawn().await;
    let token = srv.demo_token().await;
    let sms = srv.sms(&token);
    let (status, project) = sms
        .call(
            reqwest::Method::POST,
            "/v3/migprojects",
            Some(serde_json::json!({"name": "wave-1", "region": "cn-north-4",
                                     "type": "MIGRATE_FILE", "speed_limit": 20, "syncing": true})),
        )
        .await;
    assert_eq!(status, 200, "{project}");
    let (status, template) = sms
        .call(
            reqwest::Method::POST,
            "/v3/vm/templates",
            Some(serde_json::json!({"template": {
                "name": "tpl", "flavor": "s6.large.2", "target_password": "pw",
                "vpc": {"id": "autoCreate", "name": "vpc", "cidr": "192.168.0.0/16"},
                "disk": [{"index": 0, "name": "system", "disktype": "SAS", "size": 40}]}})),
        )
        .await;
    assert_eq!(status, 200, "{template}");
    let (_, source) = sms
        .call(
            reqwest::Method::POST,
            "/v3/sources",
            Some(serde_json::json!({"name": "web-1", "ip": "10.0.0.1", "os_type": "LINUX"})),
        )
        .await;
    let (status, task) = sms
        .call(
            reqwest::Method::POST,
            "/v3/tasks",
            Some(
                serde_json::json!({"name": "t", "type": "MIGRATE_BLOCK", "os_type": "LINUX",
                                     "source_server": {"id": source["id"]},
                                     "vm_template_id": template["id"]}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{task}");

    let dir = tempfile::tempdir().unwrap();
    let first = export(&srv.db_path(), &dir.path().join("first.yaml"));
    for expected in [
        "migprojects:",
        "name: SystemProject",
        "isdefault: true",
        "name: wave-1",
        "type: MIGRATE_FILE",
        "templates:",
        "flavor: s6.large.2",
        "target_password: pw",
        "vm_template_id:",
    ] {
        assert!(first.contains(expected), "{expected} missing in\n{first}");
    }
    let fresh: PathBuf = dir.path().join("fresh.db");
    let seeded = cli::run(
        dir.path(),
        &[
            "--database",
            fresh.to_str().unwrap(),
            "seed",
            dir.path().join("first.yaml").to_str().unwrap(),
        ],
    );
    ok(&seeded);
    let said = String::from_utf8_lossy(&seeded.stdout);
    assert!(
        said.contains("2 migration projects, 1 templates"),
        "the summary counts them: {said}"
    );
    assert_eq!(export(&fresh, &dir.path().join("second.yaml")), first);
    srv.stop().await;
}

/// Ids are unique per tenant: two tenants holding the same service and instance ids
/// seed, export each child under its own tenant, and seed again to the same file.
#[test]
fn the_same_ids_in_two_tenants_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let tenant = |domain: &str, name: &str| {
        format!(
            "  - domain: {domain}\n    project: default\n    microservices:\n      \
             - id: shared\n        service_name: {name}\n        version: 1.0.0\n        \
             instances:\n          - id: inst-1\n            host_name: {name}-host\n        \
             tags:\n          owner: {name}\n        depends_on:\n          - service_name: {name}\n"
        )
    };
    let fixture = dir.path().join("two.yaml");
    std::fs::write(
        &fixture,
        format!(
            "registry:\n{}{}",
            tenant("team-a", "orders"),
            tenant("team-b", "cart")
        ),
    )
    .unwrap();
    let db = dir.path().join("two.db");
    ok(&cli::run(
        dir.path(),
        &[
            "--database",
            db.to_str().unwrap(),
            "seed",
            fixture.to_str().unwrap(),
        ],
    ));
    let first = export(&db, &dir.path().join("first.yaml"));
    let exported: Value = serde_norway::from_str(&first).unwrap();
    let services: Vec<(String, String, String, String)> = exported["registry"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| {
            t["microservices"].as_array().unwrap().iter().map(move |s| {
                (
                    t["domain"].as_str().unwrap().to_owned(),
                    s["service_name"].as_str().unwrap().to_owned(),
                    s["instances"][0]["host_name"].as_str().unwrap().to_owned(),
                    s["tags"]["owner"].as_str().unwrap().to_owned(),
                )
            })
        })
        .collect();
    assert_eq!(
        services,
        [
            (
                "team-a".into(),
                "orders".into(),
                "orders-host".into(),
                "orders".into()
            ),
            (
                "team-b".into(),
                "cart".into(),
                "cart-host".into(),
                "cart".into()
            ),
        ],
        "{first}"
    );
    let again = dir.path().join("again.db");
    ok(&cli::run(
        dir.path(),
        &[
            "--database",
            again.to_str().unwrap(),
            "seed",
            dir.path().join("first.yaml").to_str().unwrap(),
        ],
    ));
    assert_eq!(export(&again, &dir.path().join("second.yaml")), first);
}
