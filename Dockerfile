# runtime-loader: the init container that puts a verified JAR on /app/jars.
#
# The base images are build arguments so the same file builds against the public
# images (the defaults) and, where no registry can be reached, against local
# stand-ins made by scripts/make-base-image.ts (npm run test:container does this).
# Pin the defaults by digest in the release pipeline.
ARG BUILD_IMAGE=docker.io/library/node:24-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12

# ---- build: one self-contained ES module, dist/runtime-loader.mjs -------------
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
# The dependency layer is cached until the lockfile changes. Install scripts are
# not needed to bundle (esbuild's binary comes from its optional dependency).
COPY package.json package-lock.json ./
RUN ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
COPY tsconfig.json ./
COPY scripts/build.mjs scripts/lean-undici.mjs scripts/undici-subset.mjs ./scripts/
COPY src/ ./src/
RUN ["node", "scripts/build.mjs", "--loader-only"]
# The runtime stage has no shell to mkdir with, so the mount point is made here
# and copied over with its owner set. 0755: written by the loader (UID 1000),
# readable by the main container whatever its UID.
RUN ["node", "-e", "require('node:fs').mkdirSync('/staging/jars', { recursive: true }); require('node:fs').chmodSync('/staging/jars', 0o755)"]

# ---- runtime: Node 24, no shell, no package manager ---------------------------
FROM ${RUNTIME_IMAGE}
ARG VERSION=0.0.0-dev
# No org.opencontainers.image.source here: this file cannot know where its
# repository is published, and a made-up URL would mislead. The release pipeline
# adds it with `--label org.opencontainers.image.source=<repository URL>`.
LABEL org.opencontainers.image.title="runtime-loader" \
      org.opencontainers.image.description="Init container that puts a verified JAR on a shared volume before the JVM container starts" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
# Owned by root: the loader cannot modify its own code. The glob also takes the
# bundled dependencies' license file (runtime-loader.mjs.LEGAL.txt).
COPY --from=build /src/dist/runtime-loader.mjs* /app/
# The ownership fix: an empty named volume mounted here takes this directory's
# owner and mode (Docker and podman copy them), so UID 1000 can write the JAR.
# Kubernetes emptyDir does not copy them; there fsGroup: 1000 does the same job.
COPY --from=build --chown=1000:1000 /staging/jars/ /app/jars/
# Node's compile cache for the bundle: start-up then skips compiling its top
# level (-12 ms). Node takes a cache only from the same build of Node and the same
# uid, so this image's node makes it, as 1000 with the ENTRYPOINT's flag; then it
# is sealed like the code (root-owned, read-only). At run time it is only read.
RUN ["/nodejs/bin/node", "-e", "const fs = require('node:fs'); const dir = '/app/compile-cache'; fs.mkdirSync(dir); fs.chownSync(dir, 1000, 1000); require('node:child_process').execFileSync(process.execPath, ['--max-semi-space-size=1', '/app/runtime-loader.mjs', '--version'], { uid: 1000, gid: 1000, env: { NODE_COMPILE_CACHE: dir } }); const seal = (path) => { fs.chownSync(path, 0, 0); if (!fs.statSync(path).isDirectory()) return fs.chmodSync(path, 0o644); fs.chmodSync(path, 0o755); for (const name of fs.readdirSync(path)) seal(path + '/' + name); }; seal(dir);"]
ENV NODE_COMPILE_CACHE=/app/compile-cache
USER 1000:1000
# A young generation of 1 MiB semi-spaces: the loader's JS heap is small, and a
# short-lived process does not need room to grow one (peak RSS -3 MiB, same speed).
# V8 takes this only on the command line; the bundle's shebang carries it too.
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=1", "/app/runtime-loader.mjs"]
