//! The request journal: every request to the emulated APIs, written to the `journal`
//! table off the request path in batches. The one place besides lease renewals where
//! memory runs ahead of SQLite: entries wait up to `journal.flush_ms` for their batch,
//! so a crash loses at most that batch.

pub mod middleware;
pub mod store;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{Notify, oneshot};

use crate::clock::Clock;
use crate::config::JournalSettings;
use crate::db::Db;

/// One request as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Entry {
    /// The row's id (0 until written): where a page of entries resumes.
    #[serde(skip)]
    pub id: i64,
    pub at_ms: i64,
    pub request_id: String,
    pub method: String,
    pub path: String,
    pub query: String,
    /// 0 when a fault reset the connection (no answer).
    pub status: i64,
    pub latency_ms: f64,
    pub tenant: Option<String>,
    pub caller: Option<String>,
    pub body: Option<String>,
    pub fault_id: Option<String>,
}

/// Entries waiting for the writer at most; beyond, new ones are dropped and counted
/// rather than slowing requests down.
const QUEUE: usize = 65_536;

/// What requests hand to the writer. A plain vector behind a lock, taken whole by the
/// writer every `flush_ms`: recording an entry wakes no task (a channel woke the
/// writer for every request, which cost discovery a third of its throughput).
#[derive(Default)]
struct Pending {
    entries: Mutex<Vec<Entry>>,
    /// Callers of [`Journal::flush`] waiting for the next write.
    waiting: Mutex<Vec<oneshot::Sender<()>>>,
    wake: Notify,
}

/// The handle requests record through; cheap to clone.
#[derive(Clone)]
pub struct Journal {
    pending: Option<Arc<Pending>>,
    clock: Clock,
    settings: JournalSettings,
    dropped: Arc<AtomicU64>,
}

impl Journal {
    /// Starts the writer (when the journal is on).
    pub fn start(db: Db, clock: Clock, settings: JournalSettings) -> Self {
        let pending = settings.enabled.then(|| {
            let pending = Arc::new(Pending::default());
            tokio::spawn(write_batches(db, pending.clone(), settings.clone()));
            pending
        });
        Journal {
            pending,
            clock,
            settings,
            dropped: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn enabled(&self) -> bool {
        self.pending.is_some()
    }

    /// Entries are dated on the simulated clock, like everything the twin stores.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn settings(&self) -> &JournalSettings {
        &self.settings
    }

    /// Queues an entry; never waits.
    pub fn record(&self, entry: Entry) {
        let Some(pending) = &self.pending else {
            return;
        };
        let mut entries = pending
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if entries.len() < QUEUE {
            entries.push(entry);
            return;
        }
        drop(entries);
        let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
        if dropped.is_power_of_two() {
            tracing::warn!(dropped, "journal queue full: entries dropped");
        }
    }

    /// Writes every queued entry now (before a clean stop, and before a read that must
    /// see the latest requests).
    pub async fn flush(&self) {
        if let Some(pending) = &self.pending {
            let (done, wait) = oneshot::channel();
            pending
                .waiting
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(done);
            pending.wake.notify_one();
            let _ = wait.await;
        }
    }
}

/// The writer: every `flush_ms` (or at once when asked to flush) takes what requests
/// queued, writes it in one transaction and drops the oldest beyond `max_rows`. Ends
/// when every handle is gone.
async fn write_batches(db: Db, pending: Arc<Pending>, settings: JournalSettings) {
    let interval = Duration::from_millis(settings.flush_ms);
    loop {
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = pending.wake.notified() => {}
        }
        let last = Arc::strong_count(&pending) == 1;
        // Waiters first: whatever they queued before asking is in the batch taken next.
        let waiting = std::mem::take(
            &mut *pending
                .waiting
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let entries = std::mem::take(
            &mut *pending
                .entries
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        if !entries.is_empty() && !db.is_closed() {
            let (max_rows, count) = (settings.max_rows, entries.len());
            let written = db
                .write(async move |conn| store::append(conn, entries, max_rows).await)
                .await;
            if let Err(e) = written {
                tracing::warn!(error = %e, lost = count, "journal batch not written");
            }
        }
        for done in waiting {
            let _ = done.send(());
        }
        if last {
            return;
        }
    }
}

/// A key naming one of these (in any case), or exactly `sk`, names a secret.
const SECRET_WORDS: [&str; 6] = [
    "password",
    "secret",
    "token",
    "passphrase",
    "private",
    "credential",
];

/// Keys whose values never reach the journal.
fn secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|word| key.contains(word)) || key == "sk"
}

