//! `asynchronio up`: starts `process-manager` with the configuration, shows
//! progress until every program is running, prints the table, and stays in
//! the foreground until Ctrl-C (or SIGTERM), which stops the whole stack.
//! The manager's own log goes to `data/logs/process-manager.log` beside the
//! configuration; each program's output is in `asynchronio logs NAME`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use asynchronio_bus::{Bus, BusConfig};
use asynchronio_protocol::Keys;
use asynchronio_protocol::process::{InstanceState, ProcessStatus};
use asynchronio_supervisor::config::Config;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::style;

pub fn run(
    config_path: &Path,
    redis_url: Option<&str>,
    key_prefix: &str,
    wait: u64,
) -> anyhow::Result<()> {
    let config = Config::load(config_path, redis_url)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(up(
        config,
        config_path,
        redis_url,
        key_prefix,
        Duration::from_secs(wait),
    ))
}

async fn up(
    config: Config,
    config_path: &Path,
    redis_url: Option<&str>,
    key_prefix: &str,
    wait: Duration,
) -> anyhow::Result<()> {
    let base = config_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let (log, log_path) = open_manager_log(&base)?;
    let mut child = spawn_manager(config_path, redis_url, key_prefix, &base, log)?;
    let pid = child.id().map(|p| Pid::from_raw(p as i32));

    let bus_config = BusConfig::new(config.redis_url(), Keys::new(key_prefix));
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let progress = Progress::new();
    tokio::select! {
        status = child.wait() => {
            progress.finish("");
            let status = status?;
            anyhow::bail!(
                "process-manager exited ({status}) before the stack was up; its log:\n{}",
                tail(&log_path, 15)
            );
        }
        outcome = wait_until_up(bus_config, &config, wait, &progress) => {
            let (bus, states) = outcome?;
            tell_up(&bus, &states, &log_path).await?;
        }
        _ = tokio::signal::ctrl_c() => {}
        _ = sigterm.recv() => {}
    }
    // Stay until the stack stops: Ctrl-C reaches the manager too (same
    // terminal process group); SIGTERM to `up` is passed on.
    loop {
        tokio::select! {
            status = child.wait() => {
                let status = status?;
                println!("stopped");
                if status.success() {
                    return Ok(());
                }
                anyhow::bail!("process-manager exited with {status}; see {}", log_path.display());
            }
            _ = tokio::signal::ctrl_c() => {
                println!("stopping…");
                if let Some(pid) = pid { let _ = kill(pid, Signal::SIGTERM); }
            }
            _ = sigterm.recv() => {
                if let Some(pid) = pid { let _ = kill(pid, Signal::SIGTERM); }
            }
        }
    }
}

/// The manager's own log, `data/logs/process-manager.log` beside the
/// configuration, opened for appending; and its path.
fn open_manager_log(base: &Path) -> anyhow::Result<(std::fs::File, PathBuf)> {
    let log_dir = base.join("data/logs");
    std::fs::create_dir_all(&log_dir)
        .with_context(|| format!("cannot create {}", log_dir.display()))?;
    let log_path = log_dir.join("process-manager.log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("cannot open {}", log_path.display()))?;
    Ok((log, log_path))
}

/// Starts `process-manager` (beside this binary, in the build tree or on
/// PATH) with its output into `log`; it dies with `up`.
fn spawn_manager(
    config_path: &Path,
    redis_url: Option<&str>,
    key_prefix: &str,
    base: &Path,
    log: std::fs::File,
) -> anyhow::Result<tokio::process::Child> {
    let manager = asynchronio_supervisor::spawn::resolve_command("process-manager", base);
    let mut command = tokio::process::Command::new(&manager);
    command
        .arg("--config")
        .arg(config_path)
        .arg("--key-prefix")
        .arg(key_prefix)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    if let Some(url) = redis_url {
        command.env("REDIS_URL", url);
    }
    asynchronio_supervisor::spawn::die_with_parent(&mut command);
    command.spawn().with_context(|| {
        format!(
            "cannot start {}; build it with `cargo build --release` or put it on PATH",
            manager.display()
        )
    })
}

/// Shows progress until every configured program has a state and none is
/// starting or backing off, or `wait` passes; the bus and the last states.
async fn wait_until_up(
    bus_config: BusConfig,
    config: &Config,
    wait: Duration,
    progress: &Progress,
) -> anyhow::Result<(Bus, Vec<InstanceState>)> {
    let started = Instant::now();
    let bus = Bus::connect(bus_config, "asynchronio up").await?;
    let expected: Vec<String> = config.programs.iter().map(|p| p.name.clone()).collect();
    loop {
        let states = bus.process_states().await.unwrap_or_default();
        let waiting: Vec<&InstanceState> = states
            .iter()
            .filter(|s| matches!(s.status, ProcessStatus::Starting | ProcessStatus::Backoff))
            .collect();
        let missing = expected
            .iter()
            .any(|name| !states.iter().any(|s| &s.name == name));
        let running = states
            .iter()
            .filter(|s| s.status == ProcessStatus::Running)
            .count();
        if !missing && waiting.is_empty() && !states.is_empty() {
            progress.finish(&format!("{running} of {} instances running", states.len()));
            return Ok((bus, states));
        }
        let mut names: Vec<&str> = waiting.iter().map(|s| s.name.as_str()).collect();
        names.dedup();
        progress.update(&format!(
            "starting… {running}/{} running{}",
            states.len().max(expected.len()),
            if names.is_empty() {
                String::new()
            } else {
                format!(", waiting for {}", names.join(", "))
            }
        ));
        if started.elapsed() > wait {
            progress.finish("still starting; continuing in the background");
            return Ok((bus, states));
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// The stack is up: the table, the programs that failed, what to try next.
async fn tell_up(bus: &Bus, states: &[InstanceState], log_path: &Path) -> anyhow::Result<()> {
    let fatal: Vec<&str> = states
        .iter()
        .filter(|s| s.status == ProcessStatus::Fatal)
        .map(|s| s.name.as_str())
        .collect();
    crate::processes::ps(bus, false).await?;
    if !fatal.is_empty() {
        eprintln!(
            "{} failed to start: {} (see `asynchronio logs NAME`)",
            style::red("!"),
            fatal.join(", ")
        );
    }
    println!(
        "\n{} Ctrl-C stops everything. Try `asynchronio ps`, `asynchronio logs -f NAME`, `asynchronio subscribe demo.metrics`.\nManager log: {}",
        style::green("Asynchronio is up."),
        log_path.display()
    );
    Ok(())
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A spinner on a terminal; plain lines (only when they change) otherwise.
struct Progress {
    tty: bool,
    frame: std::cell::Cell<usize>,
    last: std::cell::RefCell<String>,
}

impl Progress {
    fn new() -> Self {
        Self {
            tty: std::io::stdout().is_terminal(),
            frame: std::cell::Cell::new(0),
            last: std::cell::RefCell::new(String::new()),
        }
    }

    fn update(&self, text: &str) {
        if self.tty {
            const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
            let frame = self.frame.get();
            self.frame.set(frame + 1);
            print!("\r\x1b[2K{} {text}", FRAMES[frame % FRAMES.len()]);
            let _ = std::io::stdout().flush();
        } else if *self.last.borrow() != text {
            println!("{text}");
            *self.last.borrow_mut() = text.to_owned();
        }
    }

    fn finish(&self, text: &str) {
        if self.tty {
            print!("\r\x1b[2K");
        }
        if !text.is_empty() {
            println!("{} {text}", style::green("✔"));
        }
    }
}
