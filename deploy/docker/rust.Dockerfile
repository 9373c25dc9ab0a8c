# The Rust build image, made by deploy/docker/images.sh from the local
# Debian base and the host's Rust toolchain when no registry can provide
# rust:1.95-slim-bookworm. It holds what the service Dockerfile's build
# stage needs: cargo, rustc, the std library, a C compiler and linker, and
# the certificate authorities this machine trusts (images.sh copies those
# added under /usr/local/share/ca-certificates).
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev pkg-config ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY local-ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null
COPY rust /usr/local/rust
ENV PATH=/usr/local/cargo/bin:/usr/local/rust/bin:$PATH \
    CARGO_HOME=/usr/local/cargo \
    RUST_VERSION=1.95
RUN mkdir -p /usr/local/cargo && rustc --version && cargo --version
