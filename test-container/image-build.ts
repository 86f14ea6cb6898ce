// Builds the image from the repository's real Dockerfile on local base images,
// and the negative-control variant: the same Dockerfile minus the ownership fix.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Engine, expectSuccess, imageId, removeSupersededImage } from '../scripts/engine.ts';
import type { BaseImages } from '../scripts/make-base-image.ts';
import { hostArch } from '../scripts/node-for-arch.ts';

export const repoRoot = new URL('..', import.meta.url).pathname;
export const dockerfilePath = join(repoRoot, 'Dockerfile');

/** A cold build runs `npm ci` in the build stage; warm builds hit the layer cache. */
const buildTimeoutMs = 300_000;

export interface BuildOptions {
  readonly tag: string;
  readonly bases: BaseImages;
  readonly version: string;
  /** A Dockerfile to build instead of the repository's (same context). */
  readonly dockerfile?: string;
}

export async function buildImage(
  engine: Engine,
  options: BuildOptions,
): Promise<{ durationMs: number }> {
  const args = [
    'build',
    '--network',
    'host',
    // BuildKit sets it; Docker's legacy builder and podman 4.3 need it given (Dockerfile).
    '--build-arg',
    `BUILDPLATFORM=linux/${hostArch()}`,
    '--build-arg',
    `BUILD_IMAGE=${options.bases.buildImage}`,
    '--build-arg',
    `RUNTIME_IMAGE=${options.bases.runtimeImage}`,
    '--build-arg',
    `VERSION=${options.version}`,
    '--tag',
    options.tag,
    '--file',
    options.dockerfile ?? dockerfilePath,
    repoRoot,
  ];
  const previousId = await imageId(engine, options.tag);
  const result = await engine.exec(args, { timeoutMs: buildTimeoutMs });
  expectSuccess(result, `${engine.name} build ${options.tag}`);
  await removeSupersededImage(engine, previousId, options.tag);
  return { durationMs: result.durationMs };
}

const ownershipFix = /^(COPY\b.*?) --chown=1000:1000( .*\/app\/jars\/?)$/m;

/**
 * The repository's Dockerfile with `--chown=1000:1000` removed from the line that
 * creates /app/jars, and nothing else changed but a label just before that line.
 * Throws if that line is not there exactly once, so the negative control cannot
 * quietly test something else.
 *
 * Why the label: buildah (podman 4.3) leaves `--chown` out of its layer-cache key,
 * so without a change above the COPY it would reuse the real image's chowned
 * layer and the "negative" image would be the fixed one.
 */
export async function dockerfileWithoutOwnershipFix(): Promise<string> {
  const text = await readFile(dockerfilePath, 'utf8');
  const matches = text.match(new RegExp(ownershipFix.source, 'gm')) ?? [];
  if (matches.length !== 1) {
    throw new Error(
      `expected exactly one "COPY ... --chown=1000:1000 ... /app/jars/" line in the Dockerfile, found ${matches.length}`,
    );
  }
  return text.replace(
    ownershipFix,
    'LABEL io.runtime-loader.test.variant="without-ownership-fix"\n$1$2',
  );
}
