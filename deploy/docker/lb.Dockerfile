# The load balancer in front of scaled gateways and rest-api replicas:
# Debian's haproxy, finding replicas through Docker's DNS (see haproxy.cfg).
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends haproxy \
 && rm -rf /var/lib/apt/lists/*
COPY deploy/docker/haproxy.cfg /etc/haproxy/haproxy.cfg
USER haproxy
EXPOSE 8080 8081
HEALTHCHECK --interval=5s --timeout=3s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /lb-healthz HTTP/1.0\\r\\n\\r\\n' >&3 && read -r _ s _ <&3 && [ \"$s\" = 200 ]"]
CMD ["haproxy", "-W", "-db", "-f", "/etc/haproxy/haproxy.cfg"]
