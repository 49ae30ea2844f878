//! The HTTP client under every per-API client: a base URL, one credential (an IAM
//! token, an AK/SK signature or the admin token), fixed extra headers, JSON bodies.

use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder};
use serde_json::Value;

use super::internals;

/// How a request proves who sends it.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    /// An IAM token in `X-Auth-Token`.
    Token(String),
    /// Signed the way the Huawei SDK does (SDK-HMAC-SHA256 over content-type, host and
    /// x-sdk-date) with this access key and secret.
    Key {
        access: String,
        secret: String,
    },
    /// `X-Admin-Token`, for `/_cloudtwin/*`.
    Admin(String),
}

/// One server, one credential.
#[derive(Debug, Clone)]
pub struct Client {
    pub http: reqwest::Client,
    /// `http://host:port`, no trailing slash.
    pub base: String,
    auth: Auth,
    headers: Vec<(String, String)>,
}

/// An answer: status, body text, body JSON (`Null` when the body is empty or not
/// JSON) and headers.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub text: String,
    pub json: Value,
    pub headers: HeaderMap,
    /// "METHOD path", for messages.
    pub request: String,
}

impl Reply {
    /// The status and the body, which must be JSON.
    #[track_caller]
    pub fn parts(self) -> (u16, Value) {
        let json = serde_json::from_str(&self.text).unwrap_or_else(|_| {
            panic!(
                "{}: JSON body expected, got {} {:?}",
                self.request, self.status, self.text
            )
        });
        (self.status, json)
    }
}

impl Client {
    pub fn new(http: reqwest::Client, base: impl Into<String>) -> Self {
        Self {
            http,
            base: base.into(),
            auth: Auth::None,
            headers: Vec::new(),
        }
    }

    /// The same server with another credential.
    pub fn with_auth(&self, auth: Auth) -> Self {
        Self {
            auth,
            ..self.clone()
        }
    }

    pub fn with_token(&self, token: &str) -> Self {
        self.with_auth(Auth::Token(token.to_owned()))
    }

    pub fn with_key(&self, access: &str, secret: &str) -> Self {
        self.with_auth(Auth::Key {
            access: access.to_owned(),
            secret: secret.to_owned(),
        })
    }

    /// The same client sending one more header on every request.
    pub fn with_header(&self, name: &str, value: &str) -> Self {
        let mut client = self.clone();
        client.headers.push((name.to_owned(), value.to_owned()));
        client
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request carrying this client's credential and headers, to send as it is or to
    /// finish by hand (a timeout, a tampered copy). A signed request signs `body`.
    pub fn request(&self, method: Method, path: &str, body: Option<&Value>) -> RequestBuilder {
        let mut req = match &self.auth {
            Auth::Key { access, secret } => {
                let bytes = body
                    .map(|b| serde_json::to_vec(b).expect("serialize body"))
                    .unwrap_or_default();
                self.signed(access, secret, method, path, &bytes)
            }
            auth => {
                let mut req = self.http.request(method, self.url(path));
                match auth {
                    Auth::Token(token) => req = req.header("X-Auth-Token", token),
                    Auth::Admin(token) => req = req.header("X-Admin-Token", token),
                    Auth::None | Auth::Key { .. } => {}
                }
                if let Some(body) = body {
                    req = req.json(body);
                }
                req
            }
        };
        for (name, value) in &self.headers {
            req = req.header(name, value);
        }
        req
    }

    /// A request signed with `access`/`secret` over exactly these body bytes.
    pub fn signed(
        &self,
        access: &str,
        secret: &str,
        method: Method,
        path_and_query: &str,
        body: &[u8],
    ) -> RequestBuilder {
        let date = time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!(
                "[year][month][day]T[hour][minute][second]Z"
            ))
            .expect("format date");
        let host = self
            .base
            .split_once("://")
            .map_or(self.base.as_str(), |(_, host)| host)
            .to_owned();
        let signature = internals::sign(
            secret,
            method.as_str(),
            path_and_query,
            vec![
                ("content-type", Some("application/json".into())),
                ("host", Some(host.clone())),
                ("x-sdk-date", Some(date.clone())),
            ],
            &date,
            body,
        );
        self.http
            .request(method, self.url(path_and_query))
            .header("Content-Type", "application/json")
            .header("Host", host)
            .header("X-Sdk-Date", date)
            .header(
                "Authorization",
                format!(
                    "SDK-HMAC-SHA256 Access={access}, SignedHeaders=content-type;host;x-sdk-date, Signature={signature}"
                ),
            )
            .body(body.to_vec())
    }

    /// Sends a request with extra headers for this one request.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Reply {
        let request = format!("{method} {path}");
        let mut req = self.request(method, path, body);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let res = req.send().await.expect("the server answers");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body is read");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            text,
            json,
            headers,
            request,
        }
    }

    /// Status and JSON body (which must be JSON).
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.send(method, path, &[], body.as_ref()).await.parts()
    }
}

/// An HTTP client whose requests give up after 30 s, for a server that may die or
/// stall under load.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("http client")
}
