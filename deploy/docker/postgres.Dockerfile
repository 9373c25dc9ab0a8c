# PostgreSQL 15 from Debian's package on the slim Debian base. Like the
# images registries serve, it creates POSTGRES_USER (password
# POSTGRES_PASSWORD) and POSTGRES_DB on first start in an empty PGDATA.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql \
 && chmod 700 /var/lib/postgresql/data
COPY deploy/docker/postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
USER postgres
VOLUME /var/lib/postgresql/data
EXPOSE 5432
HEALTHCHECK --interval=2s --timeout=3s --retries=30 \
  CMD ["sh", "-c", "pg_isready -q -h 127.0.0.1 -U \"${POSTGRES_USER:-postgres}\" -d \"${POSTGRES_DB:-postgres}\""]
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint"]
