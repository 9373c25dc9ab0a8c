//! A private Redis Cluster for one test: three masters with one replica
//! each, `redis-server --cluster-enabled yes` on free loopback ports, joined
//! with `redis-cli --cluster create`, each node in its own data directory.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use asynchronio_bus::{Bus, BusConfig};
use asynchronio_protocol::Keys;
use tempfile::TempDir;

use crate::redis;

/// One cluster node.
struct Node {
    port: u16,
    dir: std::path::PathBuf,
    child: Option<Child>,
}

impl Node {
    /// Starts a cluster node in a directory of its own under `root`, on a
    /// port that clashes with none of `taken`, and waits until it answers.
    /// A free port can be taken by another test between the check and the
    /// server's bind; a node that exits is therefore started again on
    /// another port, up to five times.
    fn start(root: &std::path::Path, taken: &[u16]) -> Node {
        let mut last_log = String::new();
        for _ in 0..5 {
            let port = free_node_port(taken);
            let dir = root.join(port.to_string());
            crate::setup!(
                std::fs::create_dir_all(&dir),
                "cannot create {}",
                dir.display()
            );
            let mut child = redis::spawn(
                redis::server_command(port, &dir)
                    .args(["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"])
                    .args(["--cluster-config-file", "nodes.conf"])
                    .args(["--logfile", "redis.log"])
                    // Replicas sync at once rather than after the default 5 s.
                    .args(["--repl-diskless-sync-delay", "0"]),
            );
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if redis::answers_ping(port) {
                    return Node {
                        port,
                        dir,
                        child: Some(child),
                    };
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
            last_log = std::fs::read_to_string(dir.join("redis.log")).unwrap_or_default();
        }
        panic!("a redis cluster node failed to start five times; its last log:\n{last_log}");
    }
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
        let mut nodes: Vec<Node> = Vec::new();
        for _ in 0..6 {
            let taken: Vec<u16> = nodes.iter().map(|n| n.port).collect();
            nodes.push(Node::start(dir.path(), &taken));
        }
        let cluster = RedisCluster { nodes, _dir: dir };
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

/// A free loopback port for a cluster node. Redis also listens on the node's
/// cluster bus port, the port plus 10000, and aborts when it cannot: so that
/// port must exist (the node's port is at most 55535), be free, and not be
/// another node's port or bus port. A bus port taken by another test's
/// socket once left a node dead and the cluster test failing in CI.
fn free_node_port(taken: &[u16]) -> u16 {
    let candidates = std::iter::repeat_with(crate::process::free_port).take(1000);
    match node_port_among(candidates, taken) {
        Some(port) => port,
        None => panic!("found no loopback port whose cluster bus port (+10000) is free too"),
    }
}

/// The first of `candidates` fit for a cluster node (see
/// [`free_node_port`]).
fn node_port_among(candidates: impl IntoIterator<Item = u16>, taken: &[u16]) -> Option<u16> {
    use std::net::TcpListener;
    candidates.into_iter().find(|&port| {
        let Some(bus) = port.checked_add(10_000) else {
            return false;
        };
        let clashes = taken.iter().any(|&other| {
            [other, other.saturating_add(10_000)]
                .iter()
                .any(|p| *p == port || *p == bus)
        });
        !clashes && TcpListener::bind(("127.0.0.1", bus)).is_ok()
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_port_leaves_room_for_a_free_bus_port() {
        let held = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let held_bus = held.local_addr().expect("address").port();
        let Some(busy) = held_bus.checked_sub(10_000) else {
            return;
        };
        let free = node_port_among([crate::process::free_port()], &[]).expect("a fit port");
        // Too high for a bus port; bus port held by another socket; the
        // port or bus port of a node already started; then a fit one.
        let candidates = [56_000, busy, free, free + 10_000, free];
        assert_eq!(node_port_among(candidates, &[]), Some(free));
        assert_eq!(node_port_among(candidates, &[free]), None);
    }
}
