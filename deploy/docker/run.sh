#!/usr/bin/env bash
# How an orchestrator starts one replica with plain Docker: the loader first, on
# a fresh volume; the JVM container only if the loader exited 0. The volume this
# script creates is removed when it ends, whatever the outcome.
#
#   ARTIFACT_URL=...signed URL... ARTIFACT_EXPECTED_SIZE=52428800 \
#   APP_IMAGE=registry.example.com/my-jvm-app:1.0 deploy/docker/run.sh
#
# The signed URL is passed with `-e ARTIFACT_URL` (by name, value taken from this
# environment) so it never appears in the process list or shell history.
# NETWORK (optional) is passed to both containers as --network.
# Works the same with `DOCKER=podman`; note that podman's --read-only still
# mounts writable tmpfs on /tmp, /var/tmp and /run unless --read-only-tmpfs=false
# is added (the loader needs none of them).
set -euo pipefail

: "${ARTIFACT_URL:?set ARTIFACT_URL to the signed artifact URL}"
: "${ARTIFACT_EXPECTED_SIZE:?set ARTIFACT_EXPECTED_SIZE to the artifact size in bytes}"
: "${APP_IMAGE:?set APP_IMAGE to the JVM application image}"
DOCKER="${DOCKER:-docker}"
LOADER_IMAGE="${LOADER_IMAGE:-registry.example.com/runtime-loader:0.1.0}"
VOLUME="${VOLUME:-app-jars-$(date +%s)-$$}"
network=()
if [[ -n "${NETWORK:-}" ]]; then network=(--network "$NETWORK"); fi
export ARTIFACT_URL ARTIFACT_EXPECTED_SIZE

# A fresh volume every time: a volume that already holds an app.jar would hide a
# failed download. An existing one is refused, not reused.
if "$DOCKER" volume inspect "$VOLUME" >/dev/null 2>&1; then
  echo "run.sh: volume $VOLUME already exists; give VOLUME a fresh name" >&2
  exit 2
fi
"$DOCKER" volume create "$VOLUME" >/dev/null
trap '"$DOCKER" volume rm --force "$VOLUME" >/dev/null' EXIT

# Exit codes: 0 ok, 2 config, 3 rejected (401/403/404: renew the URL), 4 fetch
# failed, 5 size mismatch, 6 integrity, 7 cannot write /app/jars, 130/143 signals.
"$DOCKER" run --rm --name "runtime-loader-$VOLUME" "${network[@]}" \
  --read-only --cap-drop ALL --security-opt no-new-privileges --user 1000:1000 \
  -v "$VOLUME:/app/jars" \
  -e ARTIFACT_URL -e ARTIFACT_EXPECTED_SIZE \
  "$LOADER_IMAGE"

# Not exec'd: the trap above removes the volume when the app ends.
"$DOCKER" run --rm --name "app-$VOLUME" "${network[@]}" \
  --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges --user 2000:2000 \
  -v "$VOLUME:/app/jars:ro" \
  "$APP_IMAGE" java -jar /app/jars/app.jar
