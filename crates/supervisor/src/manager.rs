//! Putting the manager together: load the configuration, start the private
//! Redis if there is one, connect, take the manager lease, sweep strays of
//! a killed predecessor, restore desired states, start the command reader,
//! the holds task and the statistics task, then serve commands until
//! SIGTERM (or another manager takes the lease), when everything is
//! stopped in dependency order.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use asynchronio_bus::{Bus, BusConfig, BusError, Lease, LeaseKeeper, LeaseLoss};
use asynchronio_protocol::Keys;
use asynchronio_protocol::node::NodeKind;
use asynchronio_protocol::process::{CommandResult, ProcessCommand};
use asynchronio_service::node_heartbeat::{self, Node};
use asynchronio_service::shutdown::{FAREWELL, farewell, join_within};
use asynchronio_service::{HistoryArgs, LogArgs, Shutdown};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, PRIVATE_REDIS, RedisPlacement};
use crate::holds::HOLD_EVERY;
use crate::reporter::ReporterSettings;
use crate::spawn::ChildEnvironment;
use crate::statistics::STATISTICS_EVERY;
use crate::supervisor::Supervisor;
use crate::{control, holds, log_capture, reporter, statistics, strays};

/// How long the manager lease lasts without renewal.
const LEASE_TTL: Duration = Duration::from_secs(5);

/// Options of the `process-manager` binary (and of `asynchronio up`).
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "process-manager", version, about)]
pub struct ManagerArgs {
    /// The configuration file.
    #[arg(
        long,
        short = 'c',
        env = "ASYNCHRONIO_CONFIG",
        default_value = "asynchronio.toml"
    )]
    pub config: PathBuf,

    /// Redis to use, instead of `[redis] url` or a private redis-server.
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key (default: `[redis] key_prefix`, else
    /// `asynchronio`).
    #[arg(long, env = "ASYNCHRONIO_KEY_PREFIX")]
    pub key_prefix: Option<String>,

    /// How much history the channels this manager publishes on keep
    /// (pipeline outputs, `$sys:logs:*`, process states), as in every
    /// service.
    #[command(flatten)]
    pub history: HistoryArgs,

    /// Name of this manager in states and logs (default: host-pid-random).
    #[arg(long, env = "ASYNCHRONIO_MANAGER_ID")]
    pub manager_id: Option<String>,

    /// Seconds between CPU and memory samples of supervised processes.
    #[arg(long, default_value_t = 2.0)]
    pub sample_interval: f64,

    /// Serve Prometheus metrics at `GET /metrics` on this address
    /// (default: not served).
    #[arg(long, env = "ASYNCHRONIO_METRICS_LISTEN")]
    pub metrics_listen: Option<std::net::SocketAddr>,

    /// Log format and level.
    #[command(flatten)]
    pub log: LogArgs,
}

/// Runs the manager until SIGTERM/SIGINT.
pub async fn run(args: ManagerArgs) -> anyhow::Result<()> {
    let shutdown = Shutdown::on_signals();
    let config = Config::load(&args.config, args.redis_url.as_deref())?;
    let manager_id = asynchronio_service::instance_id(args.manager_id.as_deref());
    let (bus_config, environment) = redis_settings(&args, &config);
    tracing::info!(config = %args.config.display(), id = manager_id, redis = %config.redis_url(), "process manager starting");

    let (bus_tx, bus_rx) = watch::channel::<Option<Bus>>(None);
    let settings = ReporterSettings {
        sample_every: Duration::from_secs_f64(args.sample_interval.max(0.1)),
        ..ReporterSettings::default()
    };
    let (reporter, reporter_task) = reporter::start(bus_rx.clone(), manager_id.clone(), settings);
    let (logs, logs_task) = log_capture::start(bus_rx.clone());
    let mut supervisor =
        Supervisor::new(config.clone(), environment, reporter, logs, bus_rx.clone());
    let metrics_task = match args.metrics_listen {
        Some(listen) => Some(tokio::spawn(
            crate::metrics::start(listen, supervisor.stages(), shutdown.token().clone()).await?,
        )),
        None => None,
    };
    start_private_redis(&mut supervisor, &config)?;
    let Some((bus, control_bus)) = connect(&bus_config, &shutdown).await? else {
        supervisor.shutdown().await;
        return Ok(());
    };
    let mut lease = take_manager_lease(&bus, &manager_id, &shutdown).await?;
    sweep_strays(&bus).await?;
    let desired = bus.desired_states().await?;
    // From here the reporter writes (first deleting a predecessor's states)
    // and stages read.
    bus_tx.send_replace(Some(bus.clone()));
    supervisor.launch(&[], &desired);

    let (tasks, commands) = Tasks::start(&bus, control_bus, &manager_id, &supervisor, &shutdown);
    tracing::info!(
        programs = supervisor.config().programs.len(),
        "process manager running"
    );
    serve(&mut supervisor, &bus, commands, &mut lease, &shutdown).await;

    // Renewal ends with the loop, as it always has: a successor may take
    // the lease once it expires, while this manager is still stopping.
    lease.stop_renewing();
    tracing::info!("stopping every program");
    tasks.stop().await;
    supervisor.shutdown().await;
    drop(supervisor);
    // States and logs of the last moments, if Redis is still there; never
    // more than a farewell's wait when it is not.
    let _ = farewell("the last states and log lines", async {
        let _ = reporter_task.await;
        let _ = logs_task.await;
    })
    .await;
    lease.release().await;
    if let Some(task) = metrics_task {
        task.abort();
    }
    tracing::info!("process manager stopped");
    Ok(())
}

