# Asynchronio: the two commands are `make run` and `make test`.
.PHONY: run test build build-release unit e2e conformance lint bench clean images compose-test

CARGO ?= cargo
NEXTEST := $(shell $(CARGO) nextest --version >/dev/null 2>&1 && echo yes)
ifeq ($(NEXTEST),yes)
COMPOSE_TEST = $(CARGO) nextest run -p asynchronio-e2e --test compose --run-ignored only --no-capture
else
COMPOSE_TEST = $(CARGO) test -p asynchronio-e2e --test compose -- --ignored --nocapture
endif

## Build in release mode and run the whole stack locally (Ctrl-C stops it).
run: build-release
	./deploy/local/run.sh

## Everything CI checks: format, lints, unit, property and end-to-end tests,
## RFC 6455 conformance, and the container stack when Docker answers.
test: lint build unit conformance compose-test

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

## The base images (made locally with debootstrap when no registry has them)
## and every image docker-compose.yml names.
images:
	./deploy/docker/images.sh

## docker-compose.yml end to end: scaled gateways and bridges, a gateway
## killed mid-stream, Redis restarted. Skipped, with the reason, without Docker.
compose-test: build
	@if docker info >/dev/null 2>&1; then \
	  $(MAKE) images && \
	  $(COMPOSE_TEST); \
	else \
	  echo "compose-test SKIPPED: no Docker engine answers ('docker info' failed); install and start Docker to test the container stack"; \
	fi

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## Criterion benchmarks of the per-message codec work.
bench:
	$(CARGO) bench -p asynchronio-protocol --bench codecs

clean:
	$(CARGO) clean
	rm -rf data
