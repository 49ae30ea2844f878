//! HTTP fault rules (`/_cloudtwin/faults`): answers of the emulated APIs that tests make
//! go wrong on purpose — an error in the API's own format, a delay, a connection reset —
//! before the handler runs or after it has committed. The rules live in the database;
//! the list here is a cache of it, changed only after a commit and loaded at start. The
//! middleware that fires them is `edge::faults`.

pub mod store;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use wildmatch::WildMatch;

use crate::db::Db;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Answer with an error (the API's own body, or the rule's raw `body`).
    Respond,
    /// Wait `latency_ms`, then answer as the handler does.
    Delay,
    /// Close the connection without an answer.
    Reset,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum When {
    /// The handler does not run: nothing changes.
    Before,
    /// The handler runs and commits; then the client gets the fault.
    After,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderMatch {
    pub name: String,
    pub value: String,
}

/// A rule as `POST /_cloudtwin/faults` and fixtures take it (and exports write it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_msg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<HeaderMatch>,
}

/// A checked rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub method: Option<String>,
    pub path: String,
    pub status: Option<u16>,
    pub error_code: Option<String>,
    pub error_msg: Option<String>,
    /// A raw answer body instead of the API's error body (`respond`).
    pub body: Option<String>,
    pub latency_ms: u64,
    pub times: Option<i64>,
    pub probability: f64,
    pub when: When,
    pub action: Action,
    pub tenant: Option<String>,
    pub header: Option<HeaderMatch>,
}

/// A refused rule: the field at fault and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {why}")]
pub struct BadRule {
    pub field: &'static str,
    pub why: String,
}

fn bad(field: &'static str, why: impl Into<String>) -> BadRule {
    BadRule {
        field,
        why: why.into(),
    }
}

/// The longest delay a rule may add: long enough for any client timeout test.
pub const MAX_LATENCY_MS: u64 = 300_000;

impl Rule {
    pub fn parse(b: RuleBody) -> Result<Self, BadRule> {
        let action = match b.action.as_deref().unwrap_or("respond") {
            "respond" => Action::Respond,
            "delay" => Action::Delay,
            "reset" => Action::Reset,
            other => {
                return Err(bad(
                    "action",
                    format!("{other:?} is not respond, delay or reset"),
                ));
            }
        };
        let when = match b.when.as_deref().unwrap_or("before") {
            "before" => When::Before,
            "after" => When::After,
            other => return Err(bad("when", format!("{other:?} is not before or after"))),
        };
        let path = b.path.ok_or_else(|| bad("path", "is required"))?;
        pattern(&path)?;
        let method = b
            .method
            .map(|m| {
                let m = m.trim().to_ascii_uppercase();
                if !m.is_empty() && m.len() <= 16 && m.bytes().all(|c| c.is_ascii_uppercase()) {
                    Ok(m)
                } else {
                    Err(bad("method", "must be an HTTP method such as GET or POST"))
                }
            })
            .transpose()?;
        if action == Action::Respond && !b.status.is_some_and(|s| (400..=599).contains(&s)) {
            return Err(bad("status", "respond needs a status from 400 to 599"));
        }
        let latency_ms = b.latency_ms.unwrap_or(0);
        if latency_ms > MAX_LATENCY_MS {
            return Err(bad("latency_ms", format!("must be 0 to {MAX_LATENCY_MS}")));
        }
        if action == Action::Delay && latency_ms == 0 {
            return Err(bad("latency_ms", "delay needs a latency_ms above 0"));
        }
        if b.times.is_some_and(|t| t < 1) {
            return Err(bad(
                "times",
                "must be at least 1 (leave it out for every match)",
            ));
        }
        let probability = b.probability.unwrap_or(1.0);
        if !(0.0..=1.0).contains(&probability) {
            return Err(bad("probability", "must be from 0 to 1"));
        }
        let short = |field: &'static str, v: Option<String>, max: usize| match v {
            Some(v) if v.chars().count() > max => {
                Err(bad(field, format!("at most {max} characters")))
            }
            other => Ok(other),
        };
        let body = b.body.map(|v| match v {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        });
        Ok(Rule {
            method,
            path,
            status: b.status.filter(|_| action == Action::Respond),
            error_code: short("error_code", b.error_code, 64)?,
            error_msg: short("error_msg", b.error_msg, 1024)?,
            body: short("body", body, 65_536)?,
            latency_ms,
            times: b.times,
            probability,
            when,
            action,
            tenant: short("tenant", b.tenant, 255)?,
            header: b.header,
        })
    }

    /// Whether a request is this rule's: method, path, tenant and header all match.
    fn matches(&self, m: &Matcher, req: &RequestFacts<'_>) -> bool {
        self.method.as_deref().is_none_or(|x| x == req.method)
            && m.path.matches(req.path)
            && self.tenant.as_deref().is_none_or(|t| Some(t) == req.tenant)
            && self
                .header
                .as_ref()
                .is_none_or(|h| req.header(&h.name).is_some_and(|v| v == h.value))
    }

    /// What the rule answers with when it does not give a message.
    pub fn message(&self) -> String {
        self.error_msg
            .clone()
            .unwrap_or_else(|| "fault injected by cloudtwin".to_owned())
    }
}

