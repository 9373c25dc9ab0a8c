//! The faults: what each kind does to a container and how it is undone,
//! and the schedule drawn from the seed.
//!
//! Partitions and slow links are made from this host, inside the
//! container's network namespace (`nsenter -t PID -n iptables|tc`), so no
//! container is granted NET_ADMIN: the services run exactly as a user runs
//! them.

use std::collections::BTreeMap;
use std::fmt;
use std::process::Command;
use std::time::Duration;

use asynchronio_e2e::compose::{ip_of, try_docker};

use super::rng::Rng;

/// A kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// SIGKILL, then `docker start` after the hold.
    Kill,
    /// `docker pause` (a frozen process, not a dead one) for the hold.
    Pause,
    /// Every packet between the container and Redis dropped for the hold.
    Partition,
    /// A slow, lossy link: added latency, jitter and packet loss (netem),
    /// or where the kernel has no netem, a throttled bandwidth and packet
    /// loss (see [`Shaper`]).
    SlowLink,
    /// Redis stopped and started again; it reloads its AOF.
    RedisRestart,
    /// `CLIENT KILL` of every normal and pub/sub connection to Redis.
    ClientKill,
    /// The archiver's database made read-only for the hold.
    ReadOnlyArchive,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 7] = [
        Kind::Kill,
        Kind::Pause,
        Kind::Partition,
        Kind::SlowLink,
        Kind::RedisRestart,
        Kind::ClientKill,
        Kind::ReadOnlyArchive,
    ];

    /// The name the schedule and the report print.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Kill => "kill",
            Kind::Pause => "pause",
            Kind::Partition => "partition",
            Kind::SlowLink => "slow-link",
            Kind::RedisRestart => "redis-restart",
            Kind::ClientKill => "client-kill",
            Kind::ReadOnlyArchive => "read-only-archive",
        }
    }

    /// The services this kind may hit.
    fn services(self) -> &'static [&'static str] {
        const SERVICES: &[&str] = &["ws-gateway", "redis-bridge", "rest-api", "process-manager"];
        match self {
            Kind::Kill | Kind::Partition => SERVICES,
            Kind::Pause | Kind::SlowLink => &[
                "ws-gateway",
                "redis-bridge",
                "rest-api",
                "process-manager",
                "redis",
            ],
            Kind::RedisRestart | Kind::ClientKill => &["redis"],
            Kind::ReadOnlyArchive => &["postgres"],
        }
    }
}

/// A container: a compose service and a replica index (its containers
/// sorted by name).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    /// The compose service.
    pub service: &'static str,
    /// Which of its containers, from 0.
    pub replica: usize,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.service, self.replica)
    }
}

/// One scheduled fault.
#[derive(Debug, Clone)]
pub struct Fault {
    /// When it starts, from the start of the load.
    pub at: Duration,
    /// What it does.
    pub kind: Kind,
    /// To which container.
    pub target: Target,
    /// How long it lasts before it is undone.
    pub hold: Duration,
    /// For slow links: how slow and lossy.
    pub link: Link,
}

/// A slow link's figures, all drawn from the seed whichever shaper is used.
#[derive(Debug, Clone, Copy)]
pub struct Link {
    /// Added delay, ms (netem).
    pub delay_ms: u64,
    /// Jitter on the delay, ms (netem).
    pub jitter_ms: u64,
    /// Packets dropped, percent (both shapers).
    pub loss_percent: u64,
    /// Bandwidth, kbit/s (the throttle).
    pub rate_kbit: u64,
}

