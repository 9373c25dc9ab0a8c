//! Putting the manager together: load the configuration, start the private
//! Redis if there is one, connect, take the manager lease, sweep strays of
//! a killed predecessor, restore desired states, then serve commands and
//! publish pipeline figures until SIGTERM, when everything is stopped in
//! dependency order.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use asynchronio_bus::{Bus, BusConfig, BusError, HistorySettings, Lease, LeaseLoss};
use asynchronio_protocol::process::{CommandResult, PIPELINES_CHANNEL, ProcessCommand};
use asynchronio_protocol::{EnvelopeDraft, Keys};
use asynchronio_service::shutdown::{FAREWELL, farewell, join_within};
use asynchronio_service::{LogArgs, Shutdown};
use tokio::sync::{mpsc, watch};

use crate::config::{Config, PRIVATE_REDIS, RedisPlacement};
use crate::reporter::ReporterSettings;
use crate::spawn::ChildEnvironment;
use crate::supervisor::Supervisor;
use crate::{control, log_capture, reporter, strays};

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

    /// Messages kept per channel (also for `$sys:logs:*`).
    #[arg(long, env = "ASYNCHRONIO_HISTORY_SIZE", default_value_t = 10_000)]
    pub history_size: u64,

    /// Name of this manager in states and logs (default: host-pid-random).
    #[arg(long, env = "ASYNCHRONIO_MANAGER_ID")]
    pub manager_id: Option<String>,

    /// Seconds between CPU and memory samples of supervised processes.
    #[arg(long, default_value_t = 2.0)]
    pub sample_interval: f64,

    #[command(flatten)]
    pub log: LogArgs,
}

