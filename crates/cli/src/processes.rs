//! `ps`, `start`, `stop`, `restart`, `scale`, `reload`, `logs` and
//! `pipelines`: reading what the process manager keeps in Redis and
//! sending it commands through its command stream.

use std::time::Duration;

use asynchronio_bus::Bus;
use asynchronio_protocol::Offset;
use asynchronio_protocol::process::{ProcessAction, logs_channel};
use serde::Serialize;

use crate::{ansi, channels, style, table};

/// How long a command may take before the CLI stops waiting.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
pub enum Verb {
    Start,
    Stop,
    /// Every instance, or the one named.
    Restart {
        instance: Option<u32>,
    },
}

/// One `ps --json` line: the stored state with the uptime brought up to
/// date.
#[derive(Serialize)]
struct PsLine<'a> {
    #[serde(flatten)]
    state: &'a asynchronio_protocol::process::InstanceState,
}

/// `ps --check`: fails unless a process manager's liveness record is in Redis.
pub async fn check_manager(bus: &Bus) -> anyhow::Result<()> {
    match bus.manager_alive().await? {
        Some(_) => Ok(()),
        None => anyhow::bail!(
            "no process manager is alive; start process-manager (or `asynchronio up`)"
        ),
    }
}

pub async fn ps(bus: &Bus, json: bool) -> anyhow::Result<()> {
    let now = asynchronio_protocol::clock::now_ms();
    let mut states = bus.process_states().await?;
    for state in &mut states {
        state.uptime_ms = state.uptime_at(now);
    }
    if json {
        for state in &states {
            emit!("{}", serde_json::to_string(&PsLine { state })?);
        }
        return Ok(());
    }
    if bus.manager_alive().await?.is_none() {
        eprintln!(
            "{}",
            style::dim("no process manager is running; states below are the last known")
        );
    }
    if states.is_empty() {
        emit!("no processes; start the stack with `asynchronio up`");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = states
        .iter()
        .map(|s| {
            vec![
                s.name.clone(),
                s.instance.to_string(),
                s.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
                style::status(s.status),
                s.restarts.to_string(),
                if s.status.is_alive() {
                    table::duration_ms(s.uptime_ms)
                } else {
                    "-".into()
                },
                format!("{:.1}%", s.cpu_percent),
                table::bytes(s.rss_bytes),
                s.exit_code
                    .map(|c| c.to_string())
                    .or(s.exit_signal.map(|s| format!("sig{s}")))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    emit!(
        "{}",
        table::render(
            &[
                "NAME", "INST", "PID", "STATUS", "RESTARTS", "UPTIME", "CPU", "MEM", "EXIT"
            ],
            &[false, true, true, false, true, true, true, true, true],
            &rows
        )
        .trim_end()
    );
    Ok(())
}

/// `ps --watch`: the table again after every change on `$sys:processes`
/// (at most ten times a second), or each change as a JSON line.
pub async fn watch(bus: &Bus, json: bool) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let channel = asynchronio_protocol::process::PROCESSES_CHANNEL;
    let from = bus.position(channel).await?.offset;
    let tty = std::io::stdout().is_terminal();
    if !json {
        redraw(bus, tty).await?;
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(1024);
    let follower = {
        let bus = bus.clone();
        tokio::spawn(async move {
            channels::follow(&bus, channel, from, |envelope| {
                let _ = tx.try_send(envelope.payload.to_vec());
            })
            .await
        })
    };
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            event = rx.recv() => {
                let Some(event) = event else { break };
                if json {
                    emit!("{}", String::from_utf8_lossy(&event));
                    continue;
                }
                // Coalesce a burst of changes into one redraw.
                tokio::time::sleep(Duration::from_millis(100)).await;
                while rx.try_recv().is_ok() {}
                redraw(bus, tty).await?;
            }
        }
    }
    follower.abort();
    Ok(())
}

async fn redraw(bus: &Bus, tty: bool) -> anyhow::Result<()> {
    if tty {
        print!("\x1b[H\x1b[2J");
    } else {
        emit!("---");
    }
    ps(bus, false).await
}

/// Sends a command to the process manager and prints its answer.
pub async fn send(bus: &Bus, action: ProcessAction) -> anyhow::Result<()> {
    let result = bus
        .send_process_command(action, "cli", COMMAND_TIMEOUT)
        .await?;
    if result.ok {
        emit!("{}", result.message);
        Ok(())
    } else {
        anyhow::bail!("{}", result.message)
    }
}

pub async fn control(bus: &Bus, verb: Verb, name: String) -> anyhow::Result<()> {
    let action = match verb {
        Verb::Start => ProcessAction::Start { name },
        Verb::Stop => ProcessAction::Stop { name },
        Verb::Restart { instance } => ProcessAction::Restart { name, instance },
    };
    send(bus, action).await
}

pub async fn scale(bus: &Bus, name: String, instances: u32) -> anyhow::Result<()> {
    send(bus, ProcessAction::Scale { name, instances }).await
}

pub async fn reload(bus: &Bus) -> anyhow::Result<()> {
    send(bus, ProcessAction::Reload).await
}

/// A captured line as stored on `$sys:logs:{name}`.
#[derive(serde::Deserialize)]
struct LogLine {
    instance: u32,
    stream: String,
    line: String,
}

fn print_log(name: &str, payload: &[u8]) {
    match serde_json::from_slice::<LogLine>(payload) {
        Ok(line) => {
            let prefix = format!("{name}.{} {}", line.instance, line.stream);
            let prefix = if line.stream == "stdout" {
                style::dim(&prefix)
            } else {
                style::bold(&prefix)
            };
            emit!(
                "{prefix} | {}",
                ansi::printable(&line.line, style::colours())
            );
        }
        Err(_) => emit!(
            "{}",
            ansi::printable(&String::from_utf8_lossy(payload), style::colours())
        ),
    }
}

pub async fn logs(bus: &Bus, name: &str, follow: bool, lines: usize) -> anyhow::Result<()> {
    let channel = logs_channel(name);
    let mut newest = bus.history_newest_first(&channel, Offset(0), lines).await?;
    newest.reverse();
    let mut last = Offset(0);
    for envelope in &newest {
        print_log(name, &envelope.payload);
        last = Offset(envelope.offset);
    }
    if !follow {
        if newest.is_empty() && !bus.process_states().await?.iter().any(|s| s.name == name) {
            anyhow::bail!("no logs and no program named \"{name}\"; see `asynchronio ps`");
        }
        return Ok(());
    }
    channels::follow(bus, &channel, last, |envelope| {
        print_log(name, &envelope.payload)
    })
    .await
}

pub async fn pipelines(bus: &Bus, json: bool) -> anyhow::Result<()> {
    let Some(topology) = bus.pipeline_topology().await? else {
        if json {
            emit!("[]");
            return Ok(());
        }
        emit!("no pipelines; declare [[pipeline]] stages in asynchronio.toml");
        return Ok(());
    };
    if json {
        emit!("{}", serde_json::to_string(&topology.stages)?);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = topology
        .stages
        .iter()
        .map(|s| {
            vec![
                s.name.clone(),
                format!("{} → {}", s.input, s.outputs.join(", ")),
                format!("{}/{}", s.running, s.instances),
                format!("{:.1}", s.rate),
                s.processed.to_string(),
                s.pending.to_string(),
                s.undelivered.to_string(),
                s.errors.to_string(),
                s.dead_lettered.to_string(),
                style::health(s.health),
            ]
        })
        .collect();
    emit!(
        "{}",
        table::render(
            &[
                "STAGE", "FLOW", "RUNNING", "MSG/S", "DONE", "PENDING", "BEHIND", "ERRORS", "DEAD",
                "HEALTH"
            ],
            &[
                false, false, true, true, true, true, true, true, true, false
            ],
            &rows
        )
        .trim_end()
    );
    Ok(())
}
