#!/usr/bin/env bash
# `make fresh-check`: the README's two commands on a fresh machine. A
# container from the Rust build image (the local Debian base plus the Rust
# toolchain, as images.sh makes them) gets a clean clone of this repository's
# HEAD (commit first), then:
#   1. `make run`, until the stack answers on 8080 (ws-gateway) and 8081
#      (rest-api /readyz);
#   2. `make deps` and the unit tests (`cargo nextest run --workspace --lib`);
#      the image has no clippy or rustfmt, so `make test`'s lint stage can't run.
# The only thing installed by hand first is make itself, which typing the
# README's commands presumes. Crates come from the machine's cargo registry
# cache (mounted), so nothing is fetched twice; everything else is fresh.
# Slow (a release and a debug build from nothing): not part of make test.
# FRESH_TIMEOUT (seconds, default 3600) bounds each stage.
set -euo pipefail
cd "$(dirname "$0")/../.."

say() { printf '\033[1m[fresh-check]\033[0m %s\n' "$*"; }
die() { printf '[fresh-check] FAILED: %s\n' "$*" >&2; exit 1; }
limit=${FRESH_TIMEOUT:-3600}

docker info >/dev/null 2>&1 || die "no Docker engine answers ('docker info' failed); install and start Docker"
./deploy/docker/images.sh --bases-only

work=$(mktemp -d /tmp/asynchronio-fresh.XXXXXX)
name=asynchronio-fresh-$$
cleanup() {
  docker rm -f "$name" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
git clone --quiet --no-hardlinks . "$work/asynchronio"
say "clean clone of $(git rev-parse --short HEAD) in $work"
[ -z "$(git status --porcelain --untracked-files=no)" ] \
  || say "note: uncommitted changes here are not in the clone"

registry=${CARGO_HOME:-$HOME/.cargo}/registry
mkdir -p "$registry"
docker run -d --name "$name" -v "$work/asynchronio:/src" -v "$registry:/usr/local/cargo/registry" \
  -w /src rust:1.95-slim-bookworm sleep infinity >/dev/null
in_box() { docker exec "$name" bash -c "$1"; }

started=$(date +%s)
elapsed() { echo "$(($(date +%s) - ${1:-$started})) s"; }

say "installing make (the one tool the README's commands presume)"
in_box 'command -v make >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq make >/dev/null; }'

say "make run (a release build from nothing)"
stage=$(date +%s)
docker exec -d "$name" bash -c 'make run >/src/make-run.log 2>&1; echo "exit $?" >>/src/make-run.log'
answers() {
  # $1 port, $2 path: the status line of GET $2, from inside the container.
  in_box "exec 3<>/dev/tcp/127.0.0.1/$1 && printf 'GET $2 HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3 && head -1 <&3" 2>/dev/null | grep -q ' 200 '
}
until answers 8080 / && answers 8081 /readyz; do
  if grep -q '^exit ' "$work/asynchronio/make-run.log" 2>/dev/null; then
    tail -40 "$work/asynchronio/make-run.log" >&2
    die "make run stopped before the stack answered"
  fi
  [ $(($(date +%s) - stage)) -lt "$limit" ] || { tail -40 "$work/asynchronio/make-run.log" >&2; die "the stack did not answer within $limit s"; }
  sleep 5
done
say "make run: the stack answers on 8080 and 8081 after $(elapsed "$stage")"
# Ctrl-C, as a user would.
in_box 'for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = asynchronio ] && kill -INT "${p#/proc/}"; done; true'

say "make deps, then the unit tests"
stage=$(date +%s)
in_box 'make deps && cargo nextest run --workspace --lib --no-fail-fast' 2>&1 | tail -25 \
  || die "make deps or the unit tests failed"
say "make deps and the unit tests passed after $(elapsed "$stage")"
say "passed in $(elapsed)"
