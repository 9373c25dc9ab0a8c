//! A private Redis Cluster for one test: three masters with one replica
//! each, `redis-server --cluster-enabled yes` on free loopback ports, joined
//! with `redis-cli --cluster create`, each node in its own data directory.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use asynchronio_bus::{Bus, BusConfig};
use asynchronio_protocol::Keys;
use tempfile::TempDir;

use crate::process::free_port;
use crate::redis;

/// One cluster node.
struct Node {
    port: u16,
    dir: std::path::PathBuf,
    child: Option<Child>,
}

/// A running 3-master, 3-replica cluster; every node is killed on drop.
pub struct RedisCluster {
    nodes: Vec<Node>,
    _dir: TempDir,
}

impl RedisCluster {
    /// Starts six nodes, creates the cluster and waits until every slot is
    /// served.
    pub fn start() -> RedisCluster {
        let dir = crate::setup!(
            tempfile::tempdir(),
            "cannot create a directory for the cluster"
        );
        let mut nodes = Vec::new();
        for _ in 0..6 {
            let port = free_port();
            let node_dir = dir.path().join(port.to_string());
            crate::setup!(
                std::fs::create_dir_all(&node_dir),
                "cannot create {}",
                node_dir.display()
            );
            let child = redis::spawn(
                redis::server_command(port, &node_dir)
                    .args(["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"])
                    .args(["--cluster-config-file", "nodes.conf"])
                    .args(["--logfile", "redis.log"])
                    // Replicas sync at once rather than after the default 5 s.
                    .args(["--repl-diskless-sync-delay", "0"]),
            );
            nodes.push(Node {
                port,
                dir: node_dir.clone(),
                child: Some(child),
            });
        }
        let cluster = RedisCluster { nodes, _dir: dir };
        for node in &cluster.nodes {
            redis::wait_for_ping(node.port, Duration::from_secs(10));
        }
        let addresses: Vec<String> = cluster
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output();
        let created = crate::setup!(created, "cannot run redis-cli --cluster create");
        assert!(
            created.status.success(),
            "redis-cli --cluster create failed: {}",
            String::from_utf8_lossy(&created.stderr)
        );
        cluster.wait_until(
            Duration::from_secs(20),
            "the cluster serves every slot",
            || cluster.alive().all(|n| cluster_ok(n.port)),
        );
        // A replica that has not finished its first sync cannot take over.
        cluster.wait_until(Duration::from_secs(60), "every replica is in sync", || {
            let info: Vec<String> = cluster
                .alive()
                .map(|n| cli(n.port, &["info", "replication"]))
                .collect();
            info.iter().filter(|i| i.contains("role:slave")).count() == 3
                && info
                    .iter()
                    .filter(|i| i.contains("role:slave"))
                    .all(|i| i.contains("master_link_status:up"))
        });
        cluster
    }

    fn alive(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.child.is_some())
    }

    fn wait_until(&self, limit: Duration, what: &str, mut ready: impl FnMut() -> bool) {
        let deadline = Instant::now() + limit;
        while !ready() {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The URL services take: the three seed nodes the masters started on.
    pub fn url(&self) -> String {
        let seeds: Vec<String> = self
            .nodes
            .iter()
            .take(3)
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        format!("redis-cluster://{}", seeds.join(","))
    }

    /// A bus connected to the cluster.
    pub async fn bus(&self) -> Bus {
        crate::setup!(
            Bus::connect(BusConfig::new(self.url(), Keys::default()), "test").await,
            "cannot connect to the test cluster"
        )
    }

    /// Runs redis-cli against the master serving `key`'s slot.
    pub fn cli_on_master_of(&self, key: &str, args: &[&str]) -> String {
        cli(self.master_of(key), args)
    }

    /// The port of the master serving `key`'s slot now.
    pub fn master_of(&self, key: &str) -> u16 {
        match self.find_master_of(key) {
            Some(port) => port,
            None => panic!("no healthy master serves the slot of {key}"),
        }
    }

    /// The master serving `key`'s slot, unless it is failing.
    fn find_master_of(&self, key: &str) -> Option<u16> {
        let port = self.alive().next().map(|n| n.port).unwrap_or_default();
        let slot: u16 = cli(port, &["cluster", "keyslot", key])
            .parse()
            .unwrap_or(u16::MAX);
        for line in cli(port, &["cluster", "nodes"]).lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 9 || !fields[2].contains("master") || fields[2].contains("fail") {
                continue;
            }
            let serves = fields[8..].iter().any(|range| {
                let mut bounds = range.split('-').filter_map(|b| b.parse::<u16>().ok());
                match (bounds.next(), bounds.next()) {
                    (Some(low), Some(high)) => (low..=high).contains(&slot),
                    (Some(only), None) => only == slot,
                    _ => false,
                }
            });
            if serves {
                let address = fields[1].split('@').next().unwrap_or_default();
                return address.rsplit(':').next().and_then(|p| p.parse().ok());
            }
        }
        None
    }

    /// Kills (SIGKILL) the master serving `key` once its replica has
    /// received everything it wrote. Returns the killed master's port.
    ///
    /// Redis replicates asynchronously: a write a master acknowledged and
    /// had not yet sent to its replica dies with it, which no client of
    /// Redis Cluster can prevent. The kill therefore waits for the replica,
    /// so what the test checks is everything after that: that nothing the
    /// cluster still holds is lost or repeated on its way to clients.
    pub fn kill_caught_up_master_of(&mut self, key: &str) -> u16 {
        let victim = self.master_of(key);
        self.wait_until(Duration::from_secs(10), "the replica catches up", || {
            let info = cli(victim, &["info", "replication"]);
            let field = |name: &str| -> Option<u64> {
                info.lines()
                    .find_map(|line| line.strip_prefix(name))
                    .and_then(|v| v.trim().parse().ok())
            };
            let master_offset = field("master_repl_offset:");
            let replica_offset = info
                .lines()
                .find(|line| line.starts_with("slave0:"))
                .and_then(|line| line.split(',').find_map(|kv| kv.strip_prefix("offset=")))
                .and_then(|v| v.parse::<u64>().ok());
            matches!((master_offset, replica_offset), (Some(m), Some(r)) if r >= m)
        });
        if let Some(node) = self.nodes.iter_mut().find(|n| n.port == victim)
            && let Some(mut child) = node.child.take()
        {
            let _ = child.kill();
            let _ = child.wait();
        }
        victim
    }

    /// The second half: waits until a replica serves the killed master's
    /// slots. Returns the new master's port.
    pub fn wait_for_failover(&self, key: &str, victim: u16) -> u16 {
        let mut promoted = victim;
        self.wait_until(
            Duration::from_secs(30),
            "a replica takes over the killed master's slots",
            || {
                if !self.alive().all(|n| cluster_ok(n.port)) {
                    return false;
                }
                match self.find_master_of(key) {
                    Some(port) if port != victim => {
                        promoted = port;
                        true
                    }
                    _ => false,
                }
            },
        );
        promoted
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for node in &self.nodes {
                let log = std::fs::read_to_string(node.dir.join("redis.log")).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(60).collect();
                eprintln!("--- redis node {} ---", node.port);
                for line in tail.into_iter().rev() {
                    eprintln!("{line}");
                }
            }
        }
        for node in &mut self.nodes {
            if let Some(mut child) = node.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

fn cluster_ok(port: u16) -> bool {
    cli(port, &["cluster", "info"]).contains("cluster_state:ok")
}

fn cli(port: u16, args: &[&str]) -> String {
    match Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
    {
        Ok(output) => String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        Err(error) => panic!("cannot run redis-cli: {error}"),
    }
}
