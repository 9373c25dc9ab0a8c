#!/usr/bin/env bash
# A/B of two ws-gateway builds under the same fan-out load, alternated in one
# session so that both see the same machine noise:
#   tests/bench/gateway-ab.sh OLD_GATEWAY NEW_GATEWAY [ROUNDS] [LOAD ARGS…]
# Each round runs OLD, NEW, and NEW with tracing on (OTLP to a local sink,
# OTEL_TRACES_SAMPLER=traceidratio, ratio 0.01), each on a fresh redis-server
# and gateway, and prints deliveries/s, p99 (ms) and the gateway's CPU time
# (ticks of 10 ms, user + system) per run, then the medians and their ratio
# to OLD. Default load: 100 subscribers, 1000 msg/s (100k deliveries/s),
# 10 s. Build both release gateways and target/release/asynchronio-load
# first (make build-release). Needs redis-server and python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
old=$1 new=$2 rounds=${3:-8}
shift $(( $# < 3 ? $# : 3 ))
load_args=("$@")
[ ${#load_args[@]} -gt 0 ] || load_args=(--subscribers 100 --rate 1000 --seconds 10)
load=${CARGO_TARGET_DIR:-target}/${PROFILE:-release}/asynchronio-load
source tests/scripts/gateway-stack.sh
sink_port=$(free_port)
python3 tests/bench/otlp-sink.py "$sink_port" &
sink=$!
results=$(mktemp)
trap 'kill $sink 2>/dev/null || true; rm -f "$results"' EXIT

run() { # VARIANT BINARY
  (
    if [ "$1" = traced ]; then
      export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$sink_port \
        OTEL_TRACES_SAMPLER=traceidratio OTEL_TRACES_SAMPLER_ARG=0.01
    fi
    start_gateway_stack "$2"
    before=$(awk '{print $14 + $15}' "/proc/$gateway/stat")
    out=$("$load" fanout --url "ws://127.0.0.1:$ws_port/ws" \
      --redis-url "redis://127.0.0.1:$redis_port" "${load_args[@]}" 2>&1)
    after=$(awk '{print $14 + $15}' "/proc/$gateway/stat")
    rate=$(grep -o '[0-9]* deliveries/s' <<<"$out" | cut -d' ' -f1)
    p99=$(grep -o 'p99 [0-9.]*' <<<"$out" | cut -d' ' -f2)
    echo "$1 ${rate:-0} ${p99:-nan} $((after - before))"
  )
}

for round in $(seq "$rounds"); do
  for variant in old new traced; do
    binary=$new
    [ "$variant" = old ] && binary=$old
    line=$(run "$variant" "$binary")
    echo "round $round: $line"
    echo "$line" >>"$results"
  done
done
python3 - "$results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    variant, rate, p99, cpu = line.split()
    runs.setdefault(variant, []).append((float(rate), float(p99), float(cpu)))
def medians(variant):
    return [statistics.median(r[i] for r in runs[variant]) for i in range(3)]
base = medians("old")
for variant in ("old", "new", "traced"):
    m = medians(variant)
    print(f"{variant:7} deliveries/s {m[0]:9.0f} ({m[0] / base[0]:.3f})  "
          f"p99 ms {m[1]:7.2f} ({m[1] / base[1]:.3f})  cpu ticks {m[2]:5.0f} ({m[2] / base[2]:.3f})")
PY
