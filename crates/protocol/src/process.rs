//! What the process manager, its CLI, rest-api and the dashboard exchange
//! through Redis: commands and their results, the state of every supervised
//! instance, and pipeline statistics.
//!
//! Inside Redis these are MessagePack (named fields, so they can grow); the
//! events on the system channels `$sys:processes` and `$sys:pipelines` carry
//! the same structures as JSON payloads, because browsers read them.

use serde::{Deserialize, Serialize};

use crate::envelope::EnvelopeError;

/// System channel on which every instance state change is published.
pub const PROCESSES_CHANNEL: &str = "$sys:processes";

/// System channel on which pipeline topology and statistics are published.
pub const PIPELINES_CHANNEL: &str = "$sys:pipelines";

/// System channel for stack-wide metrics (messages per second and the like).
pub const METRICS_CHANNEL: &str = "$sys:metrics";

/// The system channel carrying one program's stdout and stderr lines.
pub fn logs_channel(program: &str) -> String {
    format!("$sys:logs:{program}")
}

/// Consumer group through which the process manager reads commands.
pub const COMMAND_GROUP: &str = "process-manager";

/// The consumer group a pipeline stage reads its input channel through.
pub fn stage_group(stage: &str) -> String {
    format!("pipeline:{stage}")
}

/// Where an instance is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProcessStatus {
    /// Spawned, waiting to be ready (or for its dependencies).
    Starting,
    /// Running and ready.
    Running,
    /// Sent its stop signal, waiting for it to exit.
    Stopping,
    /// Stopped on purpose.
    Stopped,
    /// Exited unexpectedly; will be restarted after a delay.
    Backoff,
    /// Failed too often in a row; given up until started again.
    Fatal,
    /// Exited and will not be restarted (restart policy).
    Exited,
}

impl ProcessStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessStatus::Starting => "starting",
            ProcessStatus::Running => "running",
            ProcessStatus::Stopping => "stopping",
            ProcessStatus::Stopped => "stopped",
            ProcessStatus::Backoff => "backoff",
            ProcessStatus::Fatal => "fatal",
            ProcessStatus::Exited => "exited",
        }
    }

    /// Whether a process of the instance is (or may be) alive.
    pub fn is_alive(self) -> bool {
        matches!(
            self,
            ProcessStatus::Starting | ProcessStatus::Running | ProcessStatus::Stopping
        )
    }
}

/// Whether a program is a plain supervised process or a pipeline stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProgramKind {
    Process,
    Stage,
}

/// The state of one instance of one program, as the manager last saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceState {
    pub name: String,
    /// 0-based instance number within the program.
    pub instance: u32,
    pub kind: ProgramKind,
    pub pid: Option<u32>,
    pub status: ProcessStatus,
    /// Exit code of the last exit, or `None` if it was killed by a signal.
    pub exit_code: Option<i32>,
    /// Signal that ended the last run, if any.
    pub exit_signal: Option<i32>,
    /// Restarts since the manager started it (not counting deliberate ones).
    pub restarts: u32,
    /// Unix milliseconds when the current process started.
    pub started_ms: Option<u64>,
    /// Milliseconds the current process has been running, at `updated_ms`.
    pub uptime_ms: u64,
    /// CPU use of the process over the last sample, in % of one core.
    pub cpu_percent: f32,
    /// Resident memory of the process, in bytes.
    pub rss_bytes: u64,
    /// Unix milliseconds of this state.
    pub updated_ms: u64,
    /// The manager instance supervising it.
    pub manager: String,
}

impl InstanceState {
    /// The field of the state hash this instance is kept under.
    pub fn field(&self) -> String {
        state_field(&self.name, self.instance)
    }

    /// The uptime as of `now_ms`, for states read some time after they were
    /// written.
    pub fn uptime_at(&self, now_ms: u64) -> u64 {
        match (self.status.is_alive(), self.started_ms) {
            (true, Some(started)) => now_ms.saturating_sub(started),
            _ => 0,
        }
    }

    pub fn encode(&self) -> Result<Vec<u8>, EnvelopeError> {
        Ok(rmp_serde::to_vec_named(self)?)
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        Ok(rmp_serde::from_slice(bytes)?)
    }
}

/// The field of the state hash for `name`'s instance `instance`.
pub fn state_field(name: &str, instance: u32) -> String {
    format!("{name}/{instance}")
}

/// What a program should be doing, kept in Redis so a restarted manager
/// restores it (a stopped program stays stopped, a scaled one keeps its
/// instance count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredState {
    pub running: bool,
    pub instances: u32,
}

impl DesiredState {
    pub fn encode(&self) -> Result<Vec<u8>, EnvelopeError> {
        Ok(rmp_serde::to_vec_named(self)?)
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        Ok(rmp_serde::from_slice(bytes)?)
    }
}

