//! `/_cloudtwin/*`: snapshots, reset and the SMS state controls, with or without the
//! `X-Admin-Token`.

use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use super::client::Auth;
use super::{Client, Reply};

#[derive(Debug, Clone)]
pub struct AdminClient {
    api: Client,
}

impl AdminClient {
    pub fn new(api: Client) -> Self {
        Self {
            api: api.with_auth(Auth::None),
        }
    }

    /// The same server with (or without) an admin token.
    pub fn with_token(&self, token: Option<&str>) -> Self {
        let auth = token.map_or(Auth::None, |t| Auth::Admin(t.to_owned()));
        Self {
            api: self.api.with_auth(auth),
        }
    }

    /// A request to finish by hand.
    pub fn request(&self, method: Method, path: &str, body: Option<&Value>) -> RequestBuilder {
        self.api.request(method, path, body)
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        self.api.send(method, path, &[], body).await
    }

    /// Status and JSON body (admin answers are JSON, refusals included).
    pub async fn call(&self, method: Method, path: &str) -> (u16, Value) {
        self.api.call(method, path, None).await
    }

    /// Puts a source server into a state, as its agent would report it.
    pub async fn set_sms_source(&self, id: &str, state: &str, connected: bool) -> Reply {
        self.send(
            Method::PUT,
            &format!("/_cloudtwin/sms/sources/{id}"),
            Some(&json!({"state": state, "connected": connected})),
        )
        .await
    }

    /// Puts a migration task into a state.
    pub async fn set_sms_task(&self, id: &str, state: &str) -> Reply {
        self.send(
            Method::PUT,
            &format!("/_cloudtwin/sms/tasks/{id}"),
            Some(&json!({"state": state})),
        )
        .await
    }
}
