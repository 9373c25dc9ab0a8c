//! The container stack of docker-compose.yml as a test fixture: a compose
//! project of its own (its own name, ports and volumes), with the Docker
//! commands the container tests need (`tests/tests/compose.rs` and the
//! chaos suite, `tests/tests/chaos/`).

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::free_port;

/// How many containers [`Stack::up_scaled`] runs.
pub const SCALED_CONTAINERS: usize = 11;

/// A compose project of its own, taken down with its volumes on drop.
pub struct Stack {
    /// The compose project name (`COMPOSE_PROJECT_NAME`).
    pub project: String,
    /// The REST API's port on loopback, through the load balancer.
    pub api_port: u16,
    /// The WebSocket port on loopback, through the load balancer.
    pub ws_port: u16,
    /// Prometheus' port on loopback.
    pub prometheus_port: u16,
    /// The admin key the stack runs with.
    pub admin_key: String,
    /// Compose files after docker-compose.yml (`-f`), relative to the
    /// repository root; overrides for one test.
    pub overrides: Vec<String>,
    /// More environment for compose, for variables the overrides use.
    pub env: Vec<(String, String)>,
}

impl Stack {
    /// A project named `{name}-{pid}` on free loopback ports, run with the
    /// admin key `admin_key`. Nothing starts until [`Stack::compose_ok`]
    /// is called with `up`.
    pub fn new(name: &str, admin_key: &str) -> Stack {
        Stack {
            project: format!("{name}-{}", std::process::id()),
            api_port: free_port(),
            ws_port: free_port(),
            prometheus_port: free_port(),
            admin_key: admin_key.to_owned(),
            overrides: Vec::new(),
            env: Vec::new(),
        }
    }

    /// Runs `docker compose` on the project with `args`.
    pub fn compose(&self, args: &[&str]) -> Output {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let mut files: Vec<&str> = Vec::new();
        if !self.overrides.is_empty() {
            files.extend(["-f", "docker-compose.yml"]);
            for file in &self.overrides {
                files.extend(["-f", file]);
            }
        }
        let output = Command::new(format!("{root}/deploy/docker/compose.sh"))
            .args(&files)
            .args(args)
            .env("COMPOSE_PROJECT_NAME", &self.project)
            .env("API_PORT", self.api_port.to_string())
            .env("WS_PORT", self.ws_port.to_string())
            .env("PROMETHEUS_PORT", self.prometheus_port.to_string())
            .env("ASYNCHRONIO_ADMIN_KEY", &self.admin_key)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output();
        match output {
            Ok(output) => output,
            Err(error) => panic!("cannot run docker compose: {error}"),
        }
    }

    /// Runs `docker compose` with `args`; panics with its error output when
    /// it fails, else returns its output, trimmed.
    pub fn compose_ok(&self, args: &[&str]) -> String {
        let output = self.compose(args);
        assert!(
            output.status.success(),
            "docker compose {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Brings the stack up from the built images with three gateways and
    /// two bridges, and waits until its 11 containers are healthy (redis,
    /// postgres, 2 bridges, 3 gateways, rest-api, process-manager, lb,
    /// prometheus).
    pub fn up_scaled(&self) {
        self.compose_ok(&[
            "up",
            "-d",
            "--no-build",
            "--scale",
            "ws-gateway=3",
            "--scale",
            "redis-bridge=2",
        ]);
        self.wait_healthy(SCALED_CONTAINERS, Duration::from_secs(180));
    }

    /// Container ids of one service.
    pub fn containers(&self, service: &str) -> Vec<String> {
        let label = format!("label=com.docker.compose.service={service}");
        let project = format!("label=com.docker.compose.project={}", self.project);
        docker(&["ps", "-q", "--filter", &project, "--filter", &label])
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Running containers of the project.
    pub fn running_containers(&self) -> Vec<String> {
        let project = format!("label=com.docker.compose.project={}", self.project);
        docker(&["ps", "-q", "--filter", &project])
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Waits until `expected` containers of the project run and are healthy.
    pub fn wait_healthy(&self, expected: usize, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            let ids = self.running_containers();
            let states: Vec<String> = ids
                .iter()
                .map(|id| {
                    docker(&[
                        "inspect",
                        "-f",
                        "{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}",
                        id,
                    ])
                })
                .collect();
            let healthy = states
                .iter()
                .filter(|s| s.ends_with(" running healthy"))
                .count();
            if ids.len() == expected && healthy == expected {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "containers not healthy after {limit:?}: {states:#?}"
            );
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let logs = self.compose(&["logs", "--no-color", "--tail", "40"]);
            eprintln!("{}", String::from_utf8_lossy(&logs.stdout));
        }
        let down = self.compose(&["down", "-v", "--remove-orphans", "-t", "5"]);
        if !down.status.success() {
            eprintln!(
                "docker compose down -v failed: {}",
                String::from_utf8_lossy(&down.stderr)
            );
        }
    }
}

/// Runs `docker` with `args`; panics when it fails, else returns its
/// output, trimmed.
pub fn docker(args: &[&str]) -> String {
    match try_docker(args) {
        Ok(output) => output,
        Err(error) => panic!("{error}"),
    }
}

/// Runs `docker` with `args`: its output, trimmed, or why it failed.
pub fn try_docker(args: &[&str]) -> Result<String, String> {
    match Command::new("docker").args(args).output() {
        Ok(output) if output.status.success() => {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        }
        Ok(output) => Err(format!(
            "docker {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )),
        Err(error) => Err(format!("cannot run docker: {error}")),
    }
}

/// The first IP address of a container on its networks.
pub fn ip_of(container: &str) -> String {
    docker(&[
        "inspect",
        "-f",
        "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
        container,
    ])
    .split_whitespace()
    .next()
    .unwrap_or_default()
    .to_owned()
}
