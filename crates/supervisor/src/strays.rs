//! The stray sweep: a manager killed with SIGKILL cannot stop its children.
//! Its direct children die with it (parent-death signal), but a grandchild
//! may live on. Every process group the manager starts is recorded in Redis
//! with its leader's start time; a starting manager kills whatever is left
//! in those groups before it starts anything.

use nix::sys::signal::Signal;

use crate::procfs;
use crate::spawn::signal_group;

/// Kills the processes left in `groups` (pgid, leader start ticks);
/// returns how many it found. A process counts only if it started no
/// earlier than the group's leader, so a recycled pgid of an unrelated
/// older process is left alone.
pub fn sweep(groups: &[(u32, u64)]) -> usize {
    if groups.is_empty() {
        return 0;
    }
    let processes = procfs::all_processes();
    let own_pid = std::process::id();
    let mut found = 0;
    for &(pgid, leader_start) in groups {
        let strays: Vec<&procfs::ProcStat> = processes
            .iter()
            .filter(|p| {
                p.pgrp == pgid && p.start_ticks >= leader_start && p.pid != own_pid && !p.zombie
            })
            .collect();
        if strays.is_empty() {
            continue;
        }
        found += strays.len();
        tracing::warn!(
            pgid,
            pids = ?strays.iter().map(|p| p.pid).collect::<Vec<_>>(),
            "killing processes left behind by a previous process manager"
        );
        signal_group(pgid, Signal::SIGKILL);
    }
    found
}
