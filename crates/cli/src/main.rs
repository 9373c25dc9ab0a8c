//! `asynchronio`: the command line of Asynchronio. `up` runs the whole
//! stack under the process manager; the other commands talk to a running
//! stack, only through Redis.

/// `println!` that ends the program quietly when stdout is closed (piped
/// into `head`, say) instead of panicking.
macro_rules! emit {
    ($($arg:tt)*) => { $crate::style::emit_line(&format!($($arg)*)) };
}

mod ansi;
mod channels;
mod dead_letters;
mod demo;
mod processes;
mod style;
mod table;
mod up;

use std::path::PathBuf;

use asynchronio_bus::{Bus, BusConfig};
use asynchronio_protocol::Keys;
use asynchronio_protocol::trace::TraceContext;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "asynchronio",
    version,
    about = "Run and control an Asynchronio stack"
)]
struct Cli {
    /// Redis of the stack.
    #[arg(long, global = true, env = "REDIS_URL")]
    redis_url: Option<String>,

    /// Key prefix of the stack.
    #[arg(
        long,
        global = true,
        env = "ASYNCHRONIO_KEY_PREFIX",
        default_value = "asynchronio"
    )]
    key_prefix: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the whole stack from a configuration file and keep it running
    /// (Ctrl-C stops it).
    Up {
        /// The configuration file.
        #[arg(long, short = 'c', default_value = "asynchronio.toml")]
        config: PathBuf,
        /// Seconds to wait for every process to be running.
        #[arg(long, default_value_t = 60)]
        wait: u64,
    },
    /// Show every supervised instance.
    Ps {
        /// One JSON object per instance, one per line.
        #[arg(long)]
        json: bool,
        /// Keep the table up to date as states change (Ctrl-C ends); with
        /// --json, print every state change as it happens.
        #[arg(long, short = 'w')]
        watch: bool,
        /// Print nothing; exit with status 1 when no process manager is
        /// alive (a container health check).
        #[arg(long, conflicts_with_all = ["json", "watch"])]
        check: bool,
    },
    /// Start a program's instances.
    Start { name: String },
    /// Stop a program's instances (signal, grace period, then SIGKILL).
    Stop { name: String },
    /// Restart a program's instances.
    Restart {
        name: String,
        /// Only this instance (numbered from 0) of a running program.
        #[arg(long)]
        instance: Option<u32>,
    },
    /// Run N instances of a program.
    Scale { name: String, instances: u32 },
    /// Re-read the configuration file and apply what changed.
    Reload,
    /// Print a program's captured output.
    Logs {
        name: String,
        /// Keep printing new lines.
        #[arg(long, short = 'f')]
        follow: bool,
        /// Lines of history to print first.
        #[arg(long, short = 'n', default_value_t = 100)]
        lines: usize,
    },
    /// Publish a message to a channel.
    Publish {
        channel: String,
        /// The payload (JSON is kept as JSON, anything else is text).
        data: String,
        /// Publishing again with the same key publishes nothing new.
        #[arg(long)]
        idempotency_key: Option<String>,
        /// Continue this W3C trace: the caller's `traceparent`.
        #[arg(long, env = "TRACEPARENT")]
        traceparent: Option<String>,
        /// The W3C `tracestate` that goes with `--traceparent`.
        #[arg(long, env = "TRACESTATE", requires = "traceparent")]
        tracestate: Option<String>,
    },
    /// Print a channel's messages as they are published.
    Subscribe {
        channel: String,
        /// Print the history after this offset first.
        #[arg(long)]
        since: Option<String>,
        /// One JSON object per message.
        #[arg(long)]
        json: bool,
    },
    /// Print a channel's recent messages, oldest first.
    History {
        channel: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Show pipeline stages with their rates, lag and errors.
    Pipelines {
        #[arg(long)]
        json: bool,
    },
    /// A stage's dead letters: list, show, replay, delete.
    #[command(subcommand)]
    DeadLetters(dead_letters::DeadLetters),
    /// Publish a sample series (a sine wave and a counter) for the demo
    /// and the dashboard's chart.
    Demo {
        #[arg(long, default_value = "demo.metrics")]
        channel: String,
        /// Messages per second.
        #[arg(long, default_value_t = 10.0)]
        rate: f64,
    },
}

fn main() {
    let cli = Cli::parse();
    if let Err(error) = run(cli) {
        eprintln!("{} {error:#}", style::error_label());
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Up { config, wait } = &cli.command {
        // `up` manages its own runtime and child.
        return up::run(config, cli.redis_url.as_deref(), &cli.key_prefix, *wait);
    }
    // Only `publish` is traced (OTEL_EXPORTER_OTLP_ENDPOINT); the guard
    // outlives the runtime, so the span is flushed before exiting.
    let _telemetry = matches!(cli.command, Command::Publish { .. })
        .then(asynchronio_service::telemetry::install_for_command);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let bus = connect(&cli).await?;
        match cli.command {
            Command::Up { .. } => Ok(()),
            Command::Ps { check: true, .. } => processes::check_manager(&bus).await,
            Command::Ps {
                json, watch: false, ..
            } => processes::ps(&bus, json).await,
            Command::Ps {
                json, watch: true, ..
            } => processes::watch(&bus, json).await,
            Command::Start { name } => processes::control(&bus, processes::Verb::Start, name).await,
            Command::Stop { name } => processes::control(&bus, processes::Verb::Stop, name).await,
            Command::Restart { name, instance } => {
                processes::control(&bus, processes::Verb::Restart { instance }, name).await
            }
            Command::Scale { name, instances } => processes::scale(&bus, name, instances).await,
            Command::Reload => processes::reload(&bus).await,
            Command::Logs {
                name,
                follow,
                lines,
            } => processes::logs(&bus, &name, follow, lines).await,
            Command::Publish {
                channel,
                data,
                idempotency_key,
                traceparent,
                tracestate,
            } => {
                // Often inherited from the environment, so a malformed one
                // must not stop the publish: it is reported and skipped.
                let trace =
                    TraceContext::checked_optional(traceparent.as_deref(), tracestate.as_deref())
                        .unwrap_or_else(|error| {
                            eprintln!("publishing as a new trace: {error}");
                            None
                        });
                channels::publish(&bus, &channel, data, idempotency_key.as_deref(), trace).await
            }
            Command::Subscribe {
                channel,
                since,
                json,
            } => channels::subscribe(&bus, &channel, since.as_deref(), json).await,
            Command::History {
                channel,
                limit,
                json,
            } => channels::history(&bus, &channel, limit, json).await,
            Command::Pipelines { json } => processes::pipelines(&bus, json).await,
            Command::DeadLetters(command) => dead_letters::run(&bus, command).await,
            Command::Demo { channel, rate } => demo::run(&bus, &channel, rate).await,
        }
    })
}

/// Connects, failing fast with a clear message when Redis is not there
/// (a command line should not wait for ever).
async fn connect(cli: &Cli) -> anyhow::Result<Bus> {
    let url = cli
        .redis_url
        .clone()
        .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned());
    let config = BusConfig::new(url.clone(), Keys::new(&cli.key_prefix));
    match tokio::time::timeout(
        std::time::Duration::from_secs(5),
        Bus::connect(config, "asynchronio cli"),
    )
    .await
    {
        Ok(Ok(bus)) => Ok(bus),
        Ok(Err(error)) => Err(error.into()),
        Err(_) => anyhow::bail!(
            "cannot reach Redis at {url}; is the stack running (`asynchronio up`)? Point --redis-url or REDIS_URL at its Redis"
        ),
    }
}
