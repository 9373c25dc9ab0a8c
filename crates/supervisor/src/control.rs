//! Commands arrive only through Redis: a stream read through the consumer
//! group `process-manager`. Each command goes to the manager's loop; its
//! result is pushed to the list the sender polls. Commands that waited
//! longer than a minute (no manager was running) are answered as expired
//! rather than carried out late.

use std::time::Duration;

use asynchronio_bus::{Backoff, Bus, COMMAND_FIELD, GroupRead};
use asynchronio_protocol::process::{COMMAND_GROUP, CommandResult, ProcessCommand};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Commands older than this are not carried out.
const MAX_AGE: Duration = Duration::from_secs(60);

/// Reads commands and forwards them to the manager's loop until cancelled.
pub async fn read_commands(
    bus: Bus,
    consumer: String,
    out: mpsc::Sender<ProcessCommand>,
    stop: CancellationToken,
) {
    let stream = bus.keys().pm_commands();
    let mut backoff = Backoff::default();
    let mut prepared = false;
    loop {
        let step = async {
            if !prepared {
                bus.ensure_group_from(&stream, COMMAND_GROUP, "$").await?;
                prepared = true;
            }
            bus.read_group(
                &stream,
                COMMAND_GROUP,
                &consumer,
                GroupRead::New,
                64,
                Some(1_000),
            )
            .await
        };
        let entries = tokio::select! {
            _ = stop.cancelled() => return,
            entries = step => entries,
        };
        let entries = match entries {
            Ok(entries) => {
                backoff.reset();
                entries
            }
            Err(error) => {
                if asynchronio_bus::is_missing_group(&error) {
                    prepared = false;
                }
                tracing::warn!(%error, "cannot read the command stream; retrying");
                tokio::time::sleep(backoff.next_delay()).await;
                continue;
            }
        };
        let mut done = Vec::with_capacity(entries.len());
        for entry in entries {
            done.push(entry.id.clone());
            let Some(bytes) = entry.field(COMMAND_FIELD) else {
                tracing::warn!(id = entry.id, "command entry without a command; ignored");
                continue;
            };
            let command = match ProcessCommand::decode(bytes) {
                Ok(command) => command,
                Err(error) => {
                    tracing::warn!(id = entry.id, %error, "command does not decode; ignored");
                    continue;
                }
            };
            if entry_age(&entry.id) > MAX_AGE {
                let result = CommandResult {
                    id: command.id.clone(),
                    ok: false,
                    message: "the command expired before a process manager picked it up".into(),
                };
                let _ = bus.push_command_result(&result).await;
                continue;
            }
            if out.send(command).await.is_err() {
                return;
            }
        }
        if let Err(error) = bus.ack_and_delete(&stream, COMMAND_GROUP, &done).await {
            tracing::warn!(%error, "cannot acknowledge commands");
        }
    }
}

/// How long ago a stream entry was added, from its id (`{ms}-{seq}`).
fn entry_age(id: &str) -> Duration {
    let added = id
        .split_once('-')
        .and_then(|(ms, _)| ms.parse::<u64>().ok())
        .unwrap_or(0);
    let now = asynchronio_protocol::clock::now_ms();
    Duration::from_millis(now.saturating_sub(added))
}
