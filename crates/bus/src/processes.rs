//! The process manager's Redis routines, for both sides: the manager
//! (reading commands, answering them, keeping states and desired states)
//! and its clients, the CLI and rest-api (sending a command and waiting for
//! its result, reading states and pipeline figures).

use std::time::Duration;

use bytes::Bytes;
use fred::interfaces::{HashesInterface, KeysInterface, ListInterface, StreamsInterface};
use fred::types::Value;

use asynchronio_protocol::process::{
    CommandResult, DesiredState, InstanceState, PipelineTopology, ProcessAction, ProcessCommand,
};

use crate::bus::Bus;
use crate::error::BusError;
use crate::reply;

/// Field of a command stream entry holding the encoded command.
pub const COMMAND_FIELD: &str = "c";

/// Seconds a command result waits to be collected.
const RESULT_TTL_SECS: i64 = 300;

/// Commands kept in the command stream (the newest; older ones are done).
const COMMANDS_KEPT: i64 = 10_000;

impl Bus {
    /// Sends a command to the process manager and waits up to `timeout` for
    /// its result.
    pub async fn send_process_command(
        &self,
        action: ProcessAction,
        sender: &str,
        timeout: Duration,
    ) -> Result<CommandResult, BusError> {
        let id = command_id();
        // Without a live manager nobody would answer: say so at once.
        if self.manager_alive().await?.is_none() {
            return Err(BusError::NoAnswer {
                command: id,
                secs: 0.0,
                manager: None,
            });
        }
        let command = ProcessCommand {
            id: id.clone(),
            action,
            sender: sender.to_owned(),
        };
        let _: Value = self
            .client
            .xadd(
                self.keys().pm_commands(),
                false,
                ("MAXLEN", "~", COMMANDS_KEPT),
                "*",
                vec![(COMMAND_FIELD, Value::Bytes(command.encode()?.into()))],
            )
            .await?;
        // Poll rather than BLPOP: a blocking command would hold the shared
        // connection every other request of the caller uses.
        let key = self.keys().pm_result(&id);
        let deadline = tokio::time::Instant::now() + timeout;
        let mut wait = Duration::from_millis(5);
        loop {
            let value: Value = self.client.lpop(&key, None).await?;
            if !matches!(value, Value::Null) {
                let bytes = reply::as_bytes("the command result", &value)?;
                return Ok(CommandResult::decode(&bytes)?);
            }
            if tokio::time::Instant::now() >= deadline {
                let alive = self.manager_alive().await.unwrap_or(None);
                return Err(BusError::NoAnswer {
                    command: id,
                    secs: timeout.as_secs_f32(),
                    manager: alive,
                });
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_millis(100));
        }
    }

    /// Answers a command; the sender collects it from its result list.
    pub async fn push_command_result(&self, result: &CommandResult) -> Result<(), BusError> {
        let key = self.keys().pm_result(&result.id);
        let pipeline = self.client.pipeline();
        let _: () = pipeline
            .rpush(&key, Value::Bytes(result.encode()?.into()))
            .await?;
        let _: () = pipeline.expire(&key, RESULT_TTL_SECS, None).await?;
        let _: Vec<Value> = pipeline.all().await?;
        Ok(())
    }

    /// Every instance state the manager last wrote, ordered by name and
    /// instance. Entries that do not decode are skipped with a warning.
    pub async fn process_states(&self) -> Result<Vec<InstanceState>, BusError> {
        let map: std::collections::HashMap<String, Bytes> =
            self.client.hgetall(self.keys().pm_state()).await?;
        let mut states: Vec<InstanceState> = map
            .into_iter()
            .filter_map(|(field, bytes)| match InstanceState::decode(&bytes) {
                Ok(state) => Some(state),
                Err(error) => {
                    tracing::warn!(field, %error, "instance state does not decode; skipped");
                    None
                }
            })
            .collect();
        states.sort_by(|a, b| (&a.name, a.instance).cmp(&(&b.name, b.instance)));
        Ok(states)
    }