/// How a slow link is made on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shaper {
    /// `tc netem`: delay, jitter and loss.
    Netem,
    /// Without netem in the kernel: `tc tbf` throttles the bandwidth (so
    /// queues, and latency, build under load) and `iptables -m statistic`
    /// drops packets at random.
    Throttle,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "t+{:>6.1}s {:<17} {:<17} for {:.1}s",
            self.at.as_secs_f64(),
            self.kind.name(),
            self.target.to_string(),
            self.hold.as_secs_f64()
        )?;
        if self.kind == Kind::SlowLink {
            let link = self.link;
            write!(
                f,
                " (netem: delay {}±{} ms; throttle: {} kbit/s; loss {}%)",
                link.delay_ms, link.jitter_ms, link.rate_kbit, link.loss_percent
            )?;
        }
        Ok(())
    }
}

/// The faults of a run of `window`, from `seed`: one starts every 2 to 6 s
/// (so they overlap), each on a container no other fault holds then.
/// `replicas` says how many containers each service has; `kinds` are the
/// kinds this machine can inject.
pub fn schedule(
    seed: u64,
    window: Duration,
    replicas: &BTreeMap<&'static str, usize>,
    kinds: &[Kind],
) -> Vec<Fault> {
    let mut rng = Rng::new(seed);
    let mut busy: BTreeMap<Target, Duration> = BTreeMap::new();
    let mut faults = Vec::new();
    let mut at = Duration::from_secs(3);
    while at < window {
        let kind = *rng.pick(kinds);
        let service = *rng.pick(kind.services());
        let count = replicas.get(service).copied().unwrap_or(1).max(1);
        let target = Target {
            service,
            replica: rng.between(0, count as u64 - 1) as usize,
        };
        let hold = Duration::from_millis(match kind {
            Kind::RedisRestart | Kind::ClientKill => 0,
            Kind::Pause if service == "redis" => rng.between(500, 3_000),
            Kind::SlowLink | Kind::ReadOnlyArchive => rng.between(3_000, 10_000),
            _ => rng.between(1_000, 6_000),
        });
        let link = Link {
            delay_ms: rng.between(20, 200),
            jitter_ms: rng.between(0, 50),
            loss_percent: rng.between(0, 10),
            rate_kbit: rng.between(256, 4_096),
        };
        // A fault holds its container while it lasts, and a Redis restart
        // for the seconds Redis takes to come back.
        let held_until = at + hold + Duration::from_secs(3);
        // Redis-wide faults exclude each other: one container.
        let free = busy.get(&target).is_none_or(|until| *until <= at);
        if free && at + hold < window {
            busy.insert(target.clone(), held_until);
            faults.push(Fault {
                at,
                kind,
                target,
                hold,
                link,
            });
        }
        at += Duration::from_millis(rng.between(2_000, 6_000));
    }
    faults
}

/// What undoes an injected fault.
pub enum Undo {
    /// `docker start`.
    Start(String),
    /// `docker unpause`.
    Unpause(String),
    /// Remove the two DROP rules for the Redis address from the container
    /// (found again by its id: a restart gives it a new process).
    Unpartition(String, String),
    /// Remove the qdisc (and the throttle's loss rules, of that percent).
    Unslow(String, Shaper, u64),
    /// Make the database writable again.
    Writable(String),
    /// Nothing to undo.
    Nothing,
}

/// Applies `fault` to `container`; what undoes it, or why it failed.
pub fn inject(fault: &Fault, container: &str, redis: &str, shaper: Shaper) -> Result<Undo, String> {
    let id = container.to_owned();
    match fault.kind {
        Kind::Kill => {
            try_docker(&["kill", "-s", "KILL", container])?;
            Ok(Undo::Start(id))
        }
        Kind::Pause => {
            try_docker(&["pause", container])?;
            Ok(Undo::Unpause(id))
        }
        Kind::Partition => {
            let redis_ip = ip_of(redis);
            partition_rules(container, "-I", &redis_ip)?;
            Ok(Undo::Unpartition(id, redis_ip))
        }
        Kind::SlowLink => {
            shape(container, shaper, fault.link)?;
            Ok(Undo::Unslow(id, shaper, fault.link.loss_percent))
        }
        Kind::RedisRestart => {
            try_docker(&["restart", "-t", "10", container])?;
            Ok(Undo::Nothing)
        }
        Kind::ClientKill => {
            for kind in ["normal", "pubsub"] {
                try_docker(&[
                    "exec",
                    container,
                    "redis-cli",
                    "CLIENT",
                    "KILL",
                    "TYPE",
                    kind,
                ])?;
            }
            Ok(Undo::Nothing)
        }
        Kind::ReadOnlyArchive => {
            psql(
                container,
                &[
                    "ALTER SYSTEM SET default_transaction_read_only = on",
                    "SELECT pg_reload_conf()",
                ],
            )?;
            Ok(Undo::Writable(id))
        }
    }
}

