# syntax=docker/dockerfile:1
#
# ccsync's images, built from the repository root (deploy/docker-compose.yml builds both):
#   docker build --target ccsync -t ccsync .              ingest, projector and gateway
#   docker build --target scheduler -t ccsync-scheduler .  the scheduler, with ccusage and Claude Code
# One image runs any service and its command picks which: `node services/<name>/src/main.ts`, the
# gateway by default. Node runs the TypeScript sources itself (type stripping): nothing is compiled.

# The Node release the repository pins for its own scripts (devDependencies.node in package.json).
# Debian rather than Alpine: the native ccusage and Claude Code binaries the scheduler runs need glibc.
ARG NODE_IMAGE=node:24.21.0-trixie-slim

# The lockfile and every workspace's manifest: all npm ci needs, and they change less than sources.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY packages/agent/package.json packages/agent/
COPY packages/contracts/package.json packages/contracts/
COPY packages/dashboard/package.json packages/dashboard/
COPY packages/service-kit/package.json packages/service-kit/
COPY packages/testkit/package.json packages/testkit/
COPY packages/usage/package.json packages/usage/
COPY services/gateway/package.json services/gateway/
COPY services/ingest/package.json services/ingest/
COPY services/projector/package.json services/projector/
COPY services/scheduler/package.json services/scheduler/

# Every dependency, dev ones included, to build the web dashboard the gateway serves.
FROM manifests AS build
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.base.json ./
COPY packages packages
RUN npm run build -w @ccsync/dashboard

# The services' runtime dependencies and nothing else. Without their devDependencies npm no longer
# follows them to the test kit (vitest, testcontainers) or the root's to the agent and the `node`
# binary package; the lockfile still pins every version that is installed. No install script is
# needed at run time.
FROM manifests AS production-deps
RUN --mount=type=cache,target=/root/.npm \
    npm pkg delete devDependencies --workspaces --include-workspace-root \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
      -w @ccsync/ingest -w @ccsync/projector -w @ccsync/gateway -w @ccsync/scheduler -w @ccsync/dashboard

# ingest, projector and gateway. Sources and dependencies belong to root and are read-only to the
# service's user; the dashboard package is linked in node_modules, so the gateway finds its dist.
FROM ${NODE_IMAGE} AS ccsync
ENV NODE_ENV=production HOST=0.0.0.0
RUN groupadd --gid 10001 ccsync \
 && useradd --uid 10001 --gid ccsync --create-home --shell /usr/sbin/nologin ccsync
WORKDIR /app
COPY --from=production-deps /app ./
COPY packages/contracts/src packages/contracts/src
COPY packages/service-kit/src packages/service-kit/src
COPY packages/usage/src packages/usage/src
COPY services/ingest/src services/ingest/src
COPY services/projector/src services/projector/src
COPY services/gateway/src services/gateway/src
COPY services/scheduler/src services/scheduler/src
COPY --from=build /app/packages/dashboard/dist packages/dashboard/dist
COPY deploy/docker/healthcheck.mjs deploy/docker/
# Numeric, so that Kubernetes can check runAsNonRoot without a runAsUser.
USER 10001:10001
# gateway, ingest, projector, scheduler: each serves GET /health and GET /ready on its port.
EXPOSE 3000 3001 3002 3003
# Every service drains and exits 0 on SIGTERM within SHUTDOWN_TIMEOUT_MS (10 s by default).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "deploy/docker/healthcheck.mjs"]
CMD ["node", "services/gateway/src/main.ts"]

# The scheduler, with the programs its jobs run. ~/.claude holds Claude Code's data and the
# credentials of `claude auth login`, so it is a volume.
FROM ccsync AS scheduler
USER root
# tini as PID 1 reaps what the jobs' programs leave behind: Claude Code starts processes of its own.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
# The ccusage release whose numbers ccsync reproduces (CCUSAGE_ORACLE_VERSION in packages/testkit).
ARG CCUSAGE_VERSION=20.0.24
ARG CLAUDE_CODE_VERSION=2.1.330
# Claude Code's postinstall puts its native binary in place: `claude --version` fails the build if it
# did not. npm leaves ccusage's native binary without its exec bit and the launcher sets it on the
# first run, which the service's user could not do, so that first run happens here, as root.
RUN --mount=type=cache,target=/root/.npm \
    npm install --global --no-audit --no-fund \
      "ccusage@${CCUSAGE_VERSION}" "@anthropic-ai/claude-code@${CLAUDE_CODE_VERSION}" \
 && [ "$(ccusage --version)" = "ccusage ${CCUSAGE_VERSION}" ] \
 && claude --version
# Claude Code keeps all its state, .claude.json included, in CLAUDE_CONFIG_DIR when it is set; the
# scheduler passes it on to ccusage and claude. Claude Code is updated by rebuilding the image with
# another CLAUDE_CODE_VERSION: the service's user cannot write the global install anyway.
ENV CLAUDE_CONFIG_DIR=/home/ccsync/.claude \
    SCHEDULER_WORK_DIR=/home/ccsync/jobs \
    DISABLE_AUTOUPDATER=1
RUN install -d -o ccsync -g ccsync -m 0700 /home/ccsync/.claude /home/ccsync/jobs
VOLUME ["/home/ccsync/.claude"]
USER 10001:10001
ENTRYPOINT ["tini", "--"]
CMD ["node", "services/scheduler/src/main.ts"]