    /// Writes instance states, and drops the fields of instances that no
    /// longer exist, in one round trip.
    pub async fn write_process_states(
        &self,
        states: &[InstanceState],
        removed: &[String],
    ) -> Result<(), BusError> {
        if states.is_empty() && removed.is_empty() {
            return Ok(());
        }
        let key = self.keys().pm_state();
        let pipeline = self.client.pipeline();
        if !states.is_empty() {
            let mut fields = Vec::with_capacity(states.len());
            for state in states {
                fields.push((state.field(), Value::Bytes(state.encode()?.into())));
            }
            let _: () = pipeline.hset(&key, fields).await?;
        }
        if !removed.is_empty() {
            let _: () = pipeline.hdel(&key, removed.to_vec()).await?;
        }
        let _: Vec<Value> = pipeline.all().await?;
        Ok(())
    }

    /// Forgets every instance state (a manager starting afresh).
    pub async fn clear_process_states(&self) -> Result<(), BusError> {
        let _: Value = self.client.del(self.keys().pm_state()).await?;
        Ok(())
    }

    /// The desired state of every program that has one.
    pub async fn desired_states(
        &self,
    ) -> Result<std::collections::HashMap<String, DesiredState>, BusError> {
        let map: std::collections::HashMap<String, Bytes> =
            self.client.hgetall(self.keys().pm_desired()).await?;
        Ok(map
            .into_iter()
            .filter_map(|(name, bytes)| DesiredState::decode(&bytes).ok().map(|d| (name, d)))
            .collect())
    }

    /// Remembers what `name` should be doing.
    pub async fn set_desired_state(
        &self,
        name: &str,
        desired: DesiredState,
    ) -> Result<(), BusError> {
        let _: Value = self
            .client
            .hset(
                self.keys().pm_desired(),
                (name, Value::Bytes(desired.encode()?.into())),
            )
            .await?;
        Ok(())
    }

    /// Forgets desired states of programs no longer configured.
    pub async fn remove_desired_states(&self, names: &[String]) -> Result<(), BusError> {
        if names.is_empty() {
            return Ok(());
        }
        let _: Value = self
            .client
            .hdel(self.keys().pm_desired(), names.to_vec())
            .await?;
        Ok(())
    }

    /// The id of the live process manager, if one is running (it holds the
    /// lease at [`asynchronio_protocol::Keys::pm_alive`]).
    pub async fn manager_alive(&self) -> Result<Option<String>, BusError> {
        Ok(self.client.get(self.keys().pm_alive()).await?)
    }

    /// Records a process group the manager started, with its leader's start
    /// time (clock ticks since boot), for the stray sweep.
    pub async fn remember_group(&self, pgid: u32, start_ticks: u64) -> Result<(), BusError> {
        let _: Value = self
            .client
            .hset(
                self.keys().pm_groups(),
                (pgid.to_string(), start_ticks.to_string()),
            )
            .await?;
        Ok(())
    }

    /// Forgets a process group that has ended.
    pub async fn forget_group(&self, pgid: u32) -> Result<(), BusError> {
        let _: Value = self
            .client
            .hdel(self.keys().pm_groups(), pgid.to_string())
            .await?;
        Ok(())
    }

    /// Every remembered process group: pgid → leader start ticks.
    pub async fn remembered_groups(&self) -> Result<Vec<(u32, u64)>, BusError> {
        let map: std::collections::HashMap<String, String> =
            self.client.hgetall(self.keys().pm_groups()).await?;
        Ok(map
            .into_iter()
            .filter_map(|(pgid, ticks)| Some((pgid.parse().ok()?, ticks.parse().ok()?)))
            .collect())
    }

    /// Stores the latest pipeline topology.
    pub async fn write_pipeline_topology(
        &self,
        topology: &PipelineTopology,
    ) -> Result<(), BusError> {
        let _: Value = self
            .client
            .set(
                self.keys().pm_pipelines(),
                Value::Bytes(topology.encode()?.into()),
                None,
                None,
                false,
            )
            .await?;
        Ok(())
    }

    /// The latest pipeline topology, if a manager has written one.
    pub async fn pipeline_topology(&self) -> Result<Option<PipelineTopology>, BusError> {
        let value: Option<Bytes> = self.client.get(self.keys().pm_pipelines()).await?;
        match value {
            Some(bytes) => Ok(Some(PipelineTopology::decode(&bytes)?)),
            None => Ok(None),
        }
    }
}

/// A command id unique enough for result lists: time plus randomness.
fn command_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros());
    format!("{now:x}-{:08x}", rand::random::<u32>())
}
