//! Starting the real service binaries for a test.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    match TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(addr) => addr.port(),
        Err(error) => panic!("cannot find a free port: {error}"),
    }
}

/// The directory cargo put the workspace binaries in (next to the test
/// executable's `deps/` directory).
pub fn binary(name: &str) -> PathBuf {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(error) => panic!("cannot locate the test executable: {error}"),
    };
    let mut dir = exe.parent().map(PathBuf::from).unwrap_or_default();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the binaries first (cargo build --workspace --bins, as make test does)",
        path.display()
    );
    path
}

/// A running service binary, killed when dropped.
pub struct Service {
    /// The binary's name.
    pub name: &'static str,
    /// The port it listens on.
    pub port: u16,
    child: Option<Child>,
}

impl Service {
    /// Starts `name` with `args` plus `--listen 127.0.0.1:{port}` and waits
    /// until the port accepts connections.
    pub fn start(name: &'static str, port: u16, args: &[String]) -> Service {
        Service::start_with_env(name, port, args, &[])
    }

    /// Like [`Service::start`], with extra environment variables.
    pub fn start_with_env(
        name: &'static str,
        port: u16,
        args: &[String],
        env: &[(&str, &str)],
    ) -> Service {
        let log = std::env::var("ASYNCHRONIO_TEST_LOGS").is_ok();
        let child = Command::new(binary(name))
            .envs(env.iter().copied())
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .args(args)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::null())
            .stderr(if log { Stdio::inherit() } else { Stdio::null() })
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(error) => panic!("cannot start {name}: {error}"),
        };
        let service = Service {
            name,
            port,
            child: Some(child),
        };
        service.wait_listening(Duration::from_secs(15));
        service
    }

    /// A ws-gateway on a free port against `redis_url`.
    pub fn gateway(redis_url: &str, extra: &[&str]) -> Service {
        Service::gateway_with_env(redis_url, extra, &[])
    }

    /// A ws-gateway with extra environment variables (e.g. the token secret).
    pub fn gateway_with_env(redis_url: &str, extra: &[&str], env: &[(&str, &str)]) -> Service {
        let mut args = vec!["--redis-url".to_owned(), redis_url.to_owned()];
        args.extend(extra.iter().map(|s| s.to_string()));
        Service::start_with_env("ws-gateway", free_port(), &args, env)
    }

    /// A redis-bridge on a free port against `redis_url`, with short leases
    /// so tests see ownership move quickly.
    pub fn bridge(redis_url: &str, extra: &[&str]) -> Service {
        let mut args = vec!["--redis-url".to_owned(), redis_url.to_owned()];
        args.extend(extra.iter().map(|s| s.to_string()));
        Service::start("redis-bridge", free_port(), &args)
    }

    /// A rest-api on a free port against `redis_url`, with its database
    /// at `database_url` and `admin_key` as the bootstrap key.
    pub fn rest(redis_url: &str, database_url: &str, admin_key: &str, extra: &[&str]) -> Service {
        Service::rest_with_env(redis_url, database_url, admin_key, extra, &[])
    }

    /// A rest-api with extra environment variables.
    pub fn rest_with_env(
        redis_url: &str,
        database_url: &str,
        admin_key: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Service {
        let mut args = vec![
            "--redis-url".to_owned(),
            redis_url.to_owned(),
            "--database-url".to_owned(),
            database_url.to_owned(),
            "--workers".to_owned(),
            "2".to_owned(),
            "--redis-timeout".to_owned(),
            "1".to_owned(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut all_env = vec![("ASYNCHRONIO_ADMIN_KEY", admin_key)];
        all_env.extend_from_slice(env);
        Service::start_with_env("rest-api", free_port(), &args, &all_env)
    }

    /// The WebSocket URL of a gateway started on [`Service::port`].
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.port)
    }

    /// Its process id (0 once it was killed).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    fn wait_listening(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "{} did not listen on port {} within {limit:?}",
            self.name, self.port
        );
    }

    /// Sends a signal (e.g. "TERM") to the process.
    pub fn signal(&self, signal: &str) {
        let _ = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status();
    }

    /// Kills the process at once, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Waits for the process to exit and returns whether it exited cleanly.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<bool> {
        let deadline = Instant::now() + limit;
        let child = self.child.as_mut()?;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return Some(status.success());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill();
    }
}