/// Two connections: one for everything, one for the command reader's
/// blocking reads. `None` when SIGTERM comes first.
async fn connect(
    bus_config: &BusConfig,
    shutdown: &Shutdown,
) -> anyhow::Result<Option<(Bus, Bus)>> {
    let connect = async {
        let bus = Bus::connect(bus_config.clone(), "process-manager").await?;
        let control_bus = Bus::connect(bus_config.clone(), "process-manager commands").await?;
        anyhow::Ok((bus, control_bus))
    };
    tokio::select! {
        connected = connect => connected.context("cannot connect to Redis").map(Some),
        _ = shutdown.wait() => Ok(None),
    }
}

/// The tasks beside the command loop: the command reader, the holds task,
/// the statistics task and the node heartbeat.
struct Tasks {
    stop_reading: CancellationToken,
    reader: JoinHandle<()>,
    holds: JoinHandle<()>,
    statistics: JoinHandle<()>,
    node_heartbeat: JoinHandle<()>,
}

impl Tasks {
    /// Starts them; the commands read arrive on the receiver.
    fn start(
        bus: &Bus,
        control_bus: Bus,
        manager_id: &str,
        supervisor: &Supervisor,
        shutdown: &Shutdown,
    ) -> (Tasks, mpsc::Receiver<ProcessCommand>) {
        let (commands_tx, commands_rx) = mpsc::channel::<ProcessCommand>(256);
        let stop_reading = shutdown.token().child_token();
        let reader = tokio::spawn(control::read_commands(
            control_bus,
            manager_id.to_owned(),
            commands_tx,
            stop_reading.clone(),
        ));
        let holds = tokio::spawn(holds::keep_holds(
            bus.clone(),
            supervisor.stages(),
            HOLD_EVERY,
        ));
        let statistics = tokio::spawn(statistics::publish_statistics(
            bus.clone(),
            supervisor.stages(),
            STATISTICS_EVERY,
        ));
        let node = Node {
            kind: NodeKind::ProcessManager,
            id: manager_id.to_owned(),
            version: env!("CARGO_PKG_VERSION"),
        };
        let node_heartbeat = node_heartbeat::start(bus, node, shutdown.token().clone());
        let tasks = Tasks {
            stop_reading,
            reader,
            holds,
            statistics,
            node_heartbeat,
        };
        (tasks, commands_rx)
    }

    /// Ends holds and statistics at once (their Redis calls must not hold
    /// up SIGTERM) and lets the command reader finish within a farewell.
    async fn stop(self) {
        self.holds.abort();
        self.statistics.abort();
        self.node_heartbeat.abort();
        self.stop_reading.cancel();
        join_within(self.reader, FAREWELL, "the command reader").await;
    }
}

/// Where Redis is and under which prefix: the bus settings, and what
/// children are told (`REDIS_URL`, `ASYNCHRONIO_KEY_PREFIX`).
fn redis_settings(args: &ManagerArgs, config: &Config) -> (BusConfig, ChildEnvironment) {
    let prefix = args
        .key_prefix
        .clone()
        .or_else(|| config.key_prefix.clone())
        .unwrap_or_else(|| asynchronio_protocol::keys::DEFAULT_PREFIX.to_owned());
    let mut bus_config = BusConfig::new(config.redis_url(), Keys::new(&prefix));
    bus_config.history = args.history.settings();
    let environment = ChildEnvironment {
        redis_url: config.redis_url(),
        key_prefix: Some(prefix),
    };
    (bus_config, environment)
}

