#!/usr/bin/env bash
# Runs the fuzz targets, one after another, for SECONDS each.
#
# Usage: fuzz/run.sh SECONDS [TARGET...]     (make fuzz, make fuzz-smoke)
#
# Every target starts from the committed seeds (fuzz/corpus/TARGET, only
# read) and from what earlier runs found (target/fuzz/corpus/TARGET, where
# new inputs go). A crash is written to target/fuzz/artifacts/TARGET/, and
# the end of the run names the targets that crashed; replay an input with
#   cargo fuzz run --fuzz-dir fuzz --target-dir target/fuzz/build --sanitizer none TARGET FILE
# Each run is appended to target/fuzz/runs.log (time, target, seconds,
# executions, sanitizer, result), which is where the hours fuzzed are
# counted from.
#
# FUZZ_SANITIZER: none (the default) builds with the stable toolchain, the
# code being safe Rust; address (or another cargo fuzz sanitizer) adds
# AddressSanitizer and needs a nightly toolchain, and is skipped, with a
# line that says so, without one. One libFuzzer process per target, in
# turn: the machine this runs on has two cores.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
sanitizer=${FUZZ_SANITIZER:-none}

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: cargo-fuzz is missing: run deploy/deps.sh test (or cargo install --locked cargo-fuzz)" >&2
  exit 1
fi
fuzz=(cargo fuzz)
build=target/fuzz/build
if [ "$sanitizer" != none ]; then
  # Read the list first: with pipefail, grep -q closing the pipe early
  # could make rustup fail, and the check read as "no nightly".
  toolchains=$(rustup toolchain list 2>/dev/null || true)
  if ! grep -q '^nightly' <<<"$toolchains"; then
    echo "fuzz: SKIPPED: FUZZ_SANITIZER=$sanitizer needs a nightly toolchain (rustup toolchain list shows none); FUZZ_SANITIZER=none runs on stable"
    exit 0
  fi
  fuzz=(cargo +nightly fuzz)
  build=target/fuzz/build-$sanitizer
fi
common=(--fuzz-dir fuzz --target-dir "$build" --sanitizer "$sanitizer")

if [ $# -gt 0 ]; then
  targets=("$@")
else
  listed=$("${fuzz[@]}" list --fuzz-dir fuzz)
  mapfile -t targets <<<"$listed"
fi
if [ ${#targets[@]} -eq 0 ] || [ -z "${targets[0]}" ]; then
  echo "fuzz: no targets found in fuzz/ (cargo fuzz list)" >&2
  exit 1
fi

echo "fuzz: building ${#targets[@]} targets (sanitizer $sanitizer)"
"${fuzz[@]}" build "${common[@]}"

mkdir -p target/fuzz
failed=()
for target in "${targets[@]}"; do
  found=target/fuzz/corpus/$target
  artifacts=target/fuzz/artifacts/$target
  mkdir -p "$found" "$artifacts" "fuzz/corpus/$target"
  log=target/fuzz/$target.log
  # Inputs up to 4 KiB (libFuzzer's usual cap), but the WebSocket target's
  # up to 20,000 bytes: past the 16 KiB request head limit.
  max_len=4096
  [ "$target" = websocket ] && max_len=20000
  echo "fuzz: $target for ${seconds}s"
  status=ok
  # -timeout: an input that takes over 10 s is a hang, reported as one.
  if ! "${fuzz[@]}" run "${common[@]}" "$target" "$found" "fuzz/corpus/$target" -- \
      -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1; then
    status=FAILED
    failed+=("$target")
    tail -n 40 "$log"
  fi
  runs=$(awk '/stat::number_of_executed_units/ {sum += $2} END {print sum + 0}' "$log")
  printf '%s\t%s\t%ss\t%s execs\t%s\t%s\n' "$(date -u +%FT%TZ)" "$target" "$seconds" "$runs" "$sanitizer" "$status" \
    >>target/fuzz/runs.log
  echo "fuzz: $target: $runs executions, $status"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}; the inputs are in target/fuzz/artifacts/<target>/" >&2
  exit 1
fi
echo "fuzz: every target ran ${seconds}s without a crash"
