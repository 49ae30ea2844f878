//! SMS rules: the state enums, the deletion rule, task state transitions, and the
//! validated shapes of request input, one file per resource; what they share (batch
//! ids, path ids, names, paging) stands here.

mod sources;
mod tasks;

pub use sources::*;
pub use tasks::*;

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

/// Paging: `limit` within `1..=max` (default `default`), `offset >= 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    pub fn parse(
        limit: Option<&str>,
        offset: Option<&str>,
        max: i64,
        default: i64,
    ) -> Result<Self, SmsError> {
        let limit = match limit {
            None | Some("") => default,
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|l| (1..=max).contains(l))
                .ok_or_else(|| {
                    SmsError::invalid("limit", format!("limit must be an integer from 1 to {max}"))
                })?,
        };
        let offset = match offset {
            None | Some("") => 0,
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|o| (0..=i64::from(i32::MAX)).contains(o))
                .ok_or_else(|| {
                    SmsError::invalid("offset", "offset must be a non-negative integer")
                })?,
        };
        Ok(Self { limit, offset })
    }
}
