#!/usr/bin/env bash
# `make bench-smoke`: every benchmark of the project once, small and short,
# on the debug build, so that they keep working (the figures they print here
# mean nothing; measure with a release build):
#   - the criterion benches (make bench), each run once in test mode;
#   - tests/bench/process-manager.py, with 10 and 50 processes;
#   - tests/bench/rest-publish.sh, 2 s per side;
#   - asynchronio-load fanout (2 s, every message delivered) and idle,
#     against a redis-server and a ws-gateway started here;
#   - tests/bench/gateway-ab.sh, one short round of the gateway against itself.
# Needs the debug binaries (cargo build --workspace --bins) and what
# deploy/deps.sh installs (wrk, redis-benchmark).
set -euo pipefail
cd "$(dirname "$0")/../.."

export PROFILE=debug
bin=${CARGO_TARGET_DIR:-target}/$PROFILE
started=$(date +%s)
step() { printf '\033[1m[bench-smoke]\033[0m %s\n' "$*"; }

step "criterion benches, each once (cargo test --bench codecs)"
cargo test -q -p asynchronio-protocol --bench codecs

step "tests/bench/process-manager.py 1 --processes 10 --spawn 50"
python3 tests/bench/process-manager.py 1 --processes 10 --spawn 50 --idle-seconds 1 --restarts-seconds 2

step "tests/bench/rest-publish.sh (2 s per side)"
SECONDS_PER_RUN=2 CONNECTIONS=8 tests/bench/rest-publish.sh

step "asynchronio-load fanout and idle against redis-server and ws-gateway"
source tests/scripts/gateway-stack.sh
start_gateway_stack "$bin/ws-gateway"
"$bin/asynchronio-load" fanout --url "ws://127.0.0.1:$ws_port/ws" --redis-url "redis://127.0.0.1:$redis_port" \
  --subscribers 50 --channels 5 --rate 200 --seconds 2 --expect-all \
  || { tail -20 "$data/gateway.log" >&2; exit 1; }
"$bin/asynchronio-load" idle --url "ws://127.0.0.1:$ws_port/ws" --gateway-pid "$gateway" \
  --connections 100 --seconds 1 \
  || { tail -20 "$data/gateway.log" >&2; exit 1; }

step "tests/bench/gateway-ab.sh, one short round"
PROFILE=debug tests/bench/gateway-ab.sh "$bin/ws-gateway" "$bin/ws-gateway" 1 \
  --subscribers 20 --rate 100 --seconds 1

step "passed in $(($(date +%s) - started)) s"
