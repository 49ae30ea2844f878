//! Bad input: proptest-generated bodies against every JSON endpoint of SMS, IAM, the
//! registry and the admin routes, and random credentials against protected routes.
//! No request may get a 5xx or kill a worker, every 4xx must be in its area's JSON
//! format, and no made-up credential may ever authenticate.
//!
//! `FUZZ_CASES=20 cargo test --test fuzz` runs twenty times as many cases.

mod common;

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::Method;
use reqwest::header::HeaderValue;
use serde_json::{Map, Value, json};

use cloudtwin::config::Settings;
use common::TestServer;

/// Generated bodies per endpoint (`FUZZ_CASES` multiplies both counts for a longer run).
const CASES: u32 = 128;
/// Generated credentials, over all protected endpoints.
const AUTH_CASES: u32 = 1024;

fn scaled(cases: u32) -> u32 {
    let factor = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|f| f.parse::<u32>().ok())
        .unwrap_or(1);
    cases.saturating_mul(factor.max(1))
}
const REGISTRY: &str = "/v4/default/registry";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    Sms,
    Iam,
    Registry,
    Service,
}

struct Endpoint {
    method: Method,
    path: String,
    area: Area,
    /// A valid body, the seed of the near-valid mutations.
    template: Value,
}

/// Whether a reply is one a client can rely on: never a 5xx, and a 4xx in the JSON
/// error format of the path's API.
fn check_reply(area: Area, status: u16, text: &str) -> Result<(), String> {
    if status >= 500 {
        return Err(format!("{status}: {text}"));
    }
    if status < 400 {
        return Ok(());
    }
    let body: Value = serde_json::from_str(text)
        .map_err(|_| format!("{status} with a non-JSON body {text:?}"))?;
    let str_field = |v: &Value| v.as_str().is_some_and(|s| !s.is_empty());
    let ok = match area {
        // API Gateway's 401 for both APIs and the protected IAM routes.
        Area::Sms | Area::Registry if status == 401 => {
            body["error_code"] == "APIGW.0301" && str_field(&body["error_msg"])
        }
        Area::Sms => {
            body["error_code"]
                .as_str()
                .is_some_and(|c| c.starts_with("SMS.") || c.starts_with("APIGW."))
                && str_field(&body["error_msg"])
        }
        Area::Registry => {
            body["errorCode"]
                .as_str()
                .is_some_and(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
                && str_field(&body["errorMessage"])
        }
        Area::Iam => body["error"]["code"] == status && str_field(&body["error"]["message"]),
        Area::Service => str_field(&body["error"]) && str_field(&body["message"]),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{status} not in the {area:?} error format: {text}"))
    }
}

async fn send(
    srv: &TestServer,
    method: Method,
    path: &str,
    headers: &[(&str, HeaderValue)],
    body: Vec<u8>,
) -> Result<(u16, String), String> {
    let mut req = srv.client.request(method.clone(), srv.url(path));
    for (name, value) in headers {
        req = req.header(*name, value.clone());
    }
    let res = req
        .body(body)
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .map_err(|e| format!("{method} {path}: no answer (a panic?): {e}"))?;
    let status = res.status().as_u16();
    let text = res.text().await.map_err(|e| format!("body: {e}"))?;
    Ok((status, text))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 200,
        ..Config::default()
    })
}

// ---------------------------------------------------------------------------------------
// Generated JSON

