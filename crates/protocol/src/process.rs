//! What the process manager, its CLI, rest-api and the dashboard exchange
//! through Redis: commands and their results, the state of every supervised
//! instance, and pipeline statistics.
//!
//! Inside Redis these are MessagePack (named fields, so they can grow); the
//! events on the system channels `$sys:processes` and `$sys:pipelines` carry
//! the same structures as JSON payloads, because browsers read them.

use serde::{Deserialize, Serialize};

use crate::envelope::EnvelopeError;
use crate::stage_health::StageHealth;

// The system channels process events travel on and the manager's consumer
// groups are defined with every other system name in `crate::system`;
// they are re-exported here because they belong to this exchange.
pub use crate::system::{
    COMMAND_GROUP, METRICS_CHANNEL, PIPELINES_CHANNEL, PROCESSES_CHANNEL, logs_channel, stage_group,
};

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
    /// The status in lower case, as serialised.
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
    /// A supervised process (`[process.NAME]`).
    Process,
    /// A pipeline stage's processor (`[[pipeline]]`).
    Stage,
}

/// The state of one instance of one program, as the manager last saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceState {
    /// The program's name.
    pub name: String,
    /// 0-based instance number within the program.
    pub instance: u32,
    /// Process or stage.
    pub kind: ProgramKind,
    /// The process id, while there is a process.
    pub pid: Option<u32>,
    /// Where the instance is in its life.
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
    /// The last time it ended on its own (not on request), kept across the
    /// restarts that followed.
    #[serde(default)]
    pub last_exit: Option<LastExit>,
}

/// How and when an instance last ended on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastExit {
    /// Unix milliseconds of the exit.
    pub at_ms: u64,
    /// Its exit code, when it exited.
    pub code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
    /// It could not be started at all.
    pub spawn_failed: bool,
}

impl LastExit {
    /// How it ended, for people: "exited with code 1", "killed by signal 9",
    /// "could not be started".
    pub fn describe(&self) -> String {
        match (self.spawn_failed, self.code, self.signal) {
            (true, _, _) => "could not be started".to_owned(),
            (false, Some(code), _) => format!("exited with code {code}"),
            (false, None, Some(signal)) => format!("killed by signal {signal}"),
            (false, None, None) => "ended".to_owned(),
        }
    }
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

    /// The bytes kept in Redis: MessagePack with named fields.
    pub fn encode(&self) -> Result<Vec<u8>, EnvelopeError> {
        Ok(rmp_serde::to_vec_named(self)?)
    }

    /// Reads the bytes of `encode`.
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
    /// Whether the program should run (false after `stop`).
    pub running: bool,
    /// How many instances should run.
    pub instances: u32,
}

impl DesiredState {
    /// The bytes kept in Redis: MessagePack with named fields.
    pub fn encode(&self) -> Result<Vec<u8>, EnvelopeError> {
        Ok(rmp_serde::to_vec_named(self)?)
    }

    /// Reads the bytes of `encode`.
    pub fn decode(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        Ok(rmp_serde::from_slice(bytes)?)
    }
}

/// Whether `name` can name a program: letters, digits, `-`, `_` and `.`,
/// not dots alone (it becomes part of Redis keys, channel names, element
/// ids and URL paths, where `.` and `..` mean something else).
pub fn is_program_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.bytes().all(|b| b == b'.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// What a command asks the manager to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum ProcessAction {
    /// Start a program's instances.
    Start {
        /// The program.
        name: String,
    },
    /// Stop a program's instances.
    Stop {
        /// The program.
        name: String,
    },
    /// Stop, then start, a program's instances, or one of them.
    Restart {
        /// The program.
        name: String,
        /// Only this instance (of a running program); every one when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        instance: Option<u32>,
    },
    /// Run this many instances of a program.
    Scale {
        /// The program.
        name: String,
        /// How many instances.
        instances: u32,
    },
    /// Re-read the configuration file and apply what changed.
    Reload,
    /// Hand a stage's dead letters to its processor again.
    Replay {
        /// The stage.
        name: String,
        /// The dead letters, by id; every one (up to the replay queue's
        /// bound) when empty. At most [`crate::dead_letter::MAX_IDS`].
        #[serde(default)]
        ids: Vec<String>,
    },
}

