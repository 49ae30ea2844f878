//! Semantic versions and the version rules of discovery.

use std::cmp::Ordering;

use super::*;

/// A version of up to four numeric segments, each 0..=32767, ordered numerically with
/// missing segments read as zero (so `1.0` and `1.0.0` are the same version).
#[derive(Debug, Clone)]
pub struct Version {
    text: String,
    segments: [u16; 4],
}

impl Version {
    pub fn parse(s: &str) -> Result<Self> {
        let mut segments = [0u16; 4];
        let parts: Vec<&str> = s.split('.').collect();
        if s.is_empty() || s.len() > 64 || parts.len() > 4 {
            return Err(field("version", s));
        }
        for (slot, part) in segments.iter_mut().zip(&parts) {
            if part.is_empty() || !part.chars().all(|c| c.is_ascii_digit()) {
                return Err(field("version", s));
            }
            *slot = part
                .parse::<u16>()
                .ok()
                .filter(|n| *n <= 32767)
                .ok_or_else(|| field("version", s))?;
        }
        Ok(Self {
            text: s.to_owned(),
            segments,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.segments == other.segments
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.segments.cmp(&other.segments)
    }
}

/// Which provider versions a discovery asks for. Service Center 1.x syntax; HEAD
/// ignores the parameter, but clients still send it and the rules are useful.
#[derive(Debug, Clone)]
pub enum VersionRule {
    All,
    Latest,
    AtLeast(Version),
    /// `start-end`: start included, end excluded, as Service Center 1.x did.
    Range(Version, Version),
    Exact(Version),
}

impl VersionRule {
    pub fn parse(s: Option<&str>) -> Result<Self> {
        let s = s.unwrap_or("");
        if s.trim().is_empty() {
            return Ok(Self::All);
        }
        if s == "latest" {
            return Ok(Self::Latest);
        }
        // An unencoded `+` in a query string arrives as a space (`version=1.0.0+`).
        if let Some(start) = s.strip_suffix('+').or_else(|| s.strip_suffix(' ')) {
            return Ok(Self::AtLeast(Version::parse(start)?));
        }
        if let Some((start, end)) = s.split_once('-') {
            let (start, end) = (Version::parse(start)?, Version::parse(end)?);
            if start > end {
                return Err(field("version", s));
            }
            return Ok(Self::Range(start, end));
        }
        Ok(Self::Exact(Version::parse(s)?))
    }

    /// Keeps the items whose version the rule selects.
    pub fn select<T>(&self, items: Vec<T>, version_of: impl Fn(&T) -> Option<Version>) -> Vec<T> {
        let latest = match self {
            Self::Latest => items.iter().filter_map(&version_of).max(),
            _ => None,
        };
        items
            .into_iter()
            .filter(|item| {
                let Some(v) = version_of(item) else {
                    return matches!(self, Self::All);
                };
                match self {
                    Self::All => true,
                    Self::Latest => latest.as_ref() == Some(&v),
                    Self::AtLeast(start) => v >= *start,
                    Self::Range(start, end) => v >= *start && v < *end,
                    Self::Exact(want) => v == *want,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn versions_compare_by_number_not_text() {
        assert!(v("1.10.0") > v("1.9.0"));
        assert_eq!(v("1.0"), v("1.0.0"));
        for bad in ["", "1.", "1.a.0", "1.32768.0", "1.1.0.0.0", "-1"] {
            assert!(Version::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn version_rules_select() {
        let all = vec!["1.0.0", "1.5.0", "2.0.0", "2.1"];
        let pick = |rule: &str| {
            VersionRule::parse(Some(rule))
                .unwrap()
                .select(all.clone(), |s| Version::parse(s).ok())
        };
        assert_eq!(pick("latest"), vec!["2.1"]);
        assert_eq!(pick("1.5.0+"), vec!["1.5.0", "2.0.0", "2.1"]);
        assert_eq!(pick("1.0.0-2.0.0"), vec!["1.0.0", "1.5.0"]);
        assert_eq!(pick("2.0"), vec!["2.0.0"]);
        assert_eq!(pick(""), all);
        assert!(VersionRule::parse(Some("2.0.0-1.0.0")).is_err());
    }
}
