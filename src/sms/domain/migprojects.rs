//! Migration projects: named sets of defaults (region, type, speed limit…) that source
//! servers belong to. Limits and codes from the v3 API reference (SMS.7303 for a bad
//! field, SMS.6012 for an empty body).

use serde::Deserialize;

use super::*;

/// The fields a create (`PostMigProjectBody`) or an update (`MigProject`) may carry.
#[derive(Debug, Default, Deserialize)]
pub struct MigProjectBody {
    pub name: Option<String>,
    pub description: Option<String>,
    pub isdefault: Option<bool>,
    pub region: Option<String>,
    pub start_target_server: Option<bool>,
    pub speed_limit: Option<i64>,
    pub use_public_ip: Option<bool>,
    pub exist_server: Option<bool>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub enterprise_project: Option<String>,
    pub syncing: Option<bool>,
    pub start_network_check: Option<bool>,
}

/// A checked set of changes; `None` leaves a field as it is (or at its default on create).
#[derive(Debug, Default, Clone)]
pub struct MigProjectFields {
    pub name: Option<String>,
    pub description: Option<String>,
    pub isdefault: Option<bool>,
    pub region: Option<String>,
    pub start_target_server: Option<bool>,
    pub speed_limit: Option<i64>,
    pub use_public_ip: Option<bool>,
    pub exist_server: Option<bool>,
    pub kind: Option<TaskType>,
    pub enterprise_project: Option<String>,
    pub syncing: Option<bool>,
    pub start_network_check: Option<bool>,
}

const INVALID: &str = "SMS.7303";
/// Mbit/s; 0 means unlimited.
pub const MIGPROJECT_SPEED_MAX: i64 = 1000;

impl MigProjectFields {
    /// An update: every field optional, each checked when given.
    pub fn parse(body: Option<MigProjectBody>) -> Result<Self, SmsError> {
        let body =
            body.ok_or_else(|| SmsError::bad("SMS.6012", "body", "the request body is empty"))?;
        if let Some(name) = &body.name
            && !is_cjk_name(name, 100)
        {
            return Err(SmsError::bad(
                INVALID,
                "name",
                "name must be 1 to 100 letters, digits, CJK characters, '_' or '-'",
            ));
        }
        if let Some(speed) = body.speed_limit
            && !(0..=MIGPROJECT_SPEED_MAX).contains(&speed)
        {
            return Err(SmsError::bad(
                INVALID,
                "speed_limit",
                format!("speed_limit must be 0 (unlimited) to {MIGPROJECT_SPEED_MAX} Mbit/s"),
            ));
        }
        let kind = body
            .kind
            .as_deref()
            .map(|k| {
                TaskType::from_text(k).ok_or_else(|| {
                    SmsError::bad(
                        INVALID,
                        "type",
                        "type must be MIGRATE_BLOCK or MIGRATE_FILE",
                    )
                })
            })
            .transpose()?;
        Ok(Self {
            name: body.name,
            description: at_most(INVALID, "description", body.description, 255)?,
            isdefault: body.isdefault,
            region: at_most(INVALID, "region", body.region, 255)?,
            start_target_server: body.start_target_server,
            speed_limit: body.speed_limit,
            use_public_ip: body.use_public_ip,
            exist_server: body.exist_server,
            kind,
            enterprise_project: at_most(
                INVALID,
                "enterprise_project",
                body.enterprise_project,
                255,
            )?,
            syncing: body.syncing,
            start_network_check: body.start_network_check,
        })
    }

    /// A create: `name`, `region` and `type` are required.
    pub fn parse_new(body: Option<MigProjectBody>) -> Result<Self, SmsError> {
        let fields = Self::parse(body)?;
        for (field, given) in [
            ("name", fields.name.is_some()),
            ("region", fields.region.is_some()),
            ("type", fields.kind.is_some()),
        ] {
            if !given {
                return Err(SmsError::bad(
                    INVALID,
                    field,
                    format!("{field} is required"),
                ));
            }
        }
        Ok(fields)
    }
}

/// The name of the default migration project cloudtwin creates on first need, as the
/// real service's examples show a system-created project.
pub const DEFAULT_MIGPROJECT_NAME: &str = "SystemProject";