/// The path pattern: `*` matches any run of characters (slashes too), `{name}` one route
/// parameter (read as `*`); it must name a path of the emulated APIs.
fn pattern(path: &str) -> Result<WildMatch, BadRule> {
    if !(path.starts_with("/v3") || path.starts_with("/v4")) {
        return Err(bad(
            "path",
            "must start with /v3 or /v4: faults go to the emulated APIs only",
        ));
    }
    if path.len() > 512 || path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("path", "at most 512 characters, without spaces"));
    }
    let mut glob = String::with_capacity(path.len());
    let mut open = false;
    for c in path.chars() {
        match (c, open) {
            ('{', false) => open = true,
            ('}', true) => {
                open = false;
                glob.push('*');
            }
            ('{' | '}', _) => return Err(bad("path", "a { without its } (or the other way)")),
            (_, true) => {}
            (c, false) => glob.push(c),
        }
    }
    if open {
        return Err(bad("path", "a { without its }"));
    }
    Ok(WildMatch::new(&glob))
}

struct Matcher {
    path: WildMatch,
}

/// What a rule looks at in a request.
pub struct RequestFacts<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// The project of a `/v4/{project_id}/…` path.
    pub tenant: Option<&'a str>,
    pub headers: &'a actix_web::http::header::HeaderMap,
}

impl RequestFacts<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A rule in the cache, with its match count and its own seeded generator.
pub struct Live {
    pub id: String,
    pub rule: Rule,
    matcher: Matcher,
    fired: AtomicI64,
    rng: Mutex<StdRng>,
}

impl Live {
    pub fn fired(&self) -> i64 {
        self.fired.load(Ordering::Relaxed)
    }
}

/// The rules, in the order they were added (the first that fires wins).
#[derive(Clone)]
pub struct HttpFaults {
    db: Db,
    seed: u64,
    rules: Arc<RwLock<Arc<Vec<Arc<Live>>>>>,
}

impl HttpFaults {
    /// Loads the rules from the database.
    pub async fn load(db: &Db, seed: u64) -> Result<Self, sqlx::Error> {
        let faults = HttpFaults {
            db: db.clone(),
            seed,
            rules: Arc::new(RwLock::new(Arc::new(Vec::new()))),
        };
        faults.reload().await?;
        Ok(faults)
    }

    /// Rebuilds the cache from the database (after a change was committed).
    pub async fn reload(&self) -> Result<(), sqlx::Error> {
        let rows = store::rules(&mut *self.db.read().await?).await?;
        let live: Vec<Arc<Live>> = rows
            .into_iter()
            .filter_map(|row| {
                let rule: Rule = serde_json::from_str(&row.spec)
                    .inspect_err(|e| tracing::warn!(id = %row.id, error = %e, "unreadable fault rule skipped"))
                    .ok()?;
                let matcher = Matcher {
                    path: pattern(&rule.path).ok()?,
                };
                Some(Arc::new(Live {
                    rng: Mutex::new(StdRng::seed_from_u64(self.seed ^ fingerprint(&row.spec))),
                    id: row.id,
                    rule,
                    matcher,
                    fired: AtomicI64::new(row.fired),
                }))
            })
            .collect();
        *self.rules.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(live);
        Ok(())
    }

