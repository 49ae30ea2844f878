//! Identity rules without I/O, one file per concern: what a grant allows and how names
//! and actions parse (here), how secrets are made and checked (`secrets.rs`), and the
//! SDK-HMAC-SHA256 signature exactly as the Huawei SDK computes it (`signature.rs`).

mod secrets;
mod signature;

pub use secrets::*;
pub use signature::*;

use time::OffsetDateTime;
use time::macros::format_description;

/// The actions a caller holds: patterns such as `sms:server:*` or `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grants {
    /// The registry with `auth.registry = "off"`: like open-source Service Center, no checks.
    Everything,
    Patterns(Vec<String>),
}

impl Grants {
    pub fn allows(&self, action: &str) -> bool {
        match self {
            Grants::Everything => true,
            Grants::Patterns(patterns) => patterns
                .iter()
                .any(|p| wildmatch::WildMatch::new(p).matches(action)),
        }
    }
}

/// A name for a domain, user or project: 1–64 printable characters without spaces at the ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub fn parse(field: &str, raw: &str) -> Result<Self, String> {
        if raw.is_empty() || raw.chars().count() > 64 {
            return Err(format!("{field} must be 1 to 64 characters"));
        }
        if raw.trim() != raw || raw.chars().any(char::is_control) {
            return Err(format!(
                "{field} must not have surrounding spaces or control characters"
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An action name as granted to a user: `service:resource:verb`, `*` allowed anywhere.
pub fn parse_action(raw: &str) -> Result<String, String> {
    let ok = !raw.is_empty()
        && raw.len() <= 128
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '*' | '_' | '-' | '.'));
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(format!(
            "action {raw:?} must be 1 to 128 characters of letters, digits, ':', '*', '_', '-', '.'"
        ))
    }
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// IAM's timestamp format, e.g. `2026-11-25T09:05:22.701000Z`.
pub fn iam_time(t: OffsetDateTime) -> String {
    let fmt =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    t.format(&fmt).unwrap_or_default()
}
