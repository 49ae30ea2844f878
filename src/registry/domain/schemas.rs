//! Schemas: the contracts a service declares, by id.

use std::collections::HashSet;

use serde::Deserialize;

use super::*;

pub const MAX_SCHEMAS: usize = 100;

/// `^[a-zA-Z0-9]{1,160}$|^[a-zA-Z0-9][a-zA-Z0-9_\-.]{0,158}[a-zA-Z0-9]$`
#[derive(Debug, Clone)]
pub struct SchemaId(String);

impl SchemaId {
    pub fn parse(s: &str) -> Result<Self> {
        if len_within(s, 1, 160) && is_name(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(field("schemaId", s))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaBody {
    schema_id: Option<String>,
    summary: Option<String>,
    schema: Option<String>,
}

/// One schema document of a service.
#[derive(Debug)]
pub struct Schema {
    pub id: SchemaId,
    pub summary: String,
    pub schema: String,
}

fn parse_summary(s: Option<String>) -> Result<String> {
    let s = s.unwrap_or_default();
    if s.chars().count() <= 128 && s.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(s)
    } else {
        Err(field("summary", &s))
    }
}

impl Schema {
    /// A schema from a `POST .../schemas` item, which names its own id.
    fn parse_item(body: SchemaBody) -> Result<Self> {
        let id = SchemaId::parse(body.schema_id.as_deref().unwrap_or(""))?;
        // Service Center requires a summary here; only the single PUT lets it be empty,
        // for clients older than summaries.
        if body.summary.as_deref().is_none_or(str::is_empty) {
            return Err(invalid(format!("schema {} needs a summary", id.as_str())));
        }
        Self::parse_for(id, body)
    }

    /// A schema from `PUT .../schemas/{schemaId}`, whose id is the path's.
    pub fn parse_for(id: SchemaId, body: SchemaBody) -> Result<Self> {
        let schema = body.schema.unwrap_or_default();
        if schema.is_empty() {
            return Err(invalid("schema must not be empty"));
        }
        Ok(Self {
            id,
            summary: parse_summary(body.summary)?,
            schema,
        })
    }

    /// The full set of a `POST .../schemas`: 1..=100 schemas with distinct ids.
    pub fn parse_set(items: Option<Vec<SchemaBody>>) -> Result<Vec<Self>> {
        let items = items.unwrap_or_default();
        if items.is_empty() || items.len() > MAX_SCHEMAS {
            return Err(invalid(format!(
                "schemas must hold 1 to {MAX_SCHEMAS} items"
            )));
        }
        let mut seen = HashSet::new();
        let mut set = Vec::with_capacity(items.len());
        for item in items {
            let schema = Self::parse_item(item)?;
            if !seen.insert(schema.id.as_str().to_owned()) {
                return Err(invalid(format!(
                    "duplicate schemaId {}",
                    schema.id.as_str()
                )));
            }
            set.push(schema);
        }
        Ok(set)
    }
}

/// `withSchema=0|1` (or true/false), absent meaning 0.
pub fn parse_with_schema(value: Option<&str>) -> Result<bool> {
    match value.unwrap_or("") {
        "" | "0" | "false" => Ok(false),
        "1" | "true" => Ok(true),
        other => Err(field("withSchema", other)),
    }
}