impl ProcessAction {
    /// The action's name, as serialised in `action`.
    pub fn verb(&self) -> &'static str {
        match self {
            ProcessAction::Start { .. } => "start",
            ProcessAction::Stop { .. } => "stop",
            ProcessAction::Restart { .. } => "restart",
            ProcessAction::Scale { .. } => "scale",
            ProcessAction::Reload => "reload",
            ProcessAction::Replay { .. } => "replay",
        }
    }
}

/// A command on the manager's command stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessCommand {
    /// Chosen by the sender; the result is pushed to a list named after it.
    pub id: String,
    /// What to do.
    #[serde(flatten)]
    pub action: ProcessAction,
    /// Who sent it (`cli`, `rest-api:{key id}`), for the log.
    pub sender: String,
}

impl ProcessCommand {
    /// The bytes kept in Redis: MessagePack with named fields.
    pub fn encode(&self) -> Result<Vec<u8>, EnvelopeError> {
        Ok(rmp_serde::to_vec_named(self)?)
    }

    /// Reads the bytes of `encode`.
    pub fn decode(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        Ok(rmp_serde::from_slice(bytes)?)
    }
}

/// The manager's answer to one command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandResult {
    /// The command's id.
    pub id: String,
    /// Whether the command was carried out.
    pub ok: bool,
    /// What happened, or what went wrong and what to do about it.
    pub message: String,
}

impl CommandResult {
    /// The bytes kept in Redis: MessagePack with named fields.
    pub fn encode(&self) -> Result<Vec<u8>, EnvelopeError> {
        Ok(rmp_serde::to_vec_named(self)?)
    }

    /// Reads the bytes of `encode`.
    pub fn decode(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        Ok(rmp_serde::from_slice(bytes)?)
    }
}

/// One stage of a pipeline with its live figures, for the flowchart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageStats {
    /// The stage's (program's) name.
    pub name: String,
    /// The input channel.
    pub input: String,
    /// The declared output channels, the default first.
    pub outputs: Vec<String>,
    /// Instances wanted.
    pub instances: u32,
    /// Instances running.
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
    /// Failures in the last minute ([`crate::stage_health::HEALTH_WINDOW_SECS`]).
    #[serde(default)]
    pub errors_last_minute: u64,
    /// Dead letters in the last minute.
    #[serde(default)]
    pub dead_lettered_last_minute: u64,
    /// Messages acknowledged in each of the last 60 seconds, oldest first
    /// (fewer while the manager has run for less than a minute): the
    /// flowchart's sparkline, so a burst stays visible.
    #[serde(default)]
    pub processed_per_second: Vec<u32>,
    /// The stage's health by [`StageHealth::judge`].
    #[serde(default)]
    pub health: StageHealth,
}

/// Every pipeline stage, as published on [`PIPELINES_CHANNEL`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineTopology {
    /// Every stage.
    pub stages: Vec<StageStats>,
    /// Unix milliseconds of these figures.
    pub updated_ms: u64,
}

impl PipelineTopology {
    /// The bytes kept in Redis: MessagePack with named fields.
    pub fn encode(&self) -> Result<Vec<u8>, EnvelopeError> {
        Ok(rmp_serde::to_vec_named(self)?)
    }

    /// Reads the bytes of `encode`.
    pub fn decode(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        Ok(rmp_serde::from_slice(bytes)?)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn program_names() {
        for good in ["web", "ws-gateway", "a.b_c-1", "..x"] {
            assert!(is_program_name(good), "{good:?}");
        }
        for bad in ["", ".", "..", "a b", "a/b", "é", &"x".repeat(101)] {
            assert!(!is_program_name(bad), "{bad:?}");
        }
    }

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
            last_exit: None,
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
            last_exit: None,
        };
        assert_eq!(state.uptime_at(3_500), 2_500);
        state.status = ProcessStatus::Stopped;
        assert_eq!(state.uptime_at(3_500), 0);
        assert_eq!(state.field(), "a/1");
    }
}