    pub fn list(&self) -> Arc<Vec<Arc<Live>>> {
        self.rules
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The rule that fires on this request, if any: the first whose match it is, that
    /// has firings left (the database decides, so `times` holds across workers and
    /// restarts) and whose draw comes up.
    pub async fn fire(&self, req: &RequestFacts<'_>) -> Result<Option<Arc<Live>>, sqlx::Error> {
        let rules = self.list();
        for live in rules.iter() {
            if !live.rule.matches(&live.matcher, req) {
                continue;
            }
            if live.rule.times.is_some_and(|t| live.fired() >= t) {
                continue;
            }
            if live.rule.probability < 1.0 {
                let draw: f64 = live
                    .rng
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .r#gen();
                if draw >= live.rule.probability {
                    continue;
                }
            }
            let fired = self
                .db
                .write(async |conn| store::count_firing(conn, &live.id).await)
                .await?;
            match fired {
                Some(n) => {
                    live.fired.store(n, Ordering::Relaxed);
                    return Ok(Some(live.clone()));
                }
                // Used up (another worker took the last firing) or removed meanwhile.
                None => continue,
            }
        }
        Ok(None)
    }

    pub fn is_empty(&self) -> bool {
        self.list().is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RulesFileError {
    #[error("cannot read {0}: {1}")]
    Read(std::path::PathBuf, std::io::Error),
    #[error("{0}: not a YAML or JSON list of fault rules: {1}")]
    Parse(std::path::PathBuf, String),
    #[error("{0}: rule {1}: {2}")]
    Bad(std::path::PathBuf, usize, BadRule),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// `serve --faults FILE`: the file's rules (a YAML or JSON list of rule bodies) replace
/// the database's, all or nothing; how many there are.
pub async fn replace_from_file(
    faults: &HttpFaults,
    db: &Db,
    file: &std::path::Path,
    now: i64,
) -> Result<usize, RulesFileError> {
    let text =
        std::fs::read_to_string(file).map_err(|e| RulesFileError::Read(file.to_owned(), e))?;
    let bodies: Vec<RuleBody> = serde_norway::from_str(&text)
        .map_err(|e| RulesFileError::Parse(file.to_owned(), e.to_string()))?;
    let mut rules = Vec::with_capacity(bodies.len());
    for (n, body) in bodies.into_iter().enumerate() {
        let rule = Rule::parse(body).map_err(|e| RulesFileError::Bad(file.to_owned(), n + 1, e))?;
        let spec = serde_json::to_string(&rule)
            .map_err(|e| RulesFileError::Parse(file.to_owned(), e.to_string()))?;
        rules.push((new_id(), spec, rule.times));
    }
    db.write(async |conn| {
        store::remove(&mut *conn, None).await?;
        for (id, spec, times) in &rules {
            store::insert(&mut *conn, id, spec, *times, now).await?;
        }
        Ok::<_, sqlx::Error>(())
    })
    .await?;
    faults.reload().await?;
    Ok(rules.len())
}

/// A short id for a new rule.
pub fn new_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("fault-{}", &id[..12])
}

/// A stable number from a rule's text, so that the same rule draws the same sequence
/// under the same seed.
fn fingerprint(spec: &str) -> u64 {
    let digest = Sha256::digest(spec.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: serde_json::Value) -> RuleBody {
        serde_json::from_value(v).expect("a rule body")
    }

    #[test]
    fn bad_rules_name_their_field() {
        let field = |v| Rule::parse(body(v)).expect_err("refused").field;
        assert_eq!(
            field(serde_json::json!({"path": "/v3/x", "action": "explode", "status": 500})),
            "action"
        );
        assert_eq!(
            field(serde_json::json!({"path": "/v3/x", "status": 302})),
            "status"
        );
        assert_eq!(
            field(serde_json::json!({"path": "/v3/x", "status": 500, "probability": 1.5})),
            "probability"
        );
        assert_eq!(
            field(serde_json::json!({"path": "/v3/{id", "status": 500})),
            "path"
        );
        assert_eq!(
            field(serde_json::json!({"path": "/_cloudtwin/reset", "status": 500})),
            "path"
        );
        assert_eq!(
            field(serde_json::json!({"path": "/v3/x", "action": "delay"})),
            "latency_ms"
        );
        assert_eq!(
            field(serde_json::json!({"path": "/v3/x", "status": 500, "times": 0})),
            "times"
        );
    }

    #[test]
    fn templates_and_globs_match_paths() {
        let m = |p: &str| pattern(p).expect("a pattern");
        assert!(
            m("/v4/*/registry/microservices/*/instances")
                .matches("/v4/default/registry/microservices/abc/instances")
        );
        assert!(
            m("/v4/{project_id}/registry/microservices").matches("/v4/p1/registry/microservices")
        );
        assert!(!m("/v3/tasks/delete").matches("/v3/tasks/deleted"));
    }
}
