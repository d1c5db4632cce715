# syntax=docker/dockerfile:1.7
# connect-sentinel image: docs/deploy.md ("Run in a container").
#   docker build --build-arg CONNECT_SENTINEL_REVISION=$(git rev-parse --short HEAD) -t connect-sentinel .
#   docker run --rm -p 9840:9840 connect-sentinel --connect.url=http://connect:8083
# Node 22 LTS on Debian 12 slim, pinned by version so a rebuild gets the same runtime; bump it on purpose
# (and pin the digest too where your registry policy asks for it).
ARG NODE_IMAGE=node:22.22.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Dependencies first: this layer is rebuilt only when the lockfile changes.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsc -p tsconfig.build.json → dist/src/main.js; then drop the dev dependencies (typescript, vitest, ...).
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1 forwards SIGTERM/SIGINT to node (which then shuts down cleanly) and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
# Owned by root and not writable by the user the process runs as.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY deploy/docker/healthcheck.mjs ./healthcheck.mjs
# Late, so a new revision does not invalidate the layers above; read by src/version.ts
# (connect_sentinel_build_info{revision}).
ARG CONNECT_SENTINEL_REVISION=unknown
ENV CONNECT_SENTINEL_REVISION=${CONNECT_SENTINEL_REVISION}
LABEL org.opencontainers.image.title="connect-sentinel" \
      org.opencontainers.image.description="Prometheus metrics, alerts and auto-restart for Kafka Connect" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.revision="${CONNECT_SENTINEL_REVISION}"
# The "node" user of the official image, numeric so Kubernetes runAsNonRoot can check it.
USER 1000:1000
EXPOSE 9840
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "/app/healthcheck.mjs"]
# Memory before CPU (docs/deploy.md, "Memory"): V8 collects garbage sooner and keeps a small young generation
# (--optimize-for-size), and glibc keeps two malloc arenas instead of one per thread. At 5,000 connectors x 8
# tasks the peak RSS is ~145 MB instead of ~200 MB, for 33-45 % more CPU time (bench/README.md, bench 5).
ENV MALLOC_ARENA_MAX=2
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--optimize-for-size", "/app/dist/src/main.js"]