/// Strings that parsers trip on: empty, blank, control characters, NUL, unicode of
/// every width, very long ones, and the enum words the endpoints know.
fn nasty_string() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<String>(),
        1 => Just(String::new()),
        1 => Just("   ".to_owned()),
        1 => Just("\u{0}\u{1}\t\n".to_owned()),
        1 => Just("🦀 ünïcödé 中文 \u{202e}".to_owned()),
        1 => (1usize..5000).prop_map(|n| "é".repeat(n)),
        2 => prop::sample::select(vec![
            "LINUX", "WINDOWS", "MIGRATE_BLOCK", "replicate", "READY", "start", "clone_test",
            "1.0.0", "0.0.0+", "latest", "UP", "push", "BACK", "production", "true", "-1",
            "10.0.0.1", "::1", "rest://127.0.0.1:1", "has space", "a:b", "*",
        ])
        .prop_map(str::to_owned),
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop::sample::select(vec![
            json!(0),
            json!(-1),
            json!(i64::MIN),
            json!(u64::MAX),
            json!(1e308),
            json!(-0.0),
            json!(65536),
            json!(2.5),
        ]),
    ]
}

fn arb_json(keys: Vec<String>) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        number(),
        nasty_string().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        let key = prop_oneof![
            3 => prop::sample::select(keys.clone()),
            1 => nasty_string(),
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Every path to a value inside `v` (object keys and array indices).
fn paths(v: &Value, prefix: Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let mut p = prefix.clone();
                p.push(json!(k));
                out.push(p.clone());
                paths(child, p, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let mut p = prefix.clone();
                p.push(json!(i));
                out.push(p.clone());
                paths(child, p, out);
            }
        }
        _ => {}
    }
}

fn keys_of(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                out.push(k.clone());
                keys_of(child, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|c| keys_of(c, out)),
        _ => {}
    }
}

/// The same value of the wrong JSON type.
fn wrong_type(v: &Value) -> Value {
    match v {
        Value::String(s) => s.parse::<f64>().map_or(json!(42), |_| json!([s])),
        Value::Number(n) => json!(n.to_string()),
        Value::Bool(b) => json!(b.to_string()),
        Value::Array(a) => json!({"0": a.first().cloned().unwrap_or(Value::Null)}),
        Value::Object(_) => json!([v.clone()]),
        Value::Null => json!({}),
    }
}

/// Replaces (mode 0), removes (1), retypes (2) the value at `path`, or adds a key (3).
fn mutate(mut template: Value, path: &[Value], mode: u8, replacement: Value) -> Value {
    let Some((last, parents)) = path.split_last() else {
        return replacement;
    };
    let mut node = &mut template;
    for seg in parents {
        node = match seg {
            Value::String(k) => &mut node[k.as_str()],
            Value::Number(i) => &mut node[i.as_u64().unwrap_or(0) as usize],
            _ => unreachable!(),
        };
    }
    match (node, last) {
        (Value::Object(map), Value::String(k)) => match mode {
            0 => {
                map.insert(k.clone(), replacement);
            }
            1 => {
                map.remove(k);
            }
            2 => {
                let retyped = wrong_type(&map[k]);
                map.insert(k.clone(), retyped);
            }
            _ => {
                map.insert(format!("{k}_extra"), replacement);
            }
        },
        (Value::Array(items), Value::Number(i)) => {
            let i = i.as_u64().unwrap_or(0) as usize;
            match mode {
                0 => items[i] = replacement,
                1 => {
                    items.remove(i);
                }
                2 => items[i] = wrong_type(&items[i]),
                _ => items.push(replacement),
            }
        }
        _ => {}
    }
    template
}

/// Raw texts that are not JSON, or JSON that parsers reject: deep nesting, numbers out
/// of every range, lone surrogates, trailing commas, a byte order mark.
fn raw_text() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        (1usize..4000, any::<bool>()).prop_map(|(depth, object)| {
            if object {
                format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)).into_bytes()
            } else {
                format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes()
            }
        }),
        prop::sample::select(vec![
            "",
            " ",
            "null",
            "{}",
            "[]",
            "\"text\"",
            "1e999",
            "-1e999",
            "18446744073709551616",
            "{\"ids\": [1e999]}",
            "{\"name\": 123456789012345678901234567890}",
            "{\"priority\": 1e400}",
            "{\"a\": \"\\ud800\"}",
            "\u{feff}{}",
            "{\"a\": 1,}",
            "{\"a\" 1}",
            "{'a': 1}",
            "\u{0}",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
    ]
}