/// Undoes a fault; why it failed, if it did. A partition or slow link
/// whose container restarted meanwhile went with its old network
/// namespace: a rule or qdisc not found there is not a failure.
pub fn undo(undo: Undo) -> Result<(), String> {
    match undo {
        Undo::Start(id) => try_docker(&["start", &id]).map(drop),
        Undo::Unpause(id) => try_docker(&["unpause", &id]).map(drop),
        Undo::Unpartition(id, redis_ip) => partition_rules(&id, "-D", &redis_ip).or_else(gone),
        Undo::Unslow(id, shaper, loss) => {
            let qdisc = in_namespace(&id, &["tc", "qdisc", "del", "dev", "eth0", "root"]);
            let rules = match shaper {
                Shaper::Netem => Ok(()),
                Shaper::Throttle => loss_rules(&id, "-D", loss),
            };
            qdisc.and(rules).or_else(gone)
        }
        Undo::Writable(id) => psql(
            &id,
            &[
                "SET default_transaction_read_only = off",
                "ALTER SYSTEM RESET default_transaction_read_only",
                "SELECT pg_reload_conf()",
            ],
        ),
        Undo::Nothing => Ok(()),
    }
}

/// Inserts (`-I`) or deletes (`-D`) the two rules that drop every
/// packet between `container` and `redis_ip`. An insert that fails half way
/// takes its first rule back.
fn partition_rules(container: &str, action: &str, redis_ip: &str) -> Result<(), String> {
    let input = ["iptables", action, "INPUT", "-s", redis_ip, "-j", "DROP"];
    let output = ["iptables", action, "OUTPUT", "-d", redis_ip, "-j", "DROP"];
    let first = in_namespace(container, &input);
    if action == "-I" {
        first?;
        return in_namespace(container, &output).inspect_err(|_| {
            let _ = in_namespace(
                container,
                &["iptables", "-D", "INPUT", "-s", redis_ip, "-j", "DROP"],
            );
        });
    }
    let second = in_namespace(container, &output);
    first.and(second)
}

/// Makes `container`'s link slow and lossy with `shaper`.
fn shape(container: &str, shaper: Shaper, link: Link) -> Result<(), String> {
    let root = ["tc", "qdisc", "add", "dev", "eth0", "root"];
    match shaper {
        Shaper::Netem => {
            let (delay, jitter) = (
                format!("{}ms", link.delay_ms),
                format!("{}ms", link.jitter_ms),
            );
            let loss = format!("{}%", link.loss_percent);
            let netem = ["netem", "delay", &delay, &jitter, "loss", &loss];
            in_namespace(container, &[&root[..], &netem].concat())
        }
        Shaper::Throttle => {
            let rate = format!("{}kbit", link.rate_kbit);
            let tbf = ["tbf", "rate", &rate, "burst", "32kbit", "latency", "400ms"];
            in_namespace(container, &[&root[..], &tbf].concat())?;
            loss_rules(container, "-I", link.loss_percent).inspect_err(|_| {
                let _ = in_namespace(container, &["tc", "qdisc", "del", "dev", "eth0", "root"]);
            })
        }
    }
}