/// Runs the manager until SIGTERM/SIGINT.
pub async fn run(args: ManagerArgs) -> anyhow::Result<()> {
    let shutdown = Shutdown::on_signals();
    let config = Config::load(&args.config, args.redis_url.as_deref())?;
    let manager_id = asynchronio_service::instance_id(args.manager_id.as_deref());
    let prefix = args
        .key_prefix
        .clone()
        .or_else(|| config.key_prefix.clone())
        .unwrap_or_else(|| asynchronio_protocol::keys::DEFAULT_PREFIX.to_owned());
    let mut bus_config = BusConfig::new(config.redis_url(), Keys::new(&prefix));
    bus_config.history = HistorySettings {
        size: args.history_size,
        ..HistorySettings::default()
    };
    let environment = ChildEnvironment {
        redis_url: config.redis_url(),
        key_prefix: Some(prefix.clone()),
    };
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

    // A private Redis comes first: nothing else works without it.
    if matches!(config.redis, RedisPlacement::Private { .. }) {
        if let Some(dir) = config.private_redis_dir() {
            std::fs::create_dir_all(&dir).with_context(|| {
                format!("cannot create the Redis data directory {}", dir.display())
            })?;
        }
        supervisor.launch(&[PRIVATE_REDIS], &Default::default());
    }
    let connect = async {
        let bus = Bus::connect(bus_config.clone(), "process-manager").await?;
        let control_bus = Bus::connect(bus_config.clone(), "process-manager commands").await?;
        anyhow::Ok((bus, control_bus))
    };
    let (bus, control_bus) = tokio::select! {
        connected = connect => connected.context("cannot connect to Redis")?,
        _ = shutdown.wait() => {
            supervisor.shutdown().await;
            return Ok(());
        }
    };
    let lease = Lease {
        key: bus.keys().pm_alive(),
        owner: manager_id.clone(),
        ttl: LEASE_TTL,
    };
    // Wait out a killed predecessor's lease (it expires within its TTL);
    // refuse to run beside a live manager. Once held, only another manager
    // taking the lease stops this one: a Redis outage does not.
    let taken = tokio::select! {
        taken = bus.take_lease(lease, LeaseLoss::WhenTaken, LEASE_TTL + Duration::from_secs(1)) => taken,
        _ = shutdown.wait() => anyhow::bail!("stopped while waiting for the manager lease"),
    };
    let mut lease = match taken {
        Ok(keeper) => keeper,
        Err(BusError::LeaseHeld { holder, .. }) => anyhow::bail!(
            "another process manager ({holder}) is running against this Redis and key prefix; stop it first (or use another --key-prefix)"
        ),
        Err(error) => return Err(error.into()),
    };

    // What a killed predecessor left behind.
    let own_groups: Vec<u32> = Vec::new();
    let groups = bus.remembered_groups().await?;
    let found = strays::sweep(&groups);
    if found > 0 {
        tracing::warn!(
            processes = found,
            "swept processes left by a previous manager"
        );
    }
    for (pgid, _) in &groups {
        if !own_groups.contains(pgid) {
            bus.forget_group(*pgid).await?;
        }
    }
    bus.clear_process_states().await?;
    let desired = bus.desired_states().await?;
    bus_tx.send_replace(Some(bus.clone()));
    supervisor.launch(&[], &desired);

    let (commands_tx, mut commands_rx) = mpsc::channel::<ProcessCommand>(256);
    let stop_reading = shutdown.token().child_token();
    let reader = tokio::spawn(control::read_commands(
        control_bus.clone(),
        manager_id.clone(),
        commands_tx,
        stop_reading.clone(),
    ));
    let mut figures = tokio::time::interval(Duration::from_secs(1));
    let mut last_figures = tokio::time::Instant::now();
    let mut last_topology: Option<Vec<asynchronio_protocol::process::StageStats>> = None;
    let mut last_published = tokio::time::Instant::now();
    tracing::info!(
        programs = supervisor.config().programs.len(),
        "process manager running"
    );
    loop {
        // Shutdown first, and every Redis call below raced against it: with
        // Redis down a call waits out its timeout, and SIGTERM must not.
        tokio::select! {
            biased;
            _ = shutdown.wait() => break,
            Some(command) = commands_rx.recv() => {
                tracing::info!(id = command.id, action = command.action.verb(), sender = command.sender, "command");
                let outcome = supervisor.handle(command.action.clone()).await;
                let bus = bus.clone();
                tokio::spawn(async move {
                    let result = match outcome.await {
                        Ok(message) => CommandResult { id: command.id, ok: true, message },
                        Err(message) => CommandResult { id: command.id, ok: false, message },
                    };
                    if let Err(error) = bus.push_command_result(&result).await {
                        tracing::warn!(%error, "cannot answer a command");
                    }
                });
            }
            () = lease.lost() => {
                tracing::error!("another process manager took over this Redis; stopping");
                break;
            }
            _ = figures.tick() => {
                let interval = last_figures.elapsed();
                last_figures = tokio::time::Instant::now();
                let topology = tokio::select! {
                    biased;
                    _ = shutdown.wait() => break,
                    topology = supervisor.topology(&bus, interval) => topology,
                };
                if topology.stages.is_empty() {
                    continue;
                }
                let changed = last_topology.as_ref() != Some(&topology.stages);
                if changed || last_published.elapsed() >= Duration::from_secs(10) {
                    last_published = tokio::time::Instant::now();
                    last_topology = Some(topology.stages.clone());
                    tokio::select! {
                        biased;
                        _ = shutdown.wait() => break,
                        () = publish_topology(&bus, &topology) => {}
                    }
                }
            }
        }
    }
    // Renewal ends with the loop, as it always has: a successor may take
    // the lease once it expires, while this manager is still stopping.
    lease.stop_renewing();
    tracing::info!("stopping every program");
    stop_reading.cancel();
    join_within(reader, FAREWELL, "the command reader").await;
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
    tracing::info!("process manager stopped");
    Ok(())
}

async fn publish_topology(bus: &Bus, topology: &asynchronio_protocol::process::PipelineTopology) {
    if let Err(error) = bus.write_pipeline_topology(topology).await {
        tracing::warn!(%error, "cannot store the pipeline topology");
        return;
    }
    let Ok(draft) = EnvelopeDraft::json(PIPELINES_CHANNEL, topology, "process-manager") else {
        return;
    };
    if let Err(error) = bus.publish(&draft, None).await {
        tracing::warn!(%error, "cannot publish the pipeline topology");
    }
}
