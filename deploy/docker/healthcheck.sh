#!/bin/bash
# The container health check of every service image: asks the service the
# way an operator would, with nothing but bash (no curl in the image).
#   redis-bridge, ws-gateway: GET /healthz on the port they listen on
#   rest-api: GET /readyz (Redis and the database answer)
#   process-manager: its liveness record in Redis (`asynchronio ps`)
set -euo pipefail

# GET a path on a listen address (host:port; 0.0.0.0 is asked on loopback)
# and succeed on a 200.
http_ok() {
  local address=$1 path=$2 host port status
  host=${address%:*}
  port=${address##*:}
  case "$host" in 0.0.0.0|""|"[::]"|"::") host=127.0.0.1;; esac
  exec 3<>"/dev/tcp/$host/$port"
  printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$host" >&3
  read -r -t 3 _ status _ <&3 || { echo "no answer on $address$path" >&2; exit 1; }
  [ "$status" = 200 ] || { echo "$address$path answered $status" >&2; exit 1; }
}

case "${ASYNCHRONIO_SERVICE:-}" in
  redis-bridge) http_ok "${ASYNCHRONIO_BRIDGE_LISTEN:-0.0.0.0:8090}" /healthz ;;
  ws-gateway) http_ok "${ASYNCHRONIO_WS_LISTEN:-0.0.0.0:8080}" /healthz ;;
  rest-api) http_ok "${ASYNCHRONIO_REST_LISTEN:-0.0.0.0:8081}" /readyz ;;
  process-manager) asynchronio ps --check ;;
  *) echo "ASYNCHRONIO_SERVICE is '${ASYNCHRONIO_SERVICE:-}'; expected a service name" >&2; exit 1 ;;
esac
