//! A real `process-manager` for one test: a configuration file in its own
//! temporary directory (the programs' working directory), pointed at the
//! test's Redis, killed when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use asynchronio_bus::Bus;
use asynchronio_protocol::process::{CommandResult, InstanceState, ProcessAction};
use tempfile::TempDir;

use crate::process::binary;

/// A running `process-manager` with its configuration in a directory of its
/// own, killed when dropped.
pub struct Manager {
    dir: TempDir,
    redis_url: String,
    extra: Vec<String>,
    env: Vec<(String, String)>,
    child: Option<Child>,
}

impl Manager {
    /// Writes `config` (without a `[redis]` table; the test Redis is
    /// passed with `--redis-url`) and starts the manager on it.
    pub fn start(redis_url: &str, config: &str) -> Manager {
        Manager::start_with_args(redis_url, config, &[])
    }

    /// Like [`Manager::start`], with extra command-line arguments.
    pub fn start_with_args(redis_url: &str, config: &str, extra: &[&str]) -> Manager {
        Manager::start_with_env(redis_url, config, extra, &[])
    }

    /// Like [`Manager::start_with_args`], with extra environment variables.
    pub fn start_with_env(
        redis_url: &str,
        config: &str,
        extra: &[&str],
        env: &[(&str, String)],
    ) -> Manager {
        let dir = crate::setup!(tempfile::tempdir(), "temporary directory");
        crate::setup!(
            std::fs::write(dir.path().join("asynchronio.toml"), config),
            "write the configuration"
        );
        let mut manager = Manager {
            dir,
            redis_url: redis_url.to_owned(),
            extra: extra.iter().map(|arg| (*arg).to_owned()).collect(),
            env: env
                .iter()
                .map(|(name, value)| ((*name).to_owned(), value.clone()))
                .collect(),
            child: None,
        };
        manager.launch();
        manager
    }

    /// Starts (again) on the same configuration and directory.
    pub fn launch(&mut self) {
        let log = std::env::var("ASYNCHRONIO_TEST_LOGS").is_ok();
        let child = Command::new(binary("process-manager"))
            .arg("--config")
            .arg(self.dir.path().join("asynchronio.toml"))
            .arg("--redis-url")
            .arg(&self.redis_url)
            .args(["--sample-interval", "0.5"])
            .args(&self.extra)
            .envs(self.env.iter().map(|(name, value)| (name, value)))
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(if log { Stdio::inherit() } else { Stdio::null() })
            .spawn();
        self.child = Some(crate::setup!(child, "start process-manager"));
    }

    /// The directory holding the configuration (and the programs' files).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A file in [`Manager::dir`].
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The manager's process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILL, as a crash or the OOM killer would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM and wait for a clean exit (up to `limit`).
    pub fn terminate(&mut self, limit: Duration) -> bool {
        let Some(mut child) = self.child.take() else {
            return true;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }
}

impl Drop for Manager {
    fn drop(&mut self) {
        self.terminate(Duration::from_secs(15));
    }
}

/// Polls the manager's states until `done` holds (panics after `limit`).
pub async fn wait_states(
    bus: &Bus,
    limit: Duration,
    what: &str,
    done: impl Fn(&[InstanceState]) -> bool,
) -> Vec<InstanceState> {
    let deadline = Instant::now() + limit;
    loop {
        let states = bus.process_states().await.unwrap_or_default();
        if done(&states) {
            return states;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {what}; states: {states:#?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends a command and returns the manager's result.
pub async fn command(bus: &Bus, action: ProcessAction) -> CommandResult {
    crate::setup!(
        bus.send_process_command(action, "test", Duration::from_secs(60))
            .await,
        "process command"
    )
}

/// Whether a process exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// Reads a pid a test program wrote to a file, waiting for it to appear.
pub fn read_pid(path: &Path, limit: Duration) -> u32 {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(pid) = text.trim().parse()
        {
            return pid;
        }
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A `/proc/PID/status` memory figure in KiB (`VmHWM` is the peak resident
/// size, `VmRSS` the current one); 0 when the process is gone.
pub fn memory_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
                .and_then(|value| value.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}