/// What a command asks the manager to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum ProcessAction {
    Start {
        name: String,
    },
    Stop {
        name: String,
    },
    Restart {
        name: String,
    },
    Scale {
        name: String,
        instances: u32,
    },
    /// Re-read the configuration file and apply what changed.
    Reload,
}

impl ProcessAction {
    pub fn verb(&self) -> &'static str {
        match self {
            ProcessAction::Start { .. } => "start",
            ProcessAction::Stop { .. } => "stop",
            ProcessAction::Restart { .. } => "restart",
            ProcessAction::Scale { .. } => "scale",
            ProcessAction::Reload => "reload",
        }
    }
}

/// A command on the manager's command stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessCommand {
    /// Chosen by the sender; the result is pushed to a list named after it.
    pub id: String,
    #[serde(flatten)]
    pub action: ProcessAction,
    /// Who sent it (`cli`, `rest-api:{key id}`), for the log.
    pub sender: String,
}

impl ProcessCommand {
    pub fn encode(&self) -> Result<Vec<u8>, EnvelopeError> {
        Ok(rmp_serde::to_vec_named(self)?)
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        Ok(rmp_serde::from_slice(bytes)?)
    }
}

/// The manager's answer to one command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandResult {
    pub id: String,
    pub ok: bool,
    /// What happened, or what went wrong and what to do about it.
    pub message: String,
}

impl CommandResult {
    pub fn encode(&self) -> Result<Vec<u8>, EnvelopeError> {
        Ok(rmp_serde::to_vec_named(self)?)
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        Ok(rmp_serde::from_slice(bytes)?)
    }
}

/// One stage of a pipeline with its live figures, for the flowchart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageStats {
    pub name: String,
    pub input: String,
    pub outputs: Vec<String>,
    /// Instances wanted and instances running.
    pub instances: u32,
    pub running: u32,
    /// Messages acknowledged since the manager started.
    pub processed: u64,
    /// Error answers, timeouts and processor crashes with messages in flight.
    pub errors: u64,
    /// Messages moved to the dead-letter stream.
    pub dead_lettered: u64,
    /// Messages acknowledged per second, over the last few seconds.
    pub rate: f64,
    /// Delivered to a processor but not yet acknowledged.
    pub pending: u64,
    /// In the input stream, not yet delivered to any processor.
    pub undelivered: u64,
    /// Whether the stage is failing now (errors in the last interval, or no
    /// instance running while one is wanted).
    pub failing: bool,
}

/// Every pipeline stage, as published on [`PIPELINES_CHANNEL`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineTopology {
    pub stages: Vec<StageStats>,
    pub updated_ms: u64,
}

impl PipelineTopology {
    pub fn encode(&self) -> Result<Vec<u8>, EnvelopeError> {
        Ok(rmp_serde::to_vec_named(self)?)
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        Ok(rmp_serde::from_slice(bytes)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_round_trip() {
        let command = ProcessCommand {
            id: "c1".into(),
            action: ProcessAction::Scale {
                name: "w".into(),
                instances: 3,
            },
            sender: "cli".into(),
        };
        let bytes = command.encode().expect("encodes");
        assert_eq!(ProcessCommand::decode(&bytes).expect("decodes"), command);
        assert!(ProcessCommand::decode(b"\x01garbage").is_err());
    }

    #[test]
    fn state_serialises_status_in_lowercase() {
        let state = InstanceState {
            name: "web".into(),
            instance: 0,
            kind: ProgramKind::Process,
            pid: Some(42),
            status: ProcessStatus::Backoff,
            exit_code: Some(1),
            exit_signal: None,
            restarts: 2,
            started_ms: None,
            uptime_ms: 0,
            cpu_percent: 0.0,
            rss_bytes: 0,
            updated_ms: 1,
            manager: "m".into(),
        };
        let json = serde_json::to_value(&state).expect("json");
        assert_eq!(json["status"], "backoff");
        assert_eq!(json["kind"], "process");
        let bytes = state.encode().expect("encodes");
        assert_eq!(InstanceState::decode(&bytes).expect("decodes"), state);
    }

    #[test]
    fn uptime_counts_only_live_instances() {
        let mut state = InstanceState {
            name: "a".into(),
            instance: 1,
            kind: ProgramKind::Stage,
            pid: None,
            status: ProcessStatus::Running,
            exit_code: None,
            exit_signal: None,
            restarts: 0,
            started_ms: Some(1_000),
            uptime_ms: 0,
            cpu_percent: 0.0,
            rss_bytes: 0,
            updated_ms: 0,
            manager: "m".into(),
        };
        assert_eq!(state.uptime_at(3_500), 2_500);
        state.status = ProcessStatus::Stopped;
        assert_eq!(state.uptime_at(3_500), 0);
        assert_eq!(state.field(), "a/1");
    }
}