fn body_strategy(template: Value, keys: Vec<String>) -> BoxedStrategy<Vec<u8>> {
    let mut all = Vec::new();
    paths(&template, Vec::new(), &mut all);
    if all.is_empty() {
        all.push(Vec::new());
    }
    let near_valid = (prop::sample::select(all), 0u8..4, arb_json(keys.clone())).prop_map(
        move |(path, mode, replacement)| {
            serde_json::to_vec(&mutate(template.clone(), &path, mode, replacement))
                .expect("serialize")
        },
    );
    prop_oneof![
        4 => near_valid,
        3 => arb_json(keys).prop_map(|v| serde_json::to_vec(&v).expect("serialize")),
        2 => raw_text(),
    ]
    .boxed()
}

fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![
        6 => Just(Some("application/json")),
        1 => Just(None),
        1 => Just(Some("text/plain")),
        1 => Just(Some("application/json; charset=latin1")),
    ]
}

// ---------------------------------------------------------------------------------------
// The endpoints

struct Fixtures {
    source: String,
    free_source: String,
    task: String,
    service: String,
    instance: String,
}

async fn fixtures(srv: &TestServer, token: &str) -> Fixtures {
    async fn post(srv: &TestServer, token: &str, path: &str, body: Value) -> Value {
        let res = srv
            .client
            .post(srv.url(path))
            .header("X-Auth-Token", token)
            .json(&body)
            .send()
            .await
            .expect("fixture request");
        assert_eq!(res.status(), 200, "fixture {path} created");
        res.json().await.expect("JSON")
    }
    let source = post(
        srv,
        token,
        "/v3/sources",
        json!({"name": "a", "ip": "10.0.0.1"}),
    )
    .await;
    let free = post(
        srv,
        token,
        "/v3/sources",
        json!({"name": "b", "ip": "10.0.0.2"}),
    )
    .await;
    let task = post(
        srv,
        token,
        "/v3/tasks",
        json!({"name": "t", "type": "MIGRATE_BLOCK", "os_type": "LINUX",
               "source_server": {"id": source["id"]}}),
    )
    .await;
    let service = post(
        srv,
        token,
        &format!("{REGISTRY}/microservices"),
        json!({"service": {"appId": "fz", "serviceName": "svc", "version": "1.0.0"}}),
    )
    .await;
    let service = service["serviceId"].as_str().expect("id").to_owned();
    let instance = post(
        srv,
        token,
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

fn endpoints(f: &Fixtures) -> Vec<Endpoint> {
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
            common::password_body("demo", "demo", "demo-password"),
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

async fn server() -> (TestServer, String) {
    let srv = common::spawn_with(|s: &mut Settings| s.log.level = "off".into()).await;
    let token = common::token_for(&srv, "demo", "demo", "demo-password").await;
    (srv, token)
}

async fn assert_alive(srv: &TestServer) {
    let res = srv
        .client
        .get(srv.url("/health"))
        .send()
        .await
        .expect("the server still answers");
    assert_eq!(res.status(), 200, "healthy after the fuzzing");
}

#[test]
fn fuzzed_bodies_never_get_a_5xx_and_errors_keep_their_format() {
    let rt = runtime();
    let (srv, token) = rt.block_on(server());
    let fixtures = rt.block_on(fixtures(&srv, &token));
    let endpoints = endpoints(&fixtures);
    let mut keys = Vec::new();
    for ep in &endpoints {
        keys_of(&ep.template, &mut keys);
    }
    keys.sort();
    keys.dedup();
    let token = HeaderValue::from_str(&token).expect("token header");

    let started = Instant::now();
    let mut failures = Vec::new();
    let statuses = std::cell::RefCell::new(std::collections::BTreeMap::<u16, u32>::new());
    for ep in &endpoints {
        let strategy = (
            body_strategy(ep.template.clone(), keys.clone()),
            content_type(),
        );
        let result = runner(scaled(CASES)).run(&strategy, |(body, ctype)| {
            let mut headers = vec![("X-Auth-Token", token.clone())];
            if let Some(ctype) = ctype {
                headers.push(("Content-Type", HeaderValue::from_static(ctype)));
            }
            let (status, text) = rt
                .block_on(send(&srv, ep.method.clone(), &ep.path, &headers, body))
                .map_err(TestCaseError::fail)?;
            *statuses.borrow_mut().entry(status).or_default() += 1;
            check_reply(ep.area, status, &text).map_err(TestCaseError::fail)
        });
        if let Err(e) = result {
            failures.push(format!("{} {}: {e}", ep.method, ep.path));
        }
    }
    eprintln!(
        "{} endpoints x {} bodies in {:?}, statuses {:?}",
        endpoints.len(),
        scaled(CASES),
        started.elapsed(),
        statuses.borrow()
    );
    rt.block_on(assert_alive(&srv));
    assert!(failures.is_empty(), "{failures:#?}");
}

// ---------------------------------------------------------------------------------------
// Credentials

/// Bytes a header value may hold (visible ASCII, space, tab, obs-text).
fn header_bytes() -> impl Strategy<Value = Vec<u8>> + Clone {
    prop::collection::vec(
        prop_oneof![8 => 0x20u8..0x7f, 1 => Just(b'\t'), 1 => 0x80u8..=0xff],
        0..96,
    )
}

fn sdk_date(offset_secs: i64) -> String {
    (time::OffsetDateTime::now_utc() + time::Duration::seconds(offset_secs))
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .expect("format date")
}

/// Authorization headers: garbage, SDK-HMAC-SHA256 shapes assembled from real and
/// broken parts (the demo access key included), other schemes.
fn authorization(access: String) -> impl Strategy<Value = Vec<u8>> {
    let hex = prop::collection::vec(0u8..16, 0..80)
        .prop_map(|v| v.iter().map(|d| format!("{d:x}")).collect::<String>());
    let text = header_bytes().prop_map(|b| String::from_utf8_lossy(&b).into_owned());
    let ak = access.clone();
    let part = prop_oneof![
        Just(format!("Access={access}")),
        Just("Access=".to_owned()),
        text.clone().prop_map(|t| format!("Access={t}")),
        Just("SignedHeaders=content-type;host;x-sdk-date".to_owned()),
        Just("SignedHeaders=".to_owned()),
        Just("SignedHeaders=Host;;X-Sdk-Date".to_owned()),
        text.clone().prop_map(|t| format!("SignedHeaders={t}")),
        hex.clone().prop_map(|h| format!("Signature={h}")),
        Just("Signature=".to_owned()),
        text.clone(),
    ];
    let scheme = prop::sample::select(vec![
        "SDK-HMAC-SHA256",
        "sdk-hmac-sha256",
        "SDK-HMAC-SHA1",
        "Bearer",
        "Basic",
        "",
    ]);
    let assembled = (
        scheme,
        prop::collection::vec(part, 0..5),
        prop::sample::select(vec![", ", ",", " ", ";"]),
    )
        .prop_map(|(scheme, parts, sep)| format!("{scheme} {}", parts.join(sep)).into_bytes());
    // Everything right but the signature.
    let almost = (
        prop::sample::select(vec![
            "content-type;host;x-sdk-date",
            "host;x-sdk-date",
            "x-sdk-date",
            "host",
        ]),
        hex,
    )
        .prop_map(move |(signed, sig)| {
            format!("SDK-HMAC-SHA256 Access={ak}, SignedHeaders={signed}, Signature={sig}")
                .into_bytes()
        });
    prop_oneof![3 => assembled, 2 => almost, 1 => header_bytes()]
}

fn date_header() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop::option::weighted(
        0.8,
        prop_oneof![
            4 => Just(sdk_date(0).into_bytes()),
            1 => prop::sample::select(vec![-100_000i64, -1000, 1000, 100_000_000])
                .prop_map(|o| sdk_date(o).into_bytes()),
            1 => prop::sample::select(vec![
                "99991231T235959Z", "00000101T000000Z", "20260230T000000Z", "2026-01-01T00:00:00Z",
                "20260101T000000", "",
            ])
            .prop_map(|s| s.as_bytes().to_vec()),
            1 => header_bytes(),
        ],
    )
}

/// Tokens: garbage, token-like prefixes, and the real token with one character changed,
/// cut short or extended.
fn token_header(real: String) -> impl Strategy<Value = Vec<u8>> {
    let n = real.len();
    let (flip, cut, extend) = (real.clone(), real.clone(), real);
    prop_oneof![
        header_bytes(),
        header_bytes().prop_map(|b| [b"MII".as_slice(), &b].concat()),
        (
            0..n,
            prop::sample::select(vec!['A', 'z', '0', '+', '-', '/'])
        )
            .prop_filter_map("a different character", move |(i, c)| {
                let mut t = flip.clone().into_bytes();
                (t[i] != c as u8).then(|| {
                    t[i] = c as u8;
                    t
                })
            }),
        (0..n).prop_map(move |i| cut.as_bytes()[..i].to_vec()),
        prop::sample::select(vec!["x", "0", "==", "%00"])
            .prop_map(move |s| format!("{extend}{s}").into_bytes()),
    ]
}

#[test]
fn made_up_credentials_never_authenticate_and_never_500() {
    let rt = runtime();
    let (srv, token) = rt.block_on(server());
    let protected: Vec<(Method, String, &[u8])> = vec![
        (Method::GET, "/v3/sources".into(), b""),
        (Method::POST, "/v3/tasks/delete".into(), br#"{"ids":["x"]}"#),
        (Method::GET, "/v3/projects".into(), b""),
        (Method::GET, format!("{REGISTRY}/microservices"), b""),
        (
            Method::POST,
            format!("{REGISTRY}/microservices"),
            br#"{"service":{"serviceName":"x"}}"#,
        ),
    ];
    let credentials = (
        0..protected.len(),
        prop::option::weighted(0.7, authorization(srv.demo.access.clone())),
        date_header(),
        prop::option::weighted(0.5, token_header(token)),
    );
    let started = Instant::now();
    let result = runner(scaled(AUTH_CASES)).run(&credentials, |(i, auth, date, token)| {
        let (method, path, body) = &protected[i];
        let mut headers = vec![("Content-Type", HeaderValue::from_static("application/json"))];
        for (name, value) in [
            ("Authorization", auth),
            ("X-Sdk-Date", date),
            ("X-Auth-Token", token),
        ] {
            if let Some(value) = value {
                let value = HeaderValue::from_bytes(&value)
                    .map_err(|e| TestCaseError::reject(format!("not a header value: {e}")))?;
                headers.push((name, value));
            }
        }
        let (status, text) = rt
            .block_on(send(&srv, method.clone(), path, &headers, body.to_vec()))
            .map_err(TestCaseError::fail)?;
        prop_assert_eq!(status, 401, "{} {}: {}", method, path, text);
        // API Gateway's body, whichever API the path belongs to.
        let body: Value = serde_json::from_str(&text)
            .map_err(|_| TestCaseError::fail(format!("non-JSON 401 {text:?}")))?;
        prop_assert_eq!(&body["error_code"], "APIGW.0301", "{}", text);
        prop_assert!(body["error_msg"].is_string(), "{}", text);
        Ok(())
    });
    eprintln!(
        "{} credentials in {:?}",
        scaled(AUTH_CASES),
        started.elapsed()
    );
    rt.block_on(assert_alive(&srv));
    if let Err(e) = result {
        panic!("{e}");
    }
}
