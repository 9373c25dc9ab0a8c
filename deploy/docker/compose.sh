#!/usr/bin/env bash
# Runs Docker Compose, whichever form this machine has: the `docker compose`
# plugin or the standalone `docker-compose`. `--which` prints the command.
set -euo pipefail
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null; then
  compose=(docker-compose)
else
  echo "neither 'docker compose' nor 'docker-compose' is installed (Debian: apt-get install docker-compose)" >&2
  exit 1
fi
if [ "${1:-}" = --which ]; then echo "${compose[*]}"; exit 0; fi
cd "$(dirname "$0")/../.."
exec "${compose[@]}" "$@"