/// Whether a JSON text might have a secret-named key, by a scan of its text that errs
/// towards yes: any of the words anywhere, a quoted `sk`, or any `\u` escape (which
/// could spell one). Most bodies have none, and for them the scan replaces a parse into
/// a `serde_json::Value` and a rewrite (7 % of a registration's CPU).
fn may_name_a_secret(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|word| lower.contains(word))
        || lower.contains("\"sk\"")
        || lower.contains("\\u")
}

fn redact_value(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(fields) => {
            for (key, v) in fields.iter_mut() {
                if secret_key(key) && !v.is_object() && !v.is_array() {
                    *v = serde_json::Value::String("***".into());
                } else {
                    redact_value(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_value),
        _ => {}
    }
}

/// A request body as the journal keeps it: JSON as sent (without surrounding
/// whitespace) when nothing in it could be a secret, else rewritten compact with every
/// secret-named value replaced by `***`; cut to `max` bytes. Anything else is kept only
/// by its size (it cannot be redacted).
pub fn body(raw: &[u8], total: usize, max: usize) -> Option<String> {
    if total == 0 {
        return None;
    }
    let as_sent = std::str::from_utf8(raw)
        .map(str::trim)
        .ok()
        .filter(|text| !may_name_a_secret(text))
        .filter(|text| serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok());
    let text = match as_sent {
        Some(text) => text.to_owned(),
        None => match serde_json::from_slice::<serde_json::Value>(raw) {
            Ok(mut v) => {
                redact_value(&mut v);
                v.to_string()
            }
            Err(_) if total > raw.len() => {
                format!("({total} bytes; longer than the journal keeps)")
            }
            Err(_) => format!("({total} bytes, not JSON)"),
        },
    };
    if text.len() <= max {
        return Some(text);
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    Some(format!("{}…", &text[..cut]))
}

/// A query string with secret-named parameters replaced by `***`: as sent when none
/// could be (no secret word and no `%` escape, which could spell one), else re-encoded.
pub fn query(raw: &str) -> String {
    if !raw.contains('%') && !may_name_a_secret(raw) {
        return raw.to_owned();
    }
    let pairs = form_urlencoded::parse(raw.as_bytes()).map(|(k, v)| {
        let v = if secret_key(&k) { "***".into() } else { v };
        (k, v)
    });
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_reach_the_journal() {
        let login = br#"{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"demo","password":"demo-password"}}}}}"#;
        let kept = body(login, login.len(), 65_536).expect("kept");
        assert!(!kept.contains("demo-password"), "{kept}");
        assert!(kept.contains("\"name\":\"demo\""), "{kept}");
        let key = br#"{"access":"AK1","secret":"SK1","x":[{"token":"t"}]}"#;
        let kept = body(key, key.len(), 65_536).expect("kept");
        assert!(!kept.contains("SK1") && !kept.contains("\"t\""), "{kept}");
        assert!(kept.contains("AK1"));
        assert_eq!(query("limit=1&token=abc"), "limit=1&token=***");
        assert_eq!(query("TOKEN=abc&sk=1"), "TOKEN=***&sk=***");
        assert_eq!(query("%74oken=abc"), "token=***");
        assert_eq!(query("appId=a&serviceName=b"), "appId=a&serviceName=b");
        assert_eq!(
            body(b"hello", 5, 100).as_deref(),
            Some("(5 bytes, not JSON)")
        );
        // Nothing to redact: kept as sent, key order and inner spacing included.
        let plain = b" {\"z\": 1, \"a\":[\"task\"]}\n";
        assert_eq!(
            body(plain, plain.len(), 100).as_deref(),
            Some("{\"z\": 1, \"a\":[\"task\"]}")
        );
        // An escape could spell a secret's key: such a body is parsed and redacted.
        for spelled in [&br#"{"pass\u0077ord":"pw1"}"#[..], br#"{"Sk":"pw1"}"#] {
            let kept = body(spelled, spelled.len(), 100).expect("kept");
            assert!(!kept.contains("pw1"), "{kept}");
        }
        let long = format!("{{\"a\":\"{}\"}}", "é".repeat(100));
        assert!(body(long.as_bytes(), long.len(), 51).expect("kept").len() <= 51 + "…".len());
    }
}
