//! Tags: free key/value labels on a service.

use std::collections::{BTreeMap, HashSet};

use super::*;

pub const MAX_TAGS: usize = 100;

/// `^[a-zA-Z][a-zA-Z0-9_\-.]{0,63}$`, for tag keys and values alike.
fn is_tag_word(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars().count() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

pub fn parse_tag_key(key: &str) -> Result<String> {
    if is_tag_word(key) {
        Ok(key.to_owned())
    } else {
        Err(field("tag key", key))
    }
}

pub fn parse_tag_value(value: &str) -> Result<String> {
    if is_tag_word(value) {
        Ok(value.to_owned())
    } else {
        Err(field("tag value", value))
    }
}

pub fn parse_tags(tags: Option<BTreeMap<String, String>>) -> Result<BTreeMap<String, String>> {
    let tags = tags.unwrap_or_default();
    if tags.len() > MAX_TAGS {
        return Err(invalid(format!("more than {MAX_TAGS} tags")));
    }
    for (k, v) in &tags {
        parse_tag_key(k)?;
        parse_tag_value(v)?;
    }
    Ok(tags)
}

/// The keys of `DELETE .../tags/{k1,k2}`.
pub fn parse_tag_keys(keys: &str) -> Result<Vec<String>> {
    let mut seen = HashSet::new();
    keys.split(',')
        .filter(|k| seen.insert(*k))
        .map(parse_tag_key)
        .collect()
}
