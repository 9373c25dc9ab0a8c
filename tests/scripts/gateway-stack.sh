# Sourced by test scripts (tests/conformance/run.sh, tests/bench/smoke.sh):
# `start_gateway_stack GATEWAY_BINARY [GATEWAY_ARGS…]` starts a throwaway
# redis-server and a ws-gateway on free loopback ports and waits until the
# gateway accepts connections. It sets redis_port, ws_port, data (a
# temporary directory holding gateway.log) and gateway (its pid); both
# processes are killed and the directory removed when the script exits.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

start_gateway_stack() {
  local binary=$1
  shift
  redis_port=$(free_port)
  ws_port=$(free_port)
  data=$(mktemp -d)
  stack_pids=()
  trap 'for pid in "${stack_pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$data"' EXIT
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$data" --save "" --appendonly no >/dev/null &
  stack_pids+=($!)
  RUST_LOG=${RUST_LOG:-warn} "$binary" --listen "127.0.0.1:$ws_port" \
    --redis-url "redis://127.0.0.1:$redis_port" "$@" >"$data/gateway.log" 2>&1 &
  gateway=$!
  stack_pids+=("$gateway")
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$ws_port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "the gateway did not start; its log:" >&2
  tail -20 "$data/gateway.log" >&2
  return 1
}
