# Asynchronio: the two commands are `make run` and `make test`.
.PHONY: run test build build-release unit e2e conformance lint bench clean

CARGO ?= cargo
NEXTEST := $(shell $(CARGO) nextest --version >/dev/null 2>&1 && echo yes)

## Build in release mode and run the whole stack locally (Ctrl-C stops it).
run: build-release
	./deploy/local/run.sh

## Everything CI checks: format, lints, unit, property and end-to-end tests,
## and RFC 6455 conformance.
test: lint build unit conformance

build:
	$(CARGO) build --workspace --bins
	$(CARGO) build -p asynchronio-processor --examples

build-release:
	$(CARGO) build --workspace --bins --release

unit: build
ifeq ($(NEXTEST),yes)
	$(CARGO) nextest run --workspace --no-fail-fast
else
	$(CARGO) test --workspace --no-fail-fast
endif

conformance: build
	./tests/conformance/run.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## Criterion benchmarks of the per-message codec work.
bench:
	$(CARGO) bench -p asynchronio-protocol --bench codecs

clean:
	$(CARGO) clean
	rm -rf data
