#!/usr/bin/env bash
# `make run`: the whole stack on this machine, through `asynchronio up`
# with ./asynchronio.toml: a private redis-server (AOF in ./data/redis,
# unless REDIS_URL points at a Redis of yours), redis-bridge, ws-gateway,
# rest-api, the demo producer and the example pipeline, all supervised.
# An admin key and a token secret are generated on first start and kept in
# ./data/local.env. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/../.."

profile=${PROFILE:-release}
bin=target/$profile

# What the stack needs (redis-server unless REDIS_URL is set, python3),
# installed when missing; quick when all is there.
./deploy/deps.sh run --without-rust

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

cat <<TXT
Starting Asynchronio (asynchronio.toml):
  WebSocket   ws://localhost:8080/ws     demo page http://localhost:8080/
  REST API    http://localhost:8081/api/v1  (admin key in data/local.env)
  Publish     $bin/asynchronio publish news '{"title":"hi"}'
              curl -H "Authorization: Bearer \$ASYNCHRONIO_ADMIN_KEY" -d '{"title":"hi"}' localhost:8081/api/v1/channels/news/messages
  Processes   $bin/asynchronio ps     logs: $bin/asynchronio logs -f ws-gateway

TXT
exec "$bin/asynchronio" up --config asynchronio.toml
