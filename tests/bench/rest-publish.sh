#!/usr/bin/env bash
# REST publish throughput beside the raw Redis cost of the same publish.
#
# Starts a private redis-server and a release rest-api on free ports, drives
# POST /api/v1/channels/bench/messages with wrk, then runs the same Lua
# publish script with redis-benchmark against the same Redis, and prints
# both rates and their ratio. Needs wrk and redis-benchmark (Debian: wrk,
# redis-tools; make deps installs both). Bounded: each run lasts
# SECONDS_PER_RUN (default 10) with CONNECTIONS (default 64). The binaries
# are built with PROFILE (default release) in $CARGO_TARGET_DIR (default
# target/); `make bench-smoke` runs it briefly on the debug build.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${SECONDS_PER_RUN:-10}
connections=${CONNECTIONS:-64}
profile=${PROFILE:-release}
bin=${CARGO_TARGET_DIR:-target}/$profile
if [ "$profile" = release ]; then
  cargo build --release -q --bins -p rest-api -p asynchronio-e2e
fi
for binary in rest-api asynchronio-load; do
  [ -x "$bin/$binary" ] || { echo "rest-publish: $bin/$binary is missing; run cargo build --workspace --bins" >&2; exit 1; }
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
redis_port=$(free_port); rest_port=$(free_port)
dir=$(mktemp -d); pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT

redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly yes --appendfsync everysec >/dev/null &
pids+=($!)
export KEY=bench-admin-key
ASYNCHRONIO_ADMIN_KEY=$KEY RUST_LOG=warn "$bin/rest-api" --listen "127.0.0.1:$rest_port" \
  --redis-url "redis://127.0.0.1:$redis_port" --database-url "sqlite://$dir/bench.db?mode=rwc" \
  --history-size 1000 >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$rest_port") 2>/dev/null && break; sleep 0.1; done

report=$(wrk -t2 -c"$connections" -d"${seconds}s" -s tests/bench/publish.lua \
  "http://127.0.0.1:$rest_port/api/v1/channels/bench/messages")
# A rate of refusals (429, 401...) would measure nothing.
if grep -q 'Non-2xx' <<<"$report"; then
  echo "rest-publish: the API refused some publishes:" >&2
  echo "$report" >&2
  exit 1
fi
api=$(awk '/Requests\/sec/ {print $2}' <<<"$report")

sha=$(redis-cli -p "$redis_port" SCRIPT LOAD "$("$bin/asynchronio-load" publish-script)")
# The same script with an envelope head of the same size as the API's.
head=$(printf 'x%.0s' $(seq 60))
raw=$(redis-benchmark -p "$redis_port" -c "$connections" -n $((seconds * 40000)) -q \
  EVALSHA "$sha" 2 'asynchronio:stream:{rawbench}' 'asynchronio:meta:{rawbench}' "$head" \
  'asynchronio:live:{rawbench}' 1000 86400 86400 | awk '{for (i=1;i<=NF;i++) if ($i ~ /requests/) print $(i-1)}' | tail -1)

python3 - "$api" "$raw" <<'PY'
import sys
api, raw = float(sys.argv[1]), float(sys.argv[2])
print(f"rest-api publish: {api:.0f}/s   redis publish script: {raw:.0f}/s   ratio {api / raw:.2f}")
PY
