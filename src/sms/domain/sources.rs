//! Source servers: their states, the deletion rule, and registration input.

use serde::Deserialize;

use super::*;
use crate::config::DeleteRule;
use crate::kit::string_enum;

string_enum! {
    /// A source server's state as the agent and the service report it.
    SourceState {
        Unavailable = "unavailable",
        Waiting = "waiting",
        Initialize = "initialize",
        Replicate = "replicate",
        Syncing = "syncing",
        Stopping = "stopping",
        Stopped = "stopped",
        Skipping = "skipping",
        Deleting = "deleting",
        Clearing = "clearing",
        Cleared = "cleared",
        ClearFailed = "clearfailed",
        PremigReady = "premigready",
        Premiging = "premiging",
        Premiged = "premiged",
        PremigFailed = "premigfailed",
        Cloning = "cloning",
        Cutovering = "cutovering",
        Finished = "finished",
        Error = "error",
    }
}

impl SourceState {
    /// Accepts any case, and the `init` spelling some SDK docstrings use.
    pub fn parse(raw: &str) -> Option<Self> {
        let lower = raw.trim().to_ascii_lowercase();
        if lower == "init" {
            return Some(SourceState::Initialize);
        }
        Self::from_text(&lower)
    }

    /// The current docs' deny-list: while connected, a source in one of these states is
    /// busy and its task cannot be deleted.
    pub fn is_running(self) -> bool {
        use SourceState::*;
        matches!(
            self,
            Initialize
                | Stopping
                | Deleting
                | Cloning
                | Replicate
                | Syncing
                | Cutovering
                | Skipping
                | Clearing
                | Premiging
        )
    }

    /// The older docs' allow-list: only these states permit deletion while connected.
    pub fn is_settled(self) -> bool {
        use SourceState::*;
        matches!(self, Unavailable | Waiting | Finished | Error | Stopped)
    }
}

string_enum! {
    OsType {
        Windows = "WINDOWS",
        Linux = "LINUX",
    }
}

impl OsType {
    pub fn parse(raw: &str) -> Option<Self> {
        Self::from_text(&raw.trim().to_ascii_uppercase())
    }
}

/// Whether a task may be deleted, judged on its source server at commit time.
pub fn blocks_delete(rule: DeleteRule, state: SourceState, connected: bool) -> bool {
    connected
        && match rule {
            DeleteRule::DenyList => state.is_running(),
            DeleteRule::AllowList => !state.is_settled(),
        }
}

/// A source server as the agent registers it, validated.
#[derive(Debug, Clone)]
pub struct NewSource {
    pub name: String,
    pub ip: String,
    pub ipv6: String,
    pub hostname: String,
    pub os_type: Option<OsType>,
    pub os_version: String,
    pub state: SourceState,
    pub migration_cycle: String,
    pub cpu_quantity: Option<i64>,
    pub memory: Option<i64>,
    pub agent_version: String,
    pub enterprise_project_id: String,
    /// The rest of the registration body, kept verbatim for `GET /v3/sources/{id}`.
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// The body of `POST /v3/sources` (PostSourceServerBody); unknown fields are kept.
#[derive(Debug, Deserialize)]
pub struct RegisterSourceBody {
    pub name: Option<String>,
    pub ip: Option<String>,
    pub ipv6: Option<String>,
    pub hostname: Option<String>,
    pub os_type: Option<String>,
    pub os_version: Option<String>,
    pub state: Option<String>,
    pub migration_cycle: Option<String>,
    pub cpu_quantity: Option<i64>,
    pub memory: Option<i64>,
    pub agent_version: Option<String>,
    pub enterprise_project_id: Option<String>,
    #[serde(flatten)]
    pub rest: serde_json::Map<String, serde_json::Value>,
}

impl NewSource {
    pub fn parse(body: RegisterSourceBody) -> Result<Self, SmsError> {
        let name = name("name", body.name.as_deref().unwrap_or(""))?;
        let ip = body.ip.unwrap_or_default().trim().to_owned();
        let ipv6 = body.ipv6.unwrap_or_default().trim().to_owned();
        if ip.is_empty() && ipv6.is_empty() {
            return Err(SmsError::invalid("ip", "one of ip and ipv6 is required"));
        }
        if !ip.is_empty() && ip.parse::<std::net::Ipv4Addr>().is_err() {
            return Err(SmsError::invalid("ip", "ip must be an IPv4 address"));
        }
        if !ipv6.is_empty() && ipv6.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(SmsError::invalid("ipv6", "ipv6 must be an IPv6 address"));
        }
        let os_type =
            match body.os_type.as_deref() {
                None | Some("") => None,
                Some(raw) => Some(OsType::parse(raw).ok_or_else(|| {
                    SmsError::invalid("os_type", "os_type must be WINDOWS or LINUX")
                })?),
            };
        let state = match body.state.as_deref() {
            None | Some("") => SourceState::Waiting,
            Some(raw) => SourceState::parse(raw).ok_or_else(|| {
                SmsError::invalid(
                    "state",
                    format!("state {raw:?} is not a source server state"),
                )
            })?,
        };
        if body.cpu_quantity.is_some_and(|c| c < 0) || body.memory.is_some_and(|m| m < 0) {
            return Err(SmsError::invalid(
                "cpu_quantity",
                "sizes must not be negative",
            ));
        }
        let mut details = body.rest;
        // Server-owned fields are never taken from the client.
        for owned in [
            "id",
            "connected",
            "add_date",
            "current_task",
            "last_visit_time",
            "domain_id",
        ] {
            details.remove(owned);
        }
        Ok(Self {
            name,
            ip,
            ipv6,
            hostname: body.hostname.unwrap_or_default(),
            os_type,
            os_version: body.os_version.unwrap_or_default(),
            state,
            migration_cycle: body.migration_cycle.unwrap_or_default(),
            cpu_quantity: body.cpu_quantity,
            memory: body.memory,
            agent_version: body.agent_version.unwrap_or_default(),
            enterprise_project_id: body
                .enterprise_project_id
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| "0".into()),
            details,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deny_list_blocks_exactly_the_running_states_while_connected() {
        let running = [
            "initialize",
            "stopping",
            "deleting",
            "cloning",
            "replicate",
            "syncing",
            "cutovering",
            "skipping",
            "clearing",
            "premiging",
        ];
        for state in SourceState::ALL {
            let expected = running.contains(&state.as_str());
            assert_eq!(
                blocks_delete(DeleteRule::DenyList, *state, true),
                expected,
                "{state}"
            );
            assert!(
                !blocks_delete(DeleteRule::DenyList, *state, false),
                "{state}"
            );
        }
    }

    #[test]
    fn allow_list_differs_only_on_the_documented_states() {
        let differ = [
            "cleared",
            "clearfailed",
            "premigready",
            "premiged",
            "premigfailed",
        ];
        for state in SourceState::ALL {
            let deny = blocks_delete(DeleteRule::DenyList, *state, true);
            let allow = blocks_delete(DeleteRule::AllowList, *state, true);
            assert_eq!(deny != allow, differ.contains(&state.as_str()), "{state}");
            assert!(!blocks_delete(DeleteRule::AllowList, *state, false));
        }
    }
}
