//! Reading `/proc`: CPU time, resident memory and start time of a process,
//! and the list of processes in a process group (the process manager's
//! stray sweep and samples); [`own_rss_bytes`] for every service's node
//! heartbeat.

use std::sync::OnceLock;

/// What `/proc/{pid}/stat` tells about one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// Process id.
    pub pid: u32,
    /// Process group id.
    pub pgrp: u32,
    /// User plus system CPU time, in clock ticks.
    pub cpu_ticks: u64,
    /// Start time, in clock ticks since boot.
    pub start_ticks: u64,
    /// Resident memory, in bytes.
    pub rss_bytes: u64,
    /// A zombie has exited and waits to be reaped.
    pub zombie: bool,
}

/// Clock ticks per second (`_SC_CLK_TCK`).
pub fn ticks_per_second() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
            .ok()
            .flatten()
            .map_or(100, |t| t.max(1) as u64)
    })
}

fn page_size() -> u64 {
    static PAGE: OnceLock<u64> = OnceLock::new();
    *PAGE.get_or_init(|| {
        nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
            .ok()
            .flatten()
            .map_or(4096, |p| p.max(1) as u64)
    })
}

/// Reads one process' stat line; `None` if it is gone.
pub fn stat(pid: u32) -> Option<ProcStat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(pid, &text)
}

fn parse_stat(pid: u32, text: &str) -> Option<ProcStat> {
    // The command name (field 2) may hold spaces and parentheses; fields
    // after the last ')' are plain numbers. After it: state (3), ppid (4),
    // pgrp (5), ... utime (14), stime (15), ... starttime (22), vsize (23),
    // rss (24).
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| -> Option<u64> { fields.get(n - 3)?.parse().ok() };
    Some(ProcStat {
        pid,
        pgrp: field(5)? as u32,
        cpu_ticks: field(14)? + field(15)?,
        start_ticks: field(22)?,
        rss_bytes: field(24)? * page_size(),
        zombie: fields.first() == Some(&"Z"),
    })
}

/// This process' resident memory, in bytes; `None` where `/proc` cannot
/// be read (not Linux, or a restricted container).
pub fn own_rss_bytes() -> Option<u64> {
    stat(std::process::id()).map(|s| s.rss_bytes)
}

/// Every process on the machine (that can be read).
pub fn all_processes() -> Vec<ProcStat> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|entry| {
        let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
        stat(pid)
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_with_spaces_and_parens() {
        let line = "42 (my (odd) name) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 12345 1000000 250 18446744073709551615";
        let stat = parse_stat(42, line).expect("parses");
        assert_eq!(stat.pgrp, 42);
        assert_eq!(stat.cpu_ticks, 10);
        assert_eq!(stat.start_ticks, 12345);
        assert_eq!(stat.rss_bytes, 250 * page_size());
        assert!(!stat.zombie);
    }

    #[test]
    fn reads_this_process() {
        let stat = stat(std::process::id()).expect("own stat");
        assert!(stat.rss_bytes > 0);
        assert!(own_rss_bytes().is_some_and(|rss| rss > 0));
    }
}
