//! The SMS v3 API (`/v3/sources`, `/v3/tasks`) with a token or an AK/SK signature.
//! Every SMS answer is JSON, errors included.

use reqwest::Method;
use serde_json::{Value, json};

use super::Client;

#[derive(Debug, Clone)]
pub struct SmsClient {
    api: Client,
}

impl SmsClient {
    /// `api` carries the credential: a token or a key pair.
    pub fn new(api: Client) -> Self {
        Self { api }
    }

    pub fn api(&self) -> &Client {
        &self.api
    }

    /// The same server as another user.
    pub fn as_token(&self, token: &str) -> Self {
        Self::new(self.api.with_token(token))
    }

    /// Status and JSON body.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.api.call(method, path, body).await
    }

    /// `POST /v3/tasks/delete`: the all-or-nothing batch delete.
    pub async fn delete_tasks(&self, ids: &[&str]) -> (u16, Value) {
        self.call(
            Method::POST,
            "/v3/tasks/delete",
            Some(json!({ "ids": ids })),
        )
        .await
    }
}
