#!/usr/bin/env bash
# Writes the seed corpus (fuzz/corpus/<target>/) from examples/seeds.rs,
# with the project's own encoders. Run it after a wire format changes, and
# commit what it writes.
set -euo pipefail
cd "$(dirname "$0")"
# Old seeds go first, so that a seed no longer written does not linger.
find corpus -name 'seed-*' -delete 2>/dev/null || true
exec cargo run --quiet --example seeds --target-dir ../target/fuzz/seeds
