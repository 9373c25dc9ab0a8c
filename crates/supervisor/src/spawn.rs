//! Starting one instance of a program: its own process group, a parent-death
//! signal so it cannot outlive a killed manager, the environment every
//! Asynchronio child gets, and piped output for log capture.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::process::{Child, Command};

use crate::config::ProgramSpec;

/// Environment every child gets unless its program sets the variable.
#[derive(Debug, Clone)]
pub struct ChildEnvironment {
    /// Given as `REDIS_URL`.
    pub redis_url: String,
    /// Given as `ASYNCHRONIO_KEY_PREFIX`, when set.
    pub key_prefix: Option<String>,
}

/// Whether the instance talks the stdio processor protocol (stdin and
/// stdout piped to the stage runner) or is a plain process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stdin {
    /// Nothing to read (`/dev/null`): a process.
    Null,
    /// A pipe from the manager: a stage's processor reads its requests.
    Piped,
}

/// Why a program could not be started; the message says what to fix.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot start {name:?} ({command}): {source}; check `command` and `cwd` ({cwd}) in the configuration"
)]
/// A program that cannot be started, with what was tried.
pub struct SpawnError {
    name: String,
    command: String,
    cwd: String,
    #[source]
    source: std::io::Error,
}

/// Spawns one instance.
pub fn spawn(
    spec: &ProgramSpec,
    instance: u32,
    environment: &ChildEnvironment,
    stdin: Stdin,
) -> Result<Child, SpawnError> {
    let program = resolve_command(&spec.command, &spec.cwd);
    let mut command = Command::new(&program);
    command
        .args(&spec.args)
        .current_dir(&spec.cwd)
        .env("REDIS_URL", &environment.redis_url)
        .env("ASYNCHRONIO_PROCESS", &spec.name)
        .env("ASYNCHRONIO_INSTANCE", instance.to_string())
        .stdin(match stdin {
            Stdin::Null => Stdio::null(),
            Stdin::Piped => Stdio::piped(),
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A group of its own: stopping signals the whole group, so no
        // grandchild survives its parent.
        .process_group(0)
        .kill_on_drop(false);
    if let Some(prefix) = &environment.key_prefix {
        command.env("ASYNCHRONIO_KEY_PREFIX", prefix);
    }
    command.envs(&spec.env);
    die_with_parent(&mut command);
    command.spawn().map_err(|source| SpawnError {
        name: spec.name.clone(),
        command: program.display().to_string(),
        cwd: spec.cwd.display().to_string(),
        source,
    })
}

/// Asks the kernel to SIGKILL the child when the manager dies, however it
/// dies (PR_SET_PDEATHSIG), so a manager killed with SIGKILL leaves no
/// children behind. Grandchildren are swept by the next manager
/// ([`crate::strays`]).
#[allow(unsafe_code)]
pub fn die_with_parent(command: &mut Command) {
    let manager = nix::unistd::getpid();
    // SAFETY: the hook runs in the forked child before exec. It only makes
    // two async-signal-safe system calls (prctl, getppid) and allocates
    // nothing, as `pre_exec` requires.
    unsafe {
        command.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(std::io::Error::from)?;
            // The manager may have died between fork and prctl.
            if nix::unistd::getppid() != manager {
                return Err(std::io::Error::other("process manager exited"));
            }
            Ok(())
        });
    }
}

/// A bare command name is looked up next to the manager's own binary first
/// (where the Asynchronio services are installed), then on `PATH`; a path
/// with a slash is taken relative to the working directory.
pub fn resolve_command(command: &str, cwd: &Path) -> PathBuf {
    if command.contains('/') {
        let path = PathBuf::from(command);
        return if path.is_absolute() {
            path
        } else {
            cwd.join(path)
        };
    }
    if let Some(beside) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(command)))
        .filter(|p| p.is_file())
    {
        return beside;
    }
    PathBuf::from(command)
}

/// Sends `signal` to every process of the group led by `pgid`; false when
/// the group has no process left.
pub fn signal_group(pgid: u32, signal: Signal) -> bool {
    match killpg(Pid::from_raw(pgid as i32), signal) {
        Ok(()) => true,
        Err(nix::errno::Errno::ESRCH) => false,
        Err(error) => {
            tracing::warn!(pgid, %error, "cannot signal process group");
            false
        }
    }
}

/// Whether any process of the group is still alive.
pub fn group_alive(pgid: u32) -> bool {
    killpg(Pid::from_raw(pgid as i32), None).is_ok()
}
