# syntax=docker/dockerfile:1
# The Tengine runtime image (docs/deployment.md).
#   docker build -t tengine-gateway .
#   docker run --read-only --tmpfs /tmp -p 8080:8080 -v "$PWD/deploy-files:/etc/tengine:ro" \
#     -e TENGINE_BUNDLE=/etc/tengine/tengine.bundle.json \
#     -e TENGINE_BUNDLE_PUBLIC_KEYS=/etc/tengine/bundle-signing.pub.pem tengine-gateway
#
# Two stages: `build` compiles the package exactly as `npm pack` ships it (the prepack script builds) and installs
# its production dependencies from the lock file; the runtime stage gets only that folder, owned by root and run by
# the unprivileged `node` user (uid 1000), so the process cannot change its own code. Nothing is written at run
# time outside /tmp, so the container runs with a read-only root filesystem.
# test/packaging.test.ts runs this file's build commands outside Docker and boots the result; keep commands simple
# (one RUN per step, no shell tricks beyond `&&`) so that stays possible.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Dependencies first: this layer is reused until package.json or the lock file changes. No install scripts: the
# only dependency with one is esbuild (dev only, for tsx), which the build does not need.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json LICENSE README.md ./
COPY schemas schemas
COPY cli cli
COPY runtime runtime
COPY examples examples
# `npm pack` runs prepack (clean dist, tsc) and keeps the files package.json's "files" lists: the image holds what
# the npm package holds, nothing more.
RUN npm pack --pack-destination /tmp --loglevel=error
RUN mkdir -p /app && tar -xzf /tmp/tengine-gateway-*.tgz -C /app --strip-components=1 --no-same-owner
# Production dependencies only, from the same lock file; --ignore-scripts keeps the package's own prepare (tsc, a
# dev dependency) from running.
RUN cp package-lock.json /app/package-lock.json && npm ci --prefix /app --omit=dev --no-audit --no-fund --ignore-scripts && rm /app/package-lock.json

FROM ${NODE_IMAGE} AS runtime
# A 64 MiB young generation (V8's default maximum is 16): at a few thousand calls per second the default promotes
# short-lived call objects into the old generation and runs a full collection every half second, which shows as
# milliseconds at the p99 (docs/performance.md, "Tuning"). Costs up to about 100 MiB more under load; replace
# NODE_OPTIONS to change it (a derived image setting NODE_OPTIONS for OpenTelemetry should keep this flag).
ENV NODE_OPTIONS=--max-semi-space-size=64
ENV NODE_ENV=production \
    TENGINE_HOST=0.0.0.0 \
    TENGINE_PORT=8080 \
    TENGINE_METRICS_HOST=0.0.0.0 \
    TENGINE_METRICS_PORT=9464 \
    TENGINE_BUNDLE=/etc/tengine/bundle/tengine.bundle.json \
    TENGINE_BUNDLE_PUBLIC_KEYS=/etc/tengine/bundle/bundle-signing.pub.pem
WORKDIR /app
COPY --from=build /app /app
# Numeric, so Kubernetes' runAsNonRoot can check it without reading /etc/passwd.
USER 1000:1000
EXPOSE 8080 9464
# The only writable place the process may need (Node's os.tmpdir()); mount a tmpfs there with --read-only.
VOLUME ["/tmp"]
# The slim image has no curl: Node's fetch. /livez answers while the process serves, also while draining.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.TENGINE_PORT || 8080) + '/livez').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `node` directly, not npm or a shell, so the runtime receives SIGTERM (drain) and SIGHUP (reload) itself. As PID 1
# it has no default signal actions, only the handlers it installs: run with `--init` (compose: `init: true`) so a
# second SIGTERM or a SIGINT outside those handlers still ends it.
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["serve"]
