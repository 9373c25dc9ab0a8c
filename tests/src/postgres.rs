//! A private PostgreSQL server for one test: initdb into a temporary
//! directory, started on a free loopback port, removed afterwards.
//! When the tests run as root (as in CI) the server runs as the `postgres`
//! user, since PostgreSQL refuses to run as root.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::process::free_port;

/// A throwaway PostgreSQL server on a free loopback port, stopped and
/// removed when dropped.
pub struct PostgresServer {
    /// The port it listens on.
    pub port: u16,
    child: Option<Child>,
    _dir: TempDir,
}

fn bin_dir() -> PathBuf {
    let root = PathBuf::from("/usr/lib/postgresql");
    let newest = std::fs::read_dir(&root)
        .ok()
        .and_then(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().to_str().and_then(|v| v.parse::<u32>().ok()))
                .max()
        })
        .unwrap_or_else(|| panic!("PostgreSQL is not installed (apt-get install postgresql)"));
    root.join(newest.to_string()).join("bin")
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A command for a PostgreSQL program, as the postgres user when root.
fn pg_command(program: PathBuf) -> Command {
    if running_as_root() {
        let mut command = Command::new("setpriv");
        command
            .args([
                "--reuid",
                "postgres",
                "--regid",
                "postgres",
                "--init-groups",
                "--",
            ])
            .arg(program);
        command
    } else {
        Command::new(program)
    }
}

impl PostgresServer {
    /// Initialises a cluster in a temporary directory, starts it and creates
    /// the `asynchronio` database.
    pub fn start() -> PostgresServer {
        let dir = match tempfile::tempdir() {
            Ok(dir) => dir,
            Err(error) => panic!("cannot create a directory for PostgreSQL: {error}"),
        };
        if running_as_root() {
            let _ = Command::new("chown")
                .arg("-R")
                .arg("postgres:postgres")
                .arg(dir.path())
                .status();
        }
        let data = dir.path().join("data");
        let bin = bin_dir();
        let init = pg_command(bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output();
        match init {
            Ok(output) if output.status.success() => {}
            Ok(output) => panic!("initdb failed: {}", String::from_utf8_lossy(&output.stderr)),
            Err(error) => panic!("cannot run initdb: {error}"),
        }
        let port = free_port();
        let child = pg_command(bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args([
                "-p",
                &port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
            ])
            .arg("-k")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(error) => panic!("cannot start postgres: {error}"),
        };
        let server = PostgresServer {
            port,
            child: Some(child),
            _dir: dir,
        };
        server.wait_ready(&bin);
        server
    }

    fn wait_ready(&self, bin: &std::path::Path) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let created = Command::new(bin.join("createdb"))
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &self.port.to_string(),
                    "-U",
                    "postgres",
                    "asynchronio",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            if created.is_ok_and(|s| s.success()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("PostgreSQL on port {} did not come up", self.port);
    }

    /// The database URL rest-api takes (`--database-url`).
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/asynchronio", self.port)
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
