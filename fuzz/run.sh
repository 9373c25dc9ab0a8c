#!/usr/bin/env bash
# Runs the fuzz targets, one after another, for SECONDS each.
#
# Usage: fuzz/run.sh SECONDS [TARGET...]     (make fuzz, make fuzz-smoke)
#
# Every target starts from the committed seeds (fuzz/corpus/TARGET, only
# read) and from what earlier runs found (target/fuzz/corpus/TARGET, where
# new inputs go). A crash is written to target/fuzz/artifacts/TARGET/ and
# named at the end; replay it with
#   cargo +nightly fuzz run --fuzz-dir fuzz --target-dir target/fuzz/build TARGET FILE
# Each run is appended to target/fuzz/runs.log (target, seconds, executions,
# result), which is where the hours fuzzed are counted from.
#
# Environment: FUZZ_SANITIZER (none by default, the fastest; address finds
# memory errors in C code and unsafe Rust). One process per target, in
# turn: the machine this runs on has two cores, and libFuzzer's -jobs
# writes its logs into the working directory.
#
# cargo fuzz needs a nightly toolchain. Without one the run is skipped with
# a line that says so, and succeeds: stable-only machines can still run
# make test.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
sanitizer=${FUZZ_SANITIZER:-none}

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "fuzz: SKIPPED: no nightly toolchain (rustup toolchain install nightly), which cargo fuzz needs"
  exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: cargo-fuzz is missing: run deploy/deps.sh test (or cargo install --locked cargo-fuzz)" >&2
  exit 1
fi

fuzz=(cargo +nightly fuzz)
common=(--fuzz-dir fuzz --target-dir target/fuzz/build --sanitizer "$sanitizer" --debug-assertions)

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <("${fuzz[@]}" list --fuzz-dir fuzz)
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
  echo "fuzz: $target for ${seconds}s"
  status=ok
  if ! "${fuzz[@]}" run "${common[@]}" "$target" "$found" "fuzz/corpus/$target" -- \
      -max_total_time="$seconds" \
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
