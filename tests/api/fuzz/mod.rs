//! Bad input: proptest-generated bodies against every JSON endpoint of SMS, IAM, the
//! registry and the admin routes, and random credentials against protected routes.
//! No request may get a 5xx or kill a worker, every 4xx must be in its area's JSON
//! format, and no made-up credential may ever authenticate.
//!
//! `FUZZ_CASES=20 cargo test --test api fuzz::` runs twenty times as many cases.
//!
//! - [`bodies`]: the generated JSON and raw texts;
//! - [`endpoints`]: every JSON endpoint with a valid body to mutate;
//! - [`credentials`]: generated `Authorization`, `X-Sdk-Date` and `X-Auth-Token` values.

mod bodies;
mod credentials;
mod endpoints;

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::Method;
use reqwest::header::HeaderValue;
use serde_json::Value;

use crate::common::{self, REGISTRY, TestServer};

use bodies::{body_strategy, content_type, keys_of};
use credentials::{authorization, date_header, token_header};
use endpoints::{endpoints, fixtures};

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

async fn server() -> (TestServer, String) {
    // No `log.level = "off"` here any more: logging is one subscriber for the whole
    // test process, set up once at `warn` (see common::internals).
    let srv = common::spawn().await;
    let token = srv.demo_token().await;
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
