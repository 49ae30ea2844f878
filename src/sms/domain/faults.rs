//! Faults a test arms on a simulated migration.

use super::*;

/// `POST /_cloudtwin/sms/tasks/{id}/fault`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultBody {
    pub subtask: Option<String>,
    pub error_code: Option<String>,
    pub error_param: Option<Vec<String>>,
    pub disconnect: Option<bool>,
}

/// A checked fault: fail at a subtask, make the agent go silent, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub subtask: Option<SubtaskName>,
    pub error_code: String,
    pub error_param: Vec<String>,
    pub disconnect: bool,
}

/// The code a subtask fault gives when none is named: "Agent error."
pub const DEFAULT_FAULT_CODE: &str = "SMS.0007";

impl Fault {
    /// The field at fault and why, for the admin route's 400.
    pub fn parse(body: FaultBody) -> Result<Self, String> {
        let subtask = body
            .subtask
            .as_deref()
            .map(|s| {
                SubtaskName::from_text(s)
                    .ok_or_else(|| format!("subtask: {s:?} is not a subtask name of the API"))
            })
            .transpose()?;
        let error_code = body
            .error_code
            .unwrap_or_else(|| DEFAULT_FAULT_CODE.to_owned());
        let code_ok = error_code
            .strip_prefix("SMS.")
            .is_some_and(|n| n.len() == 4 && n.bytes().all(|b| b.is_ascii_digit()));
        if !code_ok {
            return Err(format!(
                "error_code: {error_code:?} is not an SMS code (SMS.nnnn)"
            ));
        }
        let error_param = body.error_param.unwrap_or_default();
        if error_param.len() > 16 || error_param.iter().any(|p| p.chars().count() > 255) {
            return Err("error_param: at most 16 strings of at most 255 characters".into());
        }
        let disconnect = body.disconnect.unwrap_or(false);
        if subtask.is_none() && !disconnect {
            return Err(
                "subtask: name the subtask to fail at, or give \"disconnect\": true".into(),
            );
        }
        Ok(Fault {
            subtask,
            error_code,
            error_param,
            disconnect,
        })
    }
}
