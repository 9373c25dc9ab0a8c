#!/usr/bin/env bash
# The project's one install step: what `make run` and `make test` need, on a
# Debian or Ubuntu machine that has the Rust toolchain. `make deps` runs it;
# `make run` and `make test` call it first.
#
# Usage: deploy/deps.sh [run|test] [--without-rust]
#   run    what `make run` needs: a C compiler and linker for the build (the
#          bundled SQLite and ring compile C), CA certificates, redis-server
#          (unless REDIS_URL names a Redis of yours) and python3 (the example
#          pipeline's processor)
#   test   (the default) that, plus what the tests and benchmarks use:
#          redis-cli and redis-benchmark, PostgreSQL, Chromium, openssl, curl,
#          procps, wrk, python3-venv, cargo-nextest, cargo-fuzz, the
#          conformance venv
#          (Autobahn cases through kosoku from PyPI, in
#          target/conformance-venv) and, when a Docker engine answers,
#          debootstrap and docker-compose (make images, make compose-test)
#   --without-rust  leave out cargo and what needs it (cargo-nextest, cargo-fuzz): for
#          deploy/local/run.sh, which runs built binaries, and for checking
#          the system packages in a container without Rust (make deps-check)
#
# Idempotent, and quick when everything is there: it only looks (no apt-get
# update). Debian packages are installed with apt-get as root, through
# `sudo -n` when that is allowed, and otherwise the script prints the exact
# command to run and fails.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned: the newest cargo-nextest may need a newer Rust than the project's.
NEXTEST_VERSION=0.9.143
# cargo-fuzz drives the libFuzzer targets in fuzz/ (make fuzz, make
# fuzz-smoke), on the stable toolchain.
CARGO_FUZZ_VERSION=0.13.2
KOSOKU_VERSION=0.1.0

say() { printf '[deps] %s\n' "$*"; }
die() { printf '[deps] error: %s\n' "$*" >&2; exit 1; }

profile=test
rust=yes
for arg in "$@"; do
  case $arg in
    run | test) profile=$arg ;;
    --without-rust) rust=no ;;
    -h | --help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) die "unknown argument '$arg'; usage: deploy/deps.sh [run|test] [--without-rust]" ;;
  esac
done

have() { command -v "$1" >/dev/null 2>&1; }
# A program on PATH, not a shell builtin (bash has its own `kill`; the tests
# run /bin/kill).
have_program() { type -P "$1" >/dev/null 2>&1; }

# Debian packages for whatever is missing: "package" after each check.
missing_packages() {
  local need=()
  have cc || need+=(gcc libc6-dev)
  [ -s /etc/ssl/certs/ca-certificates.crt ] || need+=(ca-certificates)
  have python3 || need+=(python3)
  if [ "$profile" = test ] || [ -z "${REDIS_URL:-}" ]; then
    have redis-server || need+=(redis-server)
  fi
  if [ "$profile" = test ]; then
    have redis-cli && have redis-benchmark || need+=(redis-tools)
    python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
    have chromium || have chromium-browser || have google-chrome || need+=(chromium)
    have openssl || need+=(openssl)
    have curl || need+=(curl)
    have_program kill || need+=(procps)
    have wrk || need+=(wrk)
    # The container images and the compose test, only where they can run.
    if docker info >/dev/null 2>&1; then
      have debootstrap || need+=(debootstrap)
      docker compose version >/dev/null 2>&1 || have docker-compose || need+=(docker-compose)
    fi
  fi
  printf '%s\n' "${need[@]}" | awk 'NF && !seen[$0]++'
}

install_packages() {
  local packages=("$@") sudo=()
  have apt-get || die "missing: ${packages[*]}; this script installs with apt-get (Debian, Ubuntu) only: install them with your package manager"
  if [ "$(id -u)" != 0 ]; then
    if have sudo && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      die "missing: ${packages[*]}. Install them as root, then run make again:
    sudo apt-get update && sudo apt-get install -y ${packages[*]}"
    fi
  fi
  say "installing ${packages[*]} (apt-get${sudo:+ through sudo})"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
}

mapfile -t packages < <(missing_packages)
if [ ${#packages[@]} -gt 0 ]; then
  install_packages "${packages[@]}"
  mapfile -t packages < <(missing_packages)
  [ ${#packages[@]} -eq 0 ] || die "still missing after apt-get install: ${packages[*]}"
fi

if [ "$rust" = yes ]; then
  if ! have cargo; then
    version=$(awk -F'"' '/^rust-version/ {print $2; exit}' Cargo.toml 2>/dev/null || true)
    die "cargo is missing: install Rust ${version:-(the rust-version in Cargo.toml)} with rustup (https://rustup.rs), then run make again"
  fi
  if [ "$profile" = test ] && ! cargo nextest --version >/dev/null 2>&1; then
    say "installing cargo-nextest $NEXTEST_VERSION (cargo install --locked; a few minutes)"
    cargo install --locked --quiet cargo-nextest --version "$NEXTEST_VERSION"
  fi
  if [ "$profile" = test ] && ! cargo fuzz --version >/dev/null 2>&1; then
    say "installing cargo-fuzz $CARGO_FUZZ_VERSION (cargo install --locked; a few minutes)"
    cargo install --locked --quiet cargo-fuzz --version "$CARGO_FUZZ_VERSION"
  fi
fi

if [ "$profile" = test ]; then
  venv=${CARGO_TARGET_DIR:-target}/conformance-venv
  if [ ! -x "$venv/bin/kosoku" ]; then
    say "creating the conformance venv $venv (kosoku $KOSOKU_VERSION from PyPI)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "kosoku==$KOSOKU_VERSION"
  fi
fi

say "everything make $profile needs is present"
