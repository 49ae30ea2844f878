//! IAM for the tests: the password-method body and tokens from `POST /v3/auth/tokens`.

use reqwest::Method;
use serde_json::Value;

use super::{Client, Reply};

/// The demo account every server creates (config/default.toml).
pub const DEMO_DOMAIN: &str = "demo";
pub const DEMO_USER: &str = "demo";
pub const DEMO_PASSWORD: &str = "demo-password";

pub fn password_body(domain: &str, user: &str, password: &str) -> Value {
    serde_json::json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "password": password, "domain": {"name": domain}}}},
        "scope": {"project": {"name": "cn-north-4"}}}})
}

/// Tokens from one server.
#[derive(Debug, Clone)]
pub struct Iam {
    api: Client,
}

impl Iam {
    pub fn new(api: Client) -> Self {
        Self { api }
    }

    /// Asks for a token for the user, scoped to project cn-north-4; the answer as it is.
    pub async fn issue(&self, domain: &str, user: &str, password: &str) -> Reply {
        let body = password_body(domain, user, password);
        self.api
            .send(Method::POST, "/v3/auth/tokens", &[], Some(&body))
            .await
    }

    /// A token for the user, which must be issued (201, in `X-Subject-Token`).
    pub async fn token(&self, domain: &str, user: &str, password: &str) -> String {
        let reply = self.issue(domain, user, password).await;
        assert_eq!(
            reply.status, 201,
            "token issued for {domain}/{user}: {}",
            reply.text
        );
        reply.headers["x-subject-token"]
            .to_str()
            .expect("ascii token")
            .to_owned()
    }

    /// A token for the demo user, which holds every action.
    pub async fn demo_token(&self) -> String {
        self.token(DEMO_DOMAIN, DEMO_USER, DEMO_PASSWORD).await
    }
}