/// A private Redis comes first: nothing else works without it.
fn start_private_redis(supervisor: &mut Supervisor, config: &Config) -> anyhow::Result<()> {
    if !matches!(config.redis, RedisPlacement::Private { .. }) {
        return Ok(());
    }
    if let Some(dir) = config.private_redis_dir() {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the Redis data directory {}", dir.display()))?;
    }
    supervisor.launch(&[PRIVATE_REDIS], &Default::default());
    Ok(())
}

/// Waits out a killed predecessor's lease (it expires within its TTL);
/// refuses to run beside a live manager. Once held, only another manager
/// taking the lease stops this one: a Redis outage does not.
async fn take_manager_lease(
    bus: &Bus,
    manager_id: &str,
    shutdown: &Shutdown,
) -> anyhow::Result<LeaseKeeper> {
    let lease = Lease {
        key: bus.keys().pm_alive(),
        owner: manager_id.to_owned(),
        ttl: LEASE_TTL,
    };
    let taken = tokio::select! {
        taken = bus.take_lease(lease, LeaseLoss::WhenTaken, LEASE_TTL + Duration::from_secs(1)) => taken,
        _ = shutdown.wait() => anyhow::bail!("stopped while waiting for the manager lease"),
    };
    match taken {
        Ok(keeper) => Ok(keeper),
        Err(BusError::LeaseHeld { holder, .. }) => anyhow::bail!(
            "another process manager ({holder}) is running against this Redis and key prefix; stop it first (or use another --key-prefix)"
        ),
        Err(error) => Err(error.into()),
    }
}

/// What a killed predecessor left behind: kills the process groups it
/// recorded that still run, and forgets every record.
async fn sweep_strays(bus: &Bus) -> anyhow::Result<()> {
    let groups = bus.remembered_groups().await?;
    let found = strays::sweep(&groups);
    if found > 0 {
        tracing::warn!(
            processes = found,
            "swept processes left by a previous manager"
        );
    }
    for (pgid, _) in &groups {
        bus.forget_group(*pgid).await?;
    }
    Ok(())
}

/// Applies commands until SIGTERM or another manager takes the lease; each
/// command's result is pushed when it is known, without holding up the
/// next command.
async fn serve(
    supervisor: &mut Supervisor,
    bus: &Bus,
    mut commands: mpsc::Receiver<ProcessCommand>,
    lease: &mut LeaseKeeper,
    shutdown: &Shutdown,
) {
    loop {
        // Shutdown first: SIGTERM must not wait behind a command.
        tokio::select! {
            biased;
            _ = shutdown.wait() => return,
            Some(command) = commands.recv() => {
                let verb = command.action.verb();
                tracing::info!(id = command.id, action = verb, sender = command.sender, "command");
                let received = std::time::Instant::now();
                let outcome = supervisor.handle(command.action.clone()).await;
                let bus = bus.clone();
                tokio::spawn(async move {
                    let result = match outcome.await {
                        Ok(message) => CommandResult { id: command.id, ok: true, message },
                        Err(message) => CommandResult { id: command.id, ok: false, message },
                    };
                    crate::metrics::command_took(verb, received.elapsed());
                    if let Err(error) = bus.push_command_result(&result).await {
                        tracing::warn!(%error, "cannot answer a command");
                    }
                });
            }
            () = lease.lost() => {
                tracing::error!("another process manager took over this Redis; stopping");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use clap::Parser;

    use super::*;

    /// The manager publishes pipeline outputs, logs and states, so it
    /// trims and expires them by the same options as every service. It had
    /// no `--history-ttl`, and kept everything for 24 h whatever the
    /// deployment said.
    #[test]
    fn history_options_reach_the_bus() {
        let config = Config::parse(
            Path::new("asynchronio.toml"),
            "[redis]\nurl = \"redis://127.0.0.1:6379\"\n",
            None,
        )
        .expect("a valid config");
        let args = ManagerArgs::try_parse_from([
            "process-manager",
            "--history-size",
            "50",
            "--history-ttl",
            "0",
        ])
        .expect("the options parse");
        let (bus, _) = redis_settings(&args, &config);
        assert_eq!((bus.history.size, bus.history.ttl_secs), (50, 0));
        let defaults = ManagerArgs::try_parse_from(["process-manager"]).expect("parses");
        let (bus, _) = redis_settings(&defaults, &config);
        assert_eq!((bus.history.size, bus.history.ttl_secs), (10_000, 86_400));
    }
}
