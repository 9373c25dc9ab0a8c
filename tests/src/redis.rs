//! A private `redis-server` for one test.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use asynchronio_bus::{Bus, BusConfig, HistorySettings};
use asynchronio_protocol::Keys;
use tempfile::TempDir;

use crate::process::free_port;

/// A running redis-server with AOF persistence in a temporary directory.
pub struct RedisServer {
    /// The port it listens on.
    pub port: u16,
    dir: TempDir,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts redis-server on a free loopback port and waits until it answers.
    pub fn start() -> RedisServer {
        let dir = match tempfile::tempdir() {
            Ok(dir) => dir,
            Err(error) => panic!("cannot create a temporary directory for Redis: {error}"),
        };
        let mut server = RedisServer {
            port: free_port(),
            dir,
            child: None,
        };
        server.launch();
        server
    }

    fn launch(&mut self) {
        self.child = Some(spawn(&mut server_command(self.port, self.dir.path())));
        wait_for_ping(self.port, Duration::from_secs(10));
    }

    /// The URL services take (`--redis-url`).
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Its data directory (AOF files).
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and data directory; AOF
    /// brings back what was written.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }

    /// A bus connected to this server, for tests that publish or inspect.
    pub async fn bus(&self) -> Bus {
        self.bus_with(HistorySettings::default()).await
    }

    /// A bus that publishes with the given history settings.
    pub async fn bus_with(&self, history: HistorySettings) -> Bus {
        let mut config = BusConfig::new(self.url(), Keys::default());
        config.history = history;
        match Bus::connect(config, "test").await {
            Ok(bus) => bus,
            Err(error) => panic!("cannot connect to the test Redis: {error}"),
        }
    }

    /// Runs redis-cli against this server and returns its output.
    pub fn cli(&self, args: &[&str]) -> String {
        let output = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output();
        match output {
            Ok(output) => String::from_utf8_lossy(&output.stdout).trim().to_owned(),
            Err(error) => panic!("cannot run redis-cli: {error}"),
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A `redis-server` on a loopback `port` with AOF in `dir` (its working
/// directory too, so relative paths such as a log file land there).
pub(crate) fn server_command(port: u16, dir: &Path) -> Command {
    let mut command = Command::new("redis-server");
    command
        .args(["--port", &port.to_string()])
        .args(["--bind", "127.0.0.1"])
        .arg("--dir")
        .arg(dir)
        .args(["--appendonly", "yes", "--appendfsync", "everysec"])
        .args(["--save", ""])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Starts a command built by [`server_command`].
pub(crate) fn spawn(command: &mut Command) -> Child {
    match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            panic!("cannot start redis-server ({error}); install it (apt-get install redis-server)")
        }
    }
}

/// Waits until a server answers PING.
pub(crate) fn wait_for_ping(port: u16, limit: Duration) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if answers_ping(port) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("redis-server on port {port} did not answer PING within {limit:?}");
}

/// Whether a server on `port` answers one PING now.
pub(crate) fn answers_ping(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut reply = [0u8; 16];
    stream.write_all(b"PING\r\n").is_ok()
        && matches!(stream.read(&mut reply), Ok(n) if reply[..n].starts_with(b"+PONG"))
}
