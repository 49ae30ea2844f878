//! Target-server templates: the ECS settings (flavor, network, disks…) a task creates its
//! target from. Nested objects are kept as the client sent them, once their shape and
//! limits are checked.

use serde::{Deserialize, Serialize};

use super::*;

const INVALID: &str = "SMS.6011";

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct VpcObject {
    pub id: Option<String>,
    pub name: Option<String>,
    pub cidr: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct Nic {
    pub id: Option<String>,
    pub name: Option<String>,
    pub cidr: Option<String>,
    pub ip: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct SgObject {
    pub id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct PublicIp {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub bandwidth_size: Option<i64>,
    pub bandwidth_share_type: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct TemplateDisk {
    pub id: Option<i64>,
    pub index: Option<i64>,
    pub name: Option<String>,
    pub disktype: Option<String>,
    /// GB
    pub size: Option<i64>,
    pub device_use: Option<String>,
}

/// `TemplateRequest`, as create and update send it inside `{"template": …}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TemplateBody {
    pub name: Option<String>,
    pub is_template: Option<bool>,
    pub region: Option<String>,
    pub projectid: Option<String>,
    pub target_server_name: Option<String>,
    pub availability_zone: Option<String>,
    pub volumetype: Option<String>,
    pub flavor: Option<String>,
    pub vpc: Option<VpcObject>,
    pub nics: Option<Vec<Nic>>,
    pub security_groups: Option<Vec<SgObject>>,
    pub publicip: Option<PublicIp>,
    pub disk: Option<Vec<TemplateDisk>>,
    pub data_volume_type: Option<String>,
    pub target_password: Option<String>,
    pub image_id: Option<String>,
}

/// A checked template; `None` leaves a field as it is on update (empty on create).
#[derive(Debug, Clone, Default)]
pub struct TemplateFields {
    pub name: Option<String>,
    pub is_template: Option<bool>,
    pub region: Option<String>,
    pub projectid: Option<String>,
    pub target_server_name: Option<String>,
    pub availability_zone: Option<String>,
    pub volumetype: Option<String>,
    pub flavor: Option<String>,
    pub vpc: Option<VpcObject>,
    pub nics: Option<Vec<Nic>>,
    pub security_groups: Option<Vec<SgObject>>,
    pub publicip: Option<PublicIp>,
    pub disk: Option<Vec<TemplateDisk>>,
    pub data_volume_type: Option<String>,
    pub target_password: Option<String>,
    pub image_id: Option<String>,
}

impl TemplateFields {
    /// An update: every field optional, each checked when given.
    pub fn parse(body: Option<TemplateBody>) -> Result<Self, SmsError> {
        let b =
            body.ok_or_else(|| SmsError::bad("SMS.6012", "template", "template is required"))?;
        if let Some(name) = &b.name
            && !is_cjk_name(name, 64)
        {
            return Err(SmsError::bad(
                INVALID,
                "template.name",
                "name must be 1 to 64 letters, digits, CJK characters, '_' or '-'",
            ));
        }
        if let Some(ip) = &b.publicip {
            if ip.kind.as_deref().is_none_or(str::is_empty) {
                return Err(SmsError::bad(
                    INVALID,
                    "template.publicip.type",
                    "publicip.type is required",
                ));
            }
            if !ip.bandwidth_size.is_some_and(|s| (1..=2000).contains(&s)) {
                return Err(SmsError::bad(
                    INVALID,
                    "template.publicip.bandwidth_size",
                    "publicip.bandwidth_size must be 1 to 2000 Mbit/s",
                ));
            }
        }
        for (i, disk) in b.disk.iter().flatten().enumerate() {
            if disk.size.is_none_or(|s| s <= 0) || disk.index.is_none_or(|x| x < 0) {
                return Err(SmsError::bad(
                    INVALID,
                    &format!("template.disk[{i}]"),
                    "each disk needs an index from 0 and a size in GB above 0",
                ));
            }
        }
        for (i, nic) in b.nics.iter().flatten().enumerate() {
            if nic.id.is_none() || nic.name.is_none() || nic.cidr.is_none() {
                return Err(SmsError::bad(
                    INVALID,
                    &format!("template.nics[{i}]"),
                    "each nic needs id, name and cidr",
                ));
            }
        }
        for (i, sg) in b.security_groups.iter().flatten().enumerate() {
            if sg.id.is_none() || sg.name.is_none() {
                return Err(SmsError::bad(
                    INVALID,
                    &format!("template.security_groups[{i}]"),
                    "each security group needs id and name",
                ));
            }
        }
        // What the real service fills in when the client leaves it out, so that every
        // field the response model declares has a value.
        let nics = b.nics.map(|nics| {
            nics.into_iter()
                .map(|n| Nic {
                    ip: n.ip.or_else(|| Some(String::new())),
                    ..n
                })
                .collect()
        });
        let publicip = b.publicip.map(|p| PublicIp {
            bandwidth_share_type: p.bandwidth_share_type.or_else(|| Some("PER".into())),
            ..p
        });
        let disk = b.disk.map(|disks| {
            disks
                .into_iter()
                .map(|d| TemplateDisk {
                    id: d.id.or(d.index),
                    device_use: d
                        .device_use
                        .or_else(|| Some(if d.index == Some(0) { "OS" } else { "NORMAL" }.into())),
                    ..d
                })
                .collect()
        });
        Ok(Self {
            name: b.name,
            is_template: b.is_template,
            region: at_most(INVALID, "template.region", b.region, 255)?,
            projectid: at_most(INVALID, "template.projectid", b.projectid, 255)?,
            target_server_name: at_most(
                INVALID,
                "template.target_server_name",
                b.target_server_name,
                255,
            )?,
            availability_zone: at_most(
                INVALID,
                "template.availability_zone",
                b.availability_zone,
                255,
            )?,
            volumetype: at_most(INVALID, "template.volumetype", b.volumetype, 255)?,
            flavor: at_most(INVALID, "template.flavor", b.flavor, 65535)?,
            vpc: b.vpc,
            nics,
            security_groups: b.security_groups,
            publicip,
            disk,
            data_volume_type: at_most(
                INVALID,
                "template.data_volume_type",
                b.data_volume_type,
                255,
            )?,
            target_password: at_most(INVALID, "template.target_password", b.target_password, 1024)?,
            image_id: at_most(INVALID, "template.image_id", b.image_id, 255)?,
        })
    }

    /// A create: `name` is required.
    pub fn parse_new(body: Option<TemplateBody>) -> Result<Self, SmsError> {
        let fields = Self::parse(body)?;
        if fields.name.is_none() {
            return Err(SmsError::bad(
                INVALID,
                "template.name",
                "template.name is required",
            ));
        }
        Ok(fields)
    }
}

/// Template ids in paths and batch deletes: 1–36 characters.
pub const TEMPLATE_ID_MAX: usize = 36;

/// The body of create and update: the template inside `{"template": …}`.
#[derive(Debug, Default, Deserialize)]
pub struct NewTemplateBody {
    pub template: Option<TemplateBody>,
}
