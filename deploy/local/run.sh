#!/usr/bin/env bash
# `make run`: the whole realtime stack on this machine.
#
# Starts a private redis-server with AOF persistence in ./data/redis (unless
# REDIS_URL points at a Redis of yours), then redis-bridge, ws-gateway and
# rest-api (SQLite in ./data), prints where everything is, and stops it all
# on Ctrl-C. An admin key and a token secret are generated on first start
# and kept in ./data/local.env.
set -euo pipefail
cd "$(dirname "$0")/../.."

profile=${PROFILE:-release}
bin=target/$profile
ws_listen=${ASYNCHRONIO_WS_LISTEN:-0.0.0.0:8080}
ws_port=${ws_listen##*:}
rest_listen=${ASYNCHRONIO_REST_LISTEN:-0.0.0.0:8081}
rest_port=${rest_listen##*:}
redis_port=${REDIS_PORT:-6379}
pids=()

stopping=
stop() {
  trap - INT TERM EXIT
  stopping=yes
  echo
  echo "stopping..."
  # Services first (they finish their Redis work), Redis last.
  for ((i=${#pids[@]}-1; i>=0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  echo "stopped"
}
trap stop INT TERM EXIT

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

mkdir -p data
if [ ! -f data/local.env ]; then
  secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
  umask 077
  printf 'ASYNCHRONIO_ADMIN_KEY=%s\nASYNCHRONIO_TOKEN_SECRET=%s\n' "$(secret)" "$(secret)" > data/local.env
fi
set -a
# shellcheck disable=SC1091
. data/local.env
set +a

if [ -z "${REDIS_URL:-}" ]; then
  if ! command -v redis-server >/dev/null; then
    echo "redis-server is not installed. Install it (Debian/Ubuntu: sudo apt-get install redis-server)," >&2
    echo "or point REDIS_URL at a Redis you run: REDIS_URL=redis://host:6379 make run" >&2
    exit 1
  fi
  if port_open "$redis_port"; then
    echo "port $redis_port is already in use. Set REDIS_URL=redis://127.0.0.1:$redis_port to use that Redis," >&2
    echo "or REDIS_PORT=another-port to start a private one." >&2
    exit 1
  fi
  mkdir -p data/redis
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$PWD/data/redis" \
    --appendonly yes --appendfsync everysec --save "" --logfile "$PWD/data/redis/redis.log" &
  pids+=($!)
  export REDIS_URL="redis://127.0.0.1:$redis_port"
  for _ in $(seq 50); do port_open "$redis_port" && break; sleep 0.1; done
  echo "redis-server  $REDIS_URL  (AOF in data/redis)"
fi

"$bin/redis-bridge" &
pids+=($!)
"$bin/ws-gateway" --listen "$ws_listen" --static-dir web/static &
pids+=($!)
"$bin/rest-api" --listen "$rest_listen" &
pids+=($!)
for _ in $(seq 100); do port_open "$ws_port" && port_open "$rest_port" && break; sleep 0.1; done

cat <<TXT

Asynchronio is running.
  WebSocket   ws://localhost:$ws_port/ws
  Demo page   http://localhost:$ws_port/
  JS client   http://localhost:$ws_port/asynchronio.js
  REST API    http://localhost:$rest_port/api/v1  (admin key in data/local.env)
  Publish     redis-cli -u $REDIS_URL PUBLISH asynchronio:publish:news '{"title":"hi"}'
              curl -H "Authorization: Bearer \$ASYNCHRONIO_ADMIN_KEY" -d '{"title":"hi"}' localhost:$rest_port/api/v1/channels/news/messages
Press Ctrl-C to stop.
TXT
wait -n "${pids[@]}" || true
[ -n "$stopping" ] || echo "a process exited; stopping the rest" >&2
