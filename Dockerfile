# runtime-loader: the init container that puts a verified JAR on /app/jars.
#
# The base images are build arguments so the same file builds against the public
# images (the defaults) and, where no registry can be reached, against local
# stand-ins made by scripts/make-base-image.ts (npm run test:container does this).
# The release (scripts/release-image.ts) pins them by digest.
#
# Two architectures, linux/amd64 and linux/arm64: the build stage runs once, on the
# builder's own platform (its output is platform-independent JavaScript); the runtime
# stage is built per target platform from that platform's variant of RUNTIME_IMAGE.
ARG BUILD_IMAGE=docker.io/library/node:24-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12
# Set by BuildKit; buildah (podman 4.3) and Docker's legacy builder leave it unset, so
# scripts/release-image.ts and the tests pass it (--build-arg BUILDPLATFORM=linux/amd64).
ARG BUILDPLATFORM

# ---- build: one self-contained ES module, dist/runtime-loader.mjs -------------
FROM --platform=${BUILDPLATFORM} ${BUILD_IMAGE} AS build
WORKDIR /src
# The dependency layer is cached until the lockfile changes. Install scripts are
# not needed to bundle (esbuild's binary comes from its optional dependency).
COPY package.json package-lock.json ./
RUN ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
COPY tsconfig.json ./
COPY scripts/build.mjs ./scripts/
COPY scripts/supply-chain/ ./scripts/supply-chain/
COPY src/ ./src/
# Writes the bundle and, beside it, its SBOM (runtime-loader.cdx.json) and the licence
# texts of the packages it holds (THIRD-PARTY-LICENSES.txt), from esbuild's metafile and
# package-lock.json (scripts/supply-chain/).
RUN ["node", "scripts/build.mjs", "--loader-only"]
# The runtime stage has no shell to mkdir with, so the mount point is made here
# and copied over with its owner set. 0755: written by the loader (UID 1000),
# readable by the main container whatever its UID.
RUN ["node", "-e", "require('node:fs').mkdirSync('/staging/jars', { recursive: true }); require('node:fs').chmodSync('/staging/jars', 0o755)"]

# ---- runtime: Node 24, no shell, no package manager ---------------------------
FROM ${RUNTIME_IMAGE}
ARG VERSION=0.0.0-dev
# Filled by scripts/release-image.ts: the commit, its time (RFC 3339), and the base
# image as pulled (its reference and the digest the engine resolved for it). Empty in
# a local build.
ARG REVISION=""
ARG CREATED=""
ARG BASE_NAME=""
ARG BASE_DIGEST=""
# No org.opencontainers.image.source here: this file cannot know where its
# repository is published, and a made-up URL would mislead. The release pipeline
# adds it with `--label org.opencontainers.image.source=<repository URL>`.
LABEL org.opencontainers.image.title="runtime-loader" \
      org.opencontainers.image.description="Init container that puts a verified JAR on a shared volume before the JVM container starts" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="${BASE_NAME}" \
      org.opencontainers.image.base.digest="${BASE_DIGEST}"
# Owned by root: the loader cannot modify its own code. Beside it: the project's
# LICENSE, the licence texts of the bundled packages (THIRD-PARTY-LICENSES.txt; today
# it says none is bundled) and the SBOM, whose .cdx.json name is what image scanners
# look for (docs/container.md, "The SBOM").
COPY LICENSE /app/
COPY --from=build /src/dist/runtime-loader.mjs /src/dist/THIRD-PARTY-LICENSES.txt \
     /src/dist/runtime-loader.cdx.json /app/
# The ownership fix: an empty named volume mounted here takes this directory's
# owner and mode (Docker and podman copy them), so UID 1000 can write the JAR.
# Kubernetes emptyDir does not copy them; there fsGroup: 1000 does the same job.
COPY --from=build --chown=1000:1000 /staging/jars/ /app/jars/
# Node's compile cache for the bundle: start-up then skips compiling its top
# level (-12 ms). Node takes a cache only from the same build of Node and the same
# uid, so this image's node makes it, as 1000 with the ENTRYPOINT's flag; then it
# is sealed like the code (root-owned, read-only). At run time it is only read.
# V8's code cache is specific to the architecture, so each architecture's image
# makes its own: cross-built for arm64, this step runs the arm64 node under qemu.
RUN ["/nodejs/bin/node", "-e", "const fs = require('node:fs'); const dir = '/app/compile-cache'; fs.mkdirSync(dir); fs.chownSync(dir, 1000, 1000); require('node:child_process').execFileSync(process.execPath, ['--max-semi-space-size=1', '/app/runtime-loader.mjs', '--version'], { uid: 1000, gid: 1000, env: { NODE_COMPILE_CACHE: dir } }); const seal = (path) => { fs.chownSync(path, 0, 0); if (!fs.statSync(path).isDirectory()) return fs.chmodSync(path, 0o644); fs.chmodSync(path, 0o755); for (const name of fs.readdirSync(path)) seal(path + '/' + name); }; seal(dir);"]
# The SBOM's last component, the Node.js runtime, can only be named here: it is the
# runtime image's own node (per architecture), which reports its exact version.
RUN ["/nodejs/bin/node", "-e", "const fs = require('node:fs'); const path = '/app/runtime-loader.cdx.json'; const bom = JSON.parse(fs.readFileSync(path, 'utf8')); const version = process.version.slice(1); const ref = 'pkg:generic/node@' + version; bom.components.push({ type: 'platform', 'bom-ref': ref, name: 'node', version, description: 'Node.js runtime of the base image (' + process.arch + ')', purl: ref, cpe: 'cpe:2.3:a:nodejs:node.js:' + version + ':*:*:*:*:*:*:*', licenses: [{ license: { id: 'MIT' } }] }); bom.dependencies[0].dependsOn.push(ref); bom.dependencies.push({ ref, dependsOn: [] }); fs.writeFileSync(path, JSON.stringify(bom, null, 2) + '\\n');"]
ENV NODE_COMPILE_CACHE=/app/compile-cache
USER 1000:1000
# A young generation of 1 MiB semi-spaces: the loader's JS heap is small, and a
# short-lived process does not need room to grow one (peak RSS -3 MiB, same speed).
# V8 takes this only on the command line; the bundle's shebang carries it too.
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=1", "/app/runtime-loader.mjs"]
