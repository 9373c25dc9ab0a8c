#!/usr/bin/env bash
# Creates the base images the Dockerfiles name, when they are not already
# present, so the same Dockerfiles build here (a Docker engine with no image
# registry) and on a machine that pulls from one:
#
#   debian:bookworm-slim      a minimal Debian root file system made with
#                             debootstrap from the Debian mirror apt uses
#   rust:1.95-slim-bookworm   that base, gcc and this machine's Rust 1.95
#                             toolchain (cargo, rustc and the std library)
#
# Then builds every image docker-compose.yml names (Redis, PostgreSQL, the
# load balancer, Prometheus and the four services).
#
# Usage: deploy/docker/images.sh [--bases-only]
set -euo pipefail
cd "$(dirname "$0")/../.."

BASE=debian:bookworm-slim
RUST=rust:1.95-slim-bookworm
SUITE=bookworm

say() { printf '\033[1m[images]\033[0m %s\n' "$*"; }
die() { printf '[images] error: %s\n' "$*" >&2; exit 1; }

docker info >/dev/null 2>&1 || die "the Docker engine does not answer; start dockerd (or fix DOCKER_HOST) and run again"

have() { docker image inspect "$1" >/dev/null 2>&1; }

# The Debian mirror apt already uses on this machine: the first deb URI of
# its sources (deb822 or one-line format). Overridable with DEBIAN_MIRROR.
debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local uri=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^(http|https|file):/) {print $i; exit}}' /etc/apt/sources.list)
  fi
  [ -n "$uri" ] || die "cannot find a Debian mirror in /etc/apt/sources.list*; set DEBIAN_MIRROR to one"
  echo "$uri"
}

make_base() {
  if have "$BASE"; then say "$BASE is present"; return; fi
  command -v debootstrap >/dev/null || {
    say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null \
      || die "cannot install debootstrap; run: apt-get install debootstrap"
  }
  local mirror root
  mirror=$(debian_mirror)
  root=$(mktemp -d /tmp/asynchronio-rootfs.XXXXXX)
  trap 'rm -rf "$root"' RETURN
  say "debootstrap $SUITE from $mirror (a few minutes)"
  debootstrap --variant=minbase "$SUITE" "$root" "$mirror" >/tmp/asynchronio-debootstrap.log 2>&1 \
    || die "debootstrap failed; see /tmp/asynchronio-debootstrap.log"
  # Slim, as the images from a registry are: no apt lists, docs or caches.
  cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'CONF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
CONF
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CONF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
CONF
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/usr/share/doc/*/changelog* \
    "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log
  tar -C "$root" --numeric-owner -c . \
    | docker import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' - "$BASE" >/dev/null
  say "created $BASE ($(docker image inspect -f '{{.Size}}' "$BASE" | awk '{printf "%.0f MB", $1/1e6}'))"
}

make_rust() {
  if have "$RUST"; then say "$RUST is present"; return; fi
  command -v rustc >/dev/null || die "no Rust toolchain on this machine to build $RUST from; install Rust 1.95 or pull $RUST"
  local version sysroot context
  version=$(rustc --version | awk '{print $2}')
  case "$version" in 1.95.*) ;; *) die "$RUST needs Rust 1.95, this machine has $version";; esac
  sysroot=$(rustc --print sysroot)
  context=$(mktemp -d /tmp/asynchronio-rust.XXXXXX)
  trap 'rm -rf "$context"' RETURN
  mkdir -p "$context/rust/bin" "$context/rust/lib/rustlib"
  cp "$sysroot/bin/cargo" "$sysroot/bin/rustc" "$context/rust/bin/"
  cp -a "$sysroot"/lib/lib*.so* "$context/rust/lib/"
  cp -a "$sysroot/lib/rustlib/x86_64-unknown-linux-gnu" "$context/rust/lib/rustlib/"
  # The builder fetches crates over HTTPS; it trusts what this machine
  # trusts, including certificate authorities added locally (a TLS-inspecting
  # egress proxy, say). Only the builder gets them, no runtime image.
  mkdir -p "$context/local-ca"
  if [ -d /usr/local/share/ca-certificates ]; then
    find /usr/local/share/ca-certificates -name '*.crt' -exec cp {} "$context/local-ca/" \;
  fi
  cp deploy/docker/rust.Dockerfile "$context/Dockerfile"
  say "building $RUST from this machine's Rust $version"
  docker build -q -t "$RUST" "$context" >/dev/null || die "building $RUST failed"
  say "created $RUST"
}

make_base
make_rust
[ "${1:-}" = "--bases-only" ] && exit 0

say "building the stack's images (docker-compose build)"
compose=$(deploy/docker/compose.sh --which)
$compose build
say "done: $(docker images --format '{{.Repository}}:{{.Tag}}' | grep -c '^asynchronio/') asynchronio images"
