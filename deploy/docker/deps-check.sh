#!/usr/bin/env bash
# `make deps-check`: the install step (deploy/deps.sh) alone, in a bare
# Debian container (the debian:bookworm-slim base images.sh makes), then a
# check that every command the stack and the tests need is there. What needs
# Rust (cargo-nextest, the build itself) is left to `make fresh-check`.
# Skipped, with the reason, when no Docker engine answers.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! docker info >/dev/null 2>&1; then
  echo "deps-check SKIPPED: no Docker engine answers ('docker info' failed); install and start Docker to check deploy/deps.sh on a bare Debian"
  exit 0
fi
./deploy/docker/images.sh --bases-only >/dev/null

started=$(date +%s)
echo "deps-check: deploy/deps.sh test --without-rust in a bare debian:bookworm-slim container"
# The machine's CA bundle (a TLS-inspecting proxy's authority included) for
# pip, as on the machine itself; Debian's own packages come over plain HTTP.
ca=/etc/ssl/certs/ca-certificates.crt
ca_args=()
if [ -s "$ca" ]; then
  ca_args=(-v "$ca:/etc/host-ca.crt:ro" -e PIP_CERT=/etc/host-ca.crt -e SSL_CERT_FILE=/etc/host-ca.crt)
fi
# Downloaded packages are kept in a volume between checks (the base image
# deletes them after every install; that rule is lifted in the container),
# so a second check does not fetch Chromium again.
docker run --rm -i "${ca_args[@]}" -v "$PWD/deploy/deps.sh:/src/deploy/deps.sh:ro" \
  -v asynchronio-deps-check-apt:/var/cache/apt/archives \
  -w /src debian:bookworm-slim bash -s <<'SH'
set -euo pipefail
rm -f /etc/apt/apt.conf.d/docker-clean
./deploy/deps.sh test --without-rust
./deploy/deps.sh test --without-rust | grep -qx '\[deps\] everything make test needs is present' \
  || { echo "deps-check: a second run of deploy/deps.sh wanted to do more" >&2; exit 1; }
failed=0
check() {
  if out=$("$@" 2>&1 | head -1); then
    printf '  ok       %-40s %s\n' "$*" "$out"
  else
    printf '  MISSING  %s\n' "$*"
    failed=1
  fi
}
check redis-server --version
check redis-cli --version
check redis-benchmark --version
check sh -c 'command -v wrk'
check sh -c 'ls /usr/lib/postgresql/*/bin/initdb'
check id postgres
check chromium --version
check openssl version
check curl --version
check python3 --version
check python3 -c 'import venv, ensurepip; print("venv and ensurepip import")'
check target/conformance-venv/bin/kosoku --help
check cc --version
check env kill -V
check setpriv --version
exit $failed
SH
echo "deps-check: passed in $(($(date +%s) - started)) s"
