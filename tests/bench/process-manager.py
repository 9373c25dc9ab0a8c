#!/usr/bin/env python3
"""Process-manager benchmarks (release build): manager RSS and idle CPU with
100 supervised processes, time to spawn 1,000 processes until all run, and
first-restart latency after a crash. Prints one line per figure.

    cargo build --release --workspace --bins
    python3 tests/bench/process-manager.py [runs]
"""
import json, os, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "target", "release")


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


def hundred(url, pid, start):
    wait_running(url, 100)
    time.sleep(3)
    t0, c0 = time.monotonic(), ticks(pid)
    time.sleep(10)
    cpu = (ticks(pid) - c0) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - t0) * 100
    return rss_kib(pid) / 1024, cpu


def thousand(url, pid, start):
    wait_running(url, 1000, 120)
    return time.monotonic() - start


def restart(url, pid, start):
    time.sleep(4)
    states_log = subprocess.run([os.path.join(BIN, "asynchronio"), "--redis-url", url, "history", "$sys:processes",
                                 "--limit", "1000", "--json"], capture_output=True, text=True).stdout
    events = [e["data"] for e in json.loads(states_log) if e["data"]["name"] == "crasher"]
    gaps = []
    for a, b in zip(events, events[1:]):
        if a["status"] == "backoff" and b["status"] in ("starting", "running") and b.get("started_ms"):
            gaps.append(b["started_ms"] - a["updated_ms"])
    return gaps


def median(xs):
    xs = sorted(xs); return xs[len(xs) // 2]


runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
r = [with_manager('[process.p]\ncommand = "sleep"\nargs = ["100000"]\ninstances = 100\n', hundred) for _ in range(runs)]
print(f"100 processes: manager RSS median {median([x[0] for x in r]):.1f} MiB (runs {[round(x[0],1) for x in r]}), "
      f"idle CPU median {median([x[1] for x in r]):.2f}% of a core (runs {[round(x[1],2) for x in r]})")
t = [with_manager('[process.p]\ncommand = "sleep"\nargs = ["100000"]\ninstances = 1000\nstop_grace_ms = 5000\n', thousand) for _ in range(runs)]
print(f"1,000 processes spawned and running: median {median(t):.2f} s (runs {[round(x,2) for x in t]})")
g = with_manager('[process.crasher]\ncommand = "sh"\nargs = ["-c", "sleep 0.3; exit 1"]\nmax_quick_failures = 100\n'
                 'backoff = { initial_ms = 100, max_ms = 100 }\n', restart)
print(f"crash to restarted process (backoff initial 100 ms, jitter 50-100 ms): median {median(g)} ms over {len(g)} restarts {g}")
