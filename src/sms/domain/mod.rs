//! SMS rules: the state enums, the deletion rule, task state transitions, and the
//! validated shapes of request input, one file per resource; what they share (batch
//! ids, path ids, names, paging) stands here.

mod agent;
mod faults;
mod migprojects;
pub mod simulation;
mod sources;
mod task_settings;
mod tasks;
mod templates;

pub use agent::*;
pub use faults::*;
pub use migprojects::*;
pub use sources::*;
pub use task_settings::*;
pub use tasks::*;
pub use templates::*;

use std::collections::HashSet;

use super::error::SmsError;

/// The ids of a batch delete: 1–50 distinct, non-empty strings of at most `max_len`
/// characters, in request order with duplicates dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchIds(Vec<String>);

impl BatchIds {
    pub const MAX: usize = 50;

    /// Takes the raw JSON so that a wrong type is reported against `ids` or `ids[i]`
    /// rather than as an unparsable body.
    pub fn parse(ids: Option<serde_json::Value>, max_len: usize) -> Result<Self, SmsError> {
        let ids = match ids {
            None | Some(serde_json::Value::Null) => {
                return Err(SmsError::invalid("ids", "ids is required"));
            }
            Some(serde_json::Value::Array(items)) => items,
            Some(_) => return Err(SmsError::invalid("ids", "ids must be an array of strings")),
        };
        if ids.is_empty() || ids.len() > Self::MAX {
            return Err(SmsError::invalid(
                "ids",
                format!(
                    "ids must hold 1 to {} entries, got {}",
                    Self::MAX,
                    ids.len()
                ),
            ));
        }
        let mut seen = HashSet::new();
        let mut unique = Vec::with_capacity(ids.len());
        for (i, id) in ids.into_iter().enumerate() {
            let serde_json::Value::String(id) = id else {
                return Err(SmsError::invalid(
                    &format!("ids[{i}]"),
                    "each id must be a string",
                ));
            };
            if id.is_empty() || id.chars().count() > max_len {
                return Err(SmsError::invalid(
                    &format!("ids[{i}]"),
                    format!("each id must be 1 to {max_len} characters"),
                ));
            }
            if seen.insert(id.clone()) {
                unique.push(id);
            }
        }
        Ok(Self(unique))
    }

    /// A single id from a URL path, checked like a batch of one.
    pub fn single(id: String, max_len: usize) -> Result<Self, SmsError> {
        path_id(&id, max_len)?;
        Ok(Self(vec![id]))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// An id taken from the URL path.
pub fn path_id(raw: &str, max_len: usize) -> Result<&str, SmsError> {
    if raw.is_empty() || raw.chars().count() > max_len {
        return Err(SmsError::invalid(
            "id",
            format!("the id in the path must be 1 to {max_len} characters"),
        ));
    }
    Ok(raw)
}

/// Task ids may be up to 255 characters (DeleteTasks' limit); source ids are generated.
pub const TASK_ID_MAX: usize = 255;
pub const SOURCE_ID_MAX: usize = 255;

/// `^[\u4e00-\u9fa5a-zA-Z0-9_-]{1,max}$`: the v3 rule for project and template names.
pub(super) fn is_cjk_name(s: &str, max: usize) -> bool {
    (1..=max).contains(&s.chars().count())
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || c == '_'
                || c == '-'
                || ('\u{4e00}'..='\u{9fa5}').contains(&c)
        })
}

/// A text field of at most `max` characters, refused under the operation's `code`.
pub(super) fn at_most(
    code: &'static str,
    field: &str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, SmsError> {
    match value {
        Some(v) if v.chars().count() > max => Err(SmsError::bad(
            code,
            field,
            format!("{field} must be at most {max} characters"),
        )),
        other => Ok(other),
    }
}

/// A name as SMS accepts it: 1–255 characters, no control characters.
pub fn name(field: &str, raw: &str) -> Result<String, SmsError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 255 || trimmed.chars().any(char::is_control)
    {
        return Err(SmsError::invalid(
            field,
            format!("{field} must be 1 to 255 printable characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// Paging as the v3 lists document it: `limit` within `0..=max`, 0 or absent meaning
/// `default`; `offset` within `0..=65535`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    /// The largest offset every v3 list accepts.
    pub const OFFSET_MAX: i64 = 65535;

    pub fn parse(
        limit: Option<&str>,
        offset: Option<&str>,
        max: i64,
        default: i64,
    ) -> Result<Self, SmsError> {
        let limit = match limit {
            None | Some("") => default,
            Some(raw) => match raw.parse::<i64>().ok().filter(|l| (0..=max).contains(l)) {
                // The v3 reference: 0 asks for the default page size.
                Some(0) => default,
                Some(l) => l,
                None => {
                    return Err(SmsError::invalid(
                        "limit",
                        format!("limit must be an integer from 0 to {max}"),
                    ));
                }
            },
        };
        let offset = match offset {
            None | Some("") => 0,
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|o| (0..=Self::OFFSET_MAX).contains(o))
                .ok_or_else(|| {
                    SmsError::invalid(
                        "offset",
                        format!("offset must be an integer from 0 to {}", Self::OFFSET_MAX),
                    )
                })?,
        };
        Ok(Self { limit, offset })
    }
}
