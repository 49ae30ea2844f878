//! The ServiceComb v4 registry (`/v4/{project}/registry`) with a token, an AK/SK
//! signature, or (auth off) the tenant in `X-Domain-Name`. Paths are relative to the
//! project's registry root.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Client, Reply};

/// The registry root of the `default` project.
pub const REGISTRY: &str = "/v4/default/registry";

#[derive(Debug, Clone)]
pub struct RegistryClient {
    api: Client,
    root: String,
}

impl RegistryClient {
    /// `api` carries the credential (or none, with auth off).
    pub fn new(api: Client, project: &str) -> Self {
        Self {
            api,
            root: format!("/v4/{project}/registry"),
        }
    }

    pub fn api(&self) -> &Client {
        &self.api
    }

    /// The path from the server root, e.g. `/v4/default/registry/microservices`.
    pub fn path(&self, path: &str) -> String {
        format!("{}{path}", self.root)
    }

    /// The same client as another tenant (with auth off).
    pub fn with_domain(&self, domain: &str) -> Self {
        Self {
            api: self.api.with_header("X-Domain-Name", domain),
            root: self.root.clone(),
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        domain: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Reply {
        let mut all: Vec<(&str, &str)> = domain.map(|d| ("X-Domain-Name", d)).into_iter().collect();
        all.extend_from_slice(headers);
        self.api.send(method, &self.path(path), &all, body).await
    }

    /// Status and JSON body (which must be JSON).
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.send(method, path, None, &[], body.as_ref())
            .await
            .parts()
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None, &[], None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(Method::POST, path, None, &[], Some(&body)).await
    }

    pub async fn put(&self, path: &str, body: Option<Value>) -> Reply {
        self.send(Method::PUT, path, None, &[], body.as_ref()).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None, &[], None).await
    }

    /// `DELETE /microservices{query}` with a body: the batch delete.
    pub async fn batch_delete(&self, query: &str, body: Value) -> Reply {
        self.send(
            Method::DELETE,
            &format!("/microservices{query}"),
            None,
            &[],
            Some(&body),
        )
        .await
    }

    /// Discovery: `GET /instances?{query}`, as `consumer` when given.
    pub async fn find(&self, query: &str, consumer: Option<&str>) -> Reply {
        let headers: Vec<(&str, &str)> =
            consumer.map(|c| ("X-ConsumerId", c)).into_iter().collect();
        self.send(
            Method::GET,
            &format!("/instances?{query}"),
            None,
            &headers,
            None,
        )
        .await
    }

    /// Creates a microservice, which must succeed; its id.
    pub async fn create_service(&self, app: &str, name: &str, version: &str) -> String {
        let reply = self
            .post(
                "/microservices",
                json!({"service": {"appId": app, "serviceName": name, "version": version}}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json["serviceId"]
            .as_str()
            .expect("serviceId")
            .to_owned()
    }

    /// Registers an instance, which must succeed; its id.
    pub async fn register(&self, service_id: &str, body: Value) -> String {
        let reply = self
            .post(&format!("/microservices/{service_id}/instances"), body)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json["instanceId"]
            .as_str()
            .expect("instanceId")
            .to_owned()
    }
}
