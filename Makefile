# Asynchronio: the two commands are `make run` and `make test`. Both install
# what the machine lacks first (deploy/deps.sh; `make deps` runs it alone).
.PHONY: run test deps build build-release unit e2e conformance lint bench bench-smoke fuzz fuzz-smoke fuzz-seeds clean images compose-test chaos crowds deps-check fresh-check

CARGO ?= cargo

## Install what make run lacks, build in release mode and run the whole stack
## locally (Ctrl-C stops it).
run:
	./deploy/deps.sh run
	$(MAKE) build-release
	./deploy/local/run.sh

## Everything CI checks: format, lints, unit, property and end-to-end tests,
## RFC 6455 conformance, the container stack and the install step in a bare
## Debian container when Docker answers, every benchmark once, briefly, and
## every fuzz target for 20 s.
test: deps lint build unit conformance compose-test deps-check bench-smoke fuzz-smoke

## What make test needs, installed when missing (quick when all is there).
deps:
	./deploy/deps.sh test

build:
	$(CARGO) build --workspace --bins
	$(CARGO) build -p asynchronio-processor --examples

build-release:
	$(CARGO) build --workspace --bins --release

unit: deps build
	$(CARGO) nextest run --workspace --no-fail-fast

conformance: deps build
	./tests/conformance/run.sh

## The base images (made locally with debootstrap when no registry has them)
## and every image docker-compose.yml names.
images:
	./deploy/docker/images.sh

## docker-compose.yml end to end: scaled gateways and bridges, a gateway
## killed mid-stream, Redis restarted; then the chaos suite for 60 s.
## Skipped, with the reason, without Docker.
compose-test: deps build
	@if docker info >/dev/null 2>&1; then \
	  $(MAKE) images && \
	  $(CARGO) nextest run -p asynchronio-e2e --test compose --run-ignored only --no-capture && \
	  CHAOS_SECONDS=60 CHAOS_SEED=$(CHAOS_SEED) $(CARGO) nextest run -p asynchronio-e2e --test chaos --run-ignored only --no-capture; \
	else \
	  echo "compose-test SKIPPED: no Docker engine answers ('docker info' failed); install and start Docker to test the container stack"; \
	fi

CHAOS_SECONDS ?= 600
CHAOS_SEED ?=
CHAOS_SUBSCRIBERS ?= 500

## The chaos suite (tests/tests/chaos/): the container stack under a steady
## mixed load while faults drawn from a seed hit it (kills, pauses,
## partitions, slow links, Redis restarts, CLIENT KILL, a read-only archive),
## then every acknowledged publish checked against what each subscriber got.
## CHAOS_SEED=… replays a run; the seed and schedule are printed first.
chaos: deps build
	@docker info >/dev/null 2>&1 || { echo "make chaos needs a Docker engine: 'docker info' failed; install and start Docker"; exit 1; }
	$(MAKE) images
	CHAOS_SECONDS=$(CHAOS_SECONDS) CHAOS_SEED=$(CHAOS_SEED) CHAOS_SUBSCRIBERS=$(CHAOS_SUBSCRIBERS) \
	  $(CARGO) nextest run -p asynchronio-e2e --test chaos --run-ignored only --no-capture

## deploy/deps.sh alone in a bare Debian container, then every command the
## stack and the tests need is there. Skipped, with the reason, without Docker.
deps-check:
	./deploy/docker/deps-check.sh

## The README's commands on a fresh machine: make run in a container from the
## Debian base plus Rust, from a clean clone of HEAD, until the stack answers;
## then make deps and the unit tests. Slow (builds from nothing): not in test.
fresh-check:
	./deploy/docker/fresh-check.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml -- --check
	CARGO_TARGET_DIR=target $(CARGO) clippy --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings

## Criterion benchmarks of the per-message codec work.
bench:
	$(CARGO) bench -p asynchronio-protocol --bench codecs

## Every benchmark (criterion, tests/bench/*, asynchronio-load) once, small
## and short on the debug build, so that they keep working (under a minute).
bench-smoke: deps build
	./tests/bench/smoke.sh

FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?=

CROWD_SECONDS ?= 60

## Hostile clients by the thousand at one gateway built for release
## (slowloris, non-readers, a subscribe flood, oversize frames) while a
## good client's p99 (< 50 ms) and the gateway's RSS are measured. make test
## runs the same test for 15 s on the debug build.
crowds: deps
	$(CARGO) build --release --workspace --bins
	CROWD_SECONDS=$(CROWD_SECONDS) $(CARGO) nextest run --release -p asynchronio-e2e --test hostile crowds --no-capture

## Coverage-guided fuzzing (cargo fuzz, libFuzzer, on stable; FUZZ_SANITIZER=address needs nightly):
## every target in fuzz/ for FUZZ_SECONDS each (default 10 minutes), or only
## FUZZ_TARGETS. Findings go to target/fuzz/artifacts/, runs to
## target/fuzz/runs.log. `make fuzz FUZZ_SECONDS=3600` is an hour each.
fuzz: deps
	./fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

## Every fuzz target for 20 s, from the committed seeds and what earlier runs
## found: they still build and nothing known crashes them (part of make test).
fuzz-smoke: deps
	./fuzz/run.sh 20

## Rewrites the seed corpus fuzz/corpus/ from fuzz/examples/seeds.rs.
fuzz-seeds:
	./fuzz/seeds.sh

clean:
	$(CARGO) clean
	rm -rf data