/// Inserts (`-I`) or deletes (`-D`) the rules that drop `percent` of the
/// packets in and out at random (none for 0).
fn loss_rules(container: &str, action: &str, percent: u64) -> Result<(), String> {
    if percent == 0 {
        return Ok(());
    }
    let probability = format!("{:.2}", percent as f64 / 100.0);
    for chain in ["INPUT", "OUTPUT"] {
        in_namespace(
            container,
            &[
                "iptables",
                action,
                chain,
                "-m",
                "statistic",
                "--mode",
                "random",
                "--probability",
                &probability,
                "-j",
                "DROP",
            ],
        )?;
    }
    Ok(())
}

/// Treats "nothing to undo" as done: the rule or qdisc went with the
/// network namespace of a container that restarted.
fn gone(error: String) -> Result<(), String> {
    const NOTHING: [&str; 4] = [
        "does a matching rule exist",
        "Bad rule",
        "No such file or directory",
        "Cannot delete qdisc with handle of zero",
    ];
    if NOTHING.iter().any(|sign| error.contains(sign)) {
        Ok(())
    } else {
        Err(error)
    }
}

/// Whether this host can run `commands` inside `container`'s network
/// namespace (`nsenter`, root and the tools are needed); why not, if not.
pub fn can_enter(container: &str, commands: &[&[&str]]) -> Result<(), String> {
    commands
        .iter()
        .try_for_each(|command| in_namespace(container, command))
}

/// Runs `command` in the network namespace of `container`, from this host.
fn in_namespace(container: &str, command: &[&str]) -> Result<(), String> {
    let pid = try_docker(&["inspect", "-f", "{{.State.Pid}}", container])?;
    let output = Command::new("nsenter")
        .args(["-t", &pid, "-n"])
        .args(command)
        .output()
        .map_err(|error| format!("cannot run nsenter: {error}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "nsenter -t {pid} -n {command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// Runs `statements` with psql in the postgres container, one transaction
/// each, as the database's owner.
fn psql(container: &str, statements: &[&str]) -> Result<(), String> {
    let mut args = vec![
        "exec",
        container,
        "psql",
        "-v",
        "ON_ERROR_STOP=1",
        "-U",
        "asynchronio",
        "-d",
        "asynchronio",
    ];
    for statement in statements {
        args.extend(["-c", statement]);
    }
    try_docker(&args).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replicas() -> BTreeMap<&'static str, usize> {
        BTreeMap::from([
            ("ws-gateway", 3),
            ("redis-bridge", 2),
            ("rest-api", 1),
            ("process-manager", 1),
            ("redis", 1),
            ("postgres", 1),
        ])
    }

    #[test]
    fn a_seed_gives_one_schedule_and_no_container_takes_two_faults_at_once() {
        let window = Duration::from_secs(600);
        let first = schedule(7, window, &replicas(), &Kind::ALL);
        let again = schedule(7, window, &replicas(), &Kind::ALL);
        let other = schedule(8, window, &replicas(), &Kind::ALL);
        let text = |faults: &[Fault]| faults.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(text(&first), text(&again));
        assert_ne!(text(&first), text(&other));
        assert!(first.len() > 50, "{} faults in 10 minutes", first.len());
        for kind in Kind::ALL {
            assert!(first.iter().any(|f| f.kind == kind), "no {}", kind.name());
        }
        for (i, a) in first.iter().enumerate() {
            assert!(a.at + a.hold < window);
            assert!(a.kind.services().contains(&a.target.service));
            assert!(a.target.replica < replicas()[a.target.service]);
            for b in &first[i + 1..] {
                if a.target == b.target {
                    assert!(b.at >= a.at + a.hold, "{a} overlaps {b}");
                }
            }
        }
    }

    #[test]
    fn only_the_kinds_given_are_scheduled() {
        let faults = schedule(1, Duration::from_secs(300), &replicas(), &[Kind::Kill]);
        assert!(!faults.is_empty());
        assert!(faults.iter().all(|f| f.kind == Kind::Kill));
    }
}
