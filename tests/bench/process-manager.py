#!/usr/bin/env python3
"""Process-manager benchmarks: manager RSS and idle CPU with 100 supervised
processes, time to spawn 1,000 processes until all run, and first-restart
latency after a crash. Prints one line per figure.

    cargo build --release --workspace --bins
    python3 tests/bench/process-manager.py [runs] [--processes 100]
        [--spawn 1000] [--idle-seconds 10] [--restarts-seconds 4]

Binaries come from $CARGO_TARGET_DIR (default target/) and $PROFILE
(default release). `make bench-smoke` runs it once with small sizes on the
debug build, so that it keeps working; those figures mean nothing.
"""
import argparse, json, os, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"),
                   os.environ.get("PROFILE") or "release")


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port


def ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def ps(url):  # noqa: kept for manual use
    out = subprocess.run([os.path.join(BIN, "asynchronio"), "--redis-url", url, "ps", "--json"],
                         capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def with_manager(config, body):
    with tempfile.TemporaryDirectory() as d:
        port = free_port()
        redis = subprocess.Popen(["redis-server", "--port", str(port), "--dir", d, "--save", "", "--appendonly", "no"],
                                 stdout=subprocess.DEVNULL)
        time.sleep(0.3)
        url = f"redis://127.0.0.1:{port}"
        path = os.path.join(d, "asynchronio.toml")
        open(path, "w").write(config)
        start = time.monotonic()
        manager = subprocess.Popen([os.path.join(BIN, "process-manager"), "--config", path, "--redis-url", url],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            return body(url, manager.pid, start)
        finally:
            manager.terminate(); manager.wait(30); redis.terminate(); redis.wait()


def running_count(url):
    # Cheap to poll (no CLI process per poll): count states that say running.
    port = url.rsplit(":", 1)[1]
    out = subprocess.run(["redis-cli", "-p", port, "--raw", "HVALS", "asynchronio:pm:state"],
                         capture_output=True).stdout
    return out.count(b"running")


def wait_running(url, n, limit=60):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if running_count(url) >= n:
            return
        time.sleep(0.02)
    raise SystemExit(f"not {n} running")


def idle(processes, seconds):
    def body(url, pid, start):
        wait_running(url, processes)
        time.sleep(min(3, seconds))
        t0, c0 = time.monotonic(), ticks(pid)
        time.sleep(seconds)
        cpu = (ticks(pid) - c0) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - t0) * 100
        return rss_kib(pid) / 1024, cpu
    return body


def spawned(processes):
    def body(url, pid, start):
        wait_running(url, processes, 120)
        return time.monotonic() - start
    return body


def restarts(seconds):
    def body(url, pid, start):
        time.sleep(seconds)
        states_log = subprocess.run([os.path.join(BIN, "asynchronio"), "--redis-url", url, "history",
                                     "$sys:processes", "--limit", "1000", "--json"],
                                    capture_output=True, text=True, check=True).stdout
        events = [e["data"] for e in json.loads(states_log) if e["data"]["name"] == "crasher"]
        # Every state change is an event: after "backoff" comes "starting"
        # without a process, then "starting" with its pid and started_ms. The
        # gap is from the backoff event to the next event of the same
        # instance that has a started process.
        gaps = []
        for i, a in enumerate(events):
            if a["status"] != "backoff":
                continue
            for b in events[i + 1:]:
                if b["instance"] == a["instance"] and b.get("started_ms"):
                    gaps.append(b["started_ms"] - a["updated_ms"])
                    break
        return gaps
    return body


def median(xs, what):
    if not xs:
        raise SystemExit(f"process-manager bench: no {what} measured")
    xs = sorted(xs); return xs[len(xs) // 2]


parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("runs", nargs="?", type=int, default=3)
parser.add_argument("--processes", type=int, default=100, help="supervised processes for RSS and idle CPU")
parser.add_argument("--spawn", type=int, default=1000, help="processes to spawn until all run")
parser.add_argument("--idle-seconds", type=float, default=10, help="how long idle CPU is measured")
parser.add_argument("--restarts-seconds", type=float, default=4, help="how long the crasher crashes")
args = parser.parse_args()

r = [with_manager(f'[process.p]\ncommand = "sleep"\nargs = ["100000"]\ninstances = {args.processes}\n',
                  idle(args.processes, args.idle_seconds)) for _ in range(args.runs)]
print(f"{args.processes:,} processes: manager RSS median {median([x[0] for x in r], 'RSS'):.1f} MiB "
      f"(runs {[round(x[0],1) for x in r]}), idle CPU median {median([x[1] for x in r], 'CPU'):.2f}% of a core "
      f"(runs {[round(x[1],2) for x in r]})")
t = [with_manager(f'[process.p]\ncommand = "sleep"\nargs = ["100000"]\ninstances = {args.spawn}\nstop_grace_ms = 5000\n',
                  spawned(args.spawn)) for _ in range(args.runs)]
print(f"{args.spawn:,} processes spawned and running: median {median(t, 'spawn time'):.2f} s "
      f"(runs {[round(x,2) for x in t]})")
g = with_manager('[process.crasher]\ncommand = "sh"\nargs = ["-c", "sleep 0.3; exit 1"]\nmax_quick_failures = 100\n'
                 'backoff = { initial_ms = 100, max_ms = 100 }\n', restarts(args.restarts_seconds))
print(f"crash to restarted process (backoff initial 100 ms, jitter 50-100 ms): "
      f"median {median(g, 'backoff-to-restart gap')} ms over {len(g)} restarts {g}")
